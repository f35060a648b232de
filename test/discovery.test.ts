// App discovery: expvars/ folders of the apps given, loaded in a stable order, with a skip list,
// and failures that name the file.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { register } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import Fastify from 'fastify'
import { type Test, test } from 'tap'
import expvar, { Registry } from '../index.js'
import { ERROR, WARN, build, logsFor, scrape } from './helpers.js'

const APPS = join(import.meta.dirname, 'fixtures', 'apps')
const app = (name: string): string => join(APPS, name)

test('every file form in expvars/ is loaded: plugin, defineExpvars, .ts, .js, .mjs, .cjs', async (t) => {
  const { app: server } = await build({ apps: [app('users')] })
  t.same(await scrape(server), {
    example: 42,
    legacy: 'cjs',
    module: 'mjs',
    script: 7,
    signups: { today: 3 },
    stats: { users: { active: 2 } },
    users: { count: 0 }
  })
})

test('declarations, other files and subfolders of expvars/ are not loaded', async (t) => {
  const { app: server } = await build({ apps: [app('users')] })
  const names = server.expvar.names()
  t.notOk(names.includes('deep'), 'nested/deep.ts is not loaded')
  t.equal(names.length, 7)
})

test('a var file reaches decorators registered before the plugin', async (t) => {
  const server = Fastify()
  server.decorate('db', { users: 12 })
  await server.register(expvar, { apps: [app('users')], cmdline: false, memstats: false })
  t.same((await scrape(server)).users, { count: 12 })
})

test('apps load in the order given, files by name: later same-name keys win', async (t) => {
  const forward = await build({ apps: [app('users'), app('orders'), app('order')] })
  t.same((await scrape(forward.app)).stats, { users: { active: 2, buyers: 1 }, orders: { open: 5 } })
  t.same((await scrape(forward.app)).order, { a: true, last: 'c', b: true, c: true })
  const backward = await build({ apps: [app('orders'), app('users')] })
  t.same(Object.keys((await scrape(backward.app)).stats as object), ['orders', 'users'], 'the first app\'s keys come first')
})

test('skip matches an app by folder name or by resolved path', async (t) => {
  const byName = await build({ apps: [app('users'), app('billing')], skip: ['billing'] })
  t.notOk('invoices' in await scrape(byName.app))
  const byPath = await build({ apps: [app('billing')], skip: [relative(process.cwd(), app('billing'))] })
  t.same(await scrape(byPath.app), {})
  const notSkipped = await build({ apps: [app('billing')], skip: ['users'] })
  t.same(await scrape(notSkipped.app), { invoices: 12 })
})

test('relative app paths resolve against the working directory; an app given twice loads once', async (t) => {
  const { app: server, logs } = await build({ apps: [relative(process.cwd(), app('billing')), app('billing')], collisions: 'error' })
  t.same(await scrape(server), { invoices: 12 })
  t.equal(logs.filter((line) => line.level === WARN).length, 0)
})

test('an app without expvars/ contributes nothing, and says so at debug level', async (t) => {
  const { app: server, logs } = await build({ apps: [app('plain')] })
  t.same(await scrape(server), {})
  t.ok(logs.some((line) => line.msg === 'expvar: app has no expvars/ folder' && line.app === app('plain')))
})

test('a skipped app is logged at debug level', async (t) => {
  const { logs } = await build({ apps: [app('billing')], skip: ['billing'] })
  t.ok(logs.some((line) => line.msg === 'expvar: app skipped' && line.app === app('billing')))
})

test('an app folder that does not exist fails register with FST_EXPVAR_APP_NOT_FOUND', async (t) => {
  await t.rejects(build({ apps: ['no/such/app'] }), {
    code: 'FST_EXPVAR_APP_NOT_FOUND',
    message: `App folder no/such/app does not exist (resolved to ${join(process.cwd(), 'no/such/app')})`
  })
  await t.rejects(build({ apps: [join(APPS, 'plain', 'README.md')] }), { code: 'FST_EXPVAR_APP_NOT_FOUND' }, 'a file is not an app folder')
  await t.rejects(build({ apps: ['no/such/app'], skip: ['app'] }), { code: 'FST_EXPVAR_APP_NOT_FOUND' }, 'skipped or not: a typo is caught')
})

test('a file that throws at import fails with FST_EXPVAR_LOAD_FAILED naming it, with the cause', async (t) => {
  const file = join(app('throws-at-import'), 'expvars', 'broken.ts')
  await t.rejects(build({ apps: [app('throws-at-import')] }), {
    code: 'FST_EXPVAR_LOAD_FAILED',
    message: `Could not load expvar file ${file}: cannot start: missing DATABASE_URL`,
    cause: { message: 'cannot start: missing DATABASE_URL' }
  })
})

test('a file with a syntax error fails with FST_EXPVAR_LOAD_FAILED naming it', async (t) => {
  const file = join(app('syntax-error'), 'expvars', 'bad.js')
  await t.rejects(build({ apps: [app('syntax-error')] }), { code: 'FST_EXPVAR_LOAD_FAILED', message: new RegExp(`^Could not load expvar file ${file}: `), cause: SyntaxError })
})

test('a default export that is not a plugin is a coded error naming the file, not a silent skip', async (t) => {
  await t.rejects(build({ apps: [app('plain-object-export')] }), {
    code: 'FST_EXPVAR_INVALID_EXPORT',
    message: `The default export of expvar file ${join(app('plain-object-export'), 'expvars', 'object.ts')} is a plain object: export a Fastify plugin or defineExpvars(...)`
  })
  await t.rejects(build({ apps: [app('number-export')] }), { code: 'FST_EXPVAR_INVALID_EXPORT', message: /number\.mjs is number:/ })
  await t.rejects(build({ apps: [app('instance-export')] }), {
    code: 'FST_EXPVAR_INVALID_EXPORT',
    message: `The default export of expvar file ${join(app('instance-export'), 'expvars', 'signups.ts')} is an instance of Signups: export a Fastify plugin or defineExpvars(...)`
  })
  await t.rejects(build({ apps: [await tempApp(t, { 'bare.mjs': 'export default Object.create(null)\n' })] }), { code: 'FST_EXPVAR_INVALID_EXPORT', message: /bare\.mjs is a plain object:/ })
})

test('a file that default-exports an ExpVar subclass is a coded error, not a crash: defineExpvars(Example) was meant', async (t) => {
  await t.rejects(build({ apps: [app('class-export')] }), {
    code: 'FST_EXPVAR_INVALID_EXPORT',
    message: `The default export of expvar file ${join(app('class-export'), 'expvars', 'example.ts')} is a class: export a Fastify plugin or defineExpvars(...)`
  })
})

test('index and autohooks files are var files like the others; autoload = false opts a file out', async (t) => {
  const { app: server } = await build({ apps: [app('special-names')] })
  t.same(await scrape(server), { hooks: 'loaded', index: 'loaded', other: 'loaded' })
})

test('the first file that fails is the one named, and the files after it are not loaded', async (t) => {
  const file = join(app('two-failing'), 'expvars', 'a-first.ts')
  await t.rejects(build({ apps: [app('two-failing')] }), {
    code: 'FST_EXPVAR_LOAD_FAILED',
    message: `Could not load expvar file ${file}: Invalid var name "": a var name must be a non-empty string`,
    cause: { code: 'FST_EXPVAR_INVALID_NAME' }
  })
})

test('a failure before the var files (a builtin) is not blamed on a var file', async (t) => {
  const registry = new Registry({ collisions: 'error' })
  registry.register('memstats', () => 'taken')
  await t.rejects(build({ registry, memstats: true, apps: [app('billing')] }), { code: 'FST_EXPVAR_DUPLICATE', message: /^Var "memstats" is already registered/ })
})

test('a skip entry that matches no app is warned about: the vars it should hide are served', async (t) => {
  const { app: server, logs } = await build({ apps: [app('billing')], skip: ['biling', 'billing/'] })
  t.same(await scrape(server), { invoices: 12 }, 'a trailing slash is not a folder name')
  t.same(logs.filter((line) => line.level === WARN).map((line) => [line.msg, line.skip]), [
    ['expvar: skip entry matches no app', 'biling'],
    ['expvar: skip entry matches no app', 'billing/']
  ])
  const { logs: quiet } = await build({ apps: [app('billing'), app('users')], skip: ['billing', app('users')] })
  t.equal(quiet.filter((line) => line.level === WARN).length, 0, 'no warning when every entry matches')
})

test('an fp-wrapped var file registers in the app\'s context: its hook reaches the app\'s routes', async (t) => {
  const server = Fastify()
  await server.register(expvar, { apps: [app('hooks')], cmdline: false, memstats: false })
  server.get('/', async () => 'ok')
  await server.inject('/')
  await server.inject('/')
  t.same(await scrape(server), { requests: 3 }, 'two requests to / and the scrape itself')
})

test('a var from a file that fails at scrape time is logged with its file as source', async (t) => {
  const { app: server, logs } = await build({ apps: [app('failing')] })
  t.same(await scrape(server), {})
  t.match(logsFor(logs, 'flaky', ERROR)[0], { source: /fixtures\/apps\/failing\/expvars\/flaky\.ts:\d+:\d+$/, err: { message: 'upstream down' } })
})

test('a file that registers an invalid var fails ready() with FST_EXPVAR_LOAD_FAILED naming it', async (t) => {
  const file = join(app('invalid-var'), 'expvars', 'empty-name.ts')
  await t.rejects(build({ apps: [app('invalid-var')] }), {
    code: 'FST_EXPVAR_LOAD_FAILED',
    message: `Could not load expvar file ${file}: Invalid var name "": a var name must be a non-empty string`,
    cause: { code: 'FST_EXPVAR_INVALID_NAME' }
  })
})

test('vars from files name their file as their source', async (t) => {
  const { app: server, logs } = await build({ apps: [app('users')] })
  server.expvar.register('users', () => 'a clash')
  server.expvar.register('example', () => 'another clash')
  await scrape(server)
  t.match(logsFor(logs, 'users', WARN)[0]?.sources?.[0], /fixtures\/apps\/users\/expvars\/a-plugin\.ts:\d+:\d+$/)
  t.match(logsFor(logs, 'example', WARN)[0]?.sources?.[0], /fixtures\/apps\/users\/expvars\/b-define\.ts:\d+:\d+$/)
})

/** An app folder outside the project (no package.json above it) with the given expvars/ files. */
async function tempApp (t: Test, files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'expvar-app-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  await mkdir(join(root, 'expvars'))
  for (const [name, source] of Object.entries(files)) await writeFile(join(root, 'expvars', name), source)
  return root
}

test('a compiled CommonJS app (no package.json) loads its .js files', async (t) => {
  const root = await tempApp(t, {
    'compiled.js': "'use strict'\nmodule.exports = async function (fastify) { fastify.expvar.register('compiled', () => 'js') }\n",
    'transpiled.js': "'use strict'\nexports.default = async function (fastify) { fastify.expvar.register('transpiled', () => 'js') }\n"
  })
  const { app: server } = await build({ apps: [root] })
  t.same(await scrape(server), { compiled: 'js', transpiled: 'js' })
})

test('exports of null or an array are named in the error', async (t) => {
  await t.rejects(build({ apps: [await tempApp(t, { 'null.js': 'module.exports = null\n' })] }), { code: 'FST_EXPVAR_INVALID_EXPORT', message: /null\.js is null:/ })
  await t.rejects(build({ apps: [await tempApp(t, { 'list.mjs': 'export default []\n' })] }), { code: 'FST_EXPVAR_INVALID_EXPORT', message: /list\.mjs is an array:/ })
})

test('each var file is evaluated once: one import both checks and registers it', async (t) => {
  const counted = (name: string): string => `globalThis.expvarImports = (globalThis.expvarImports ?? 0) + 1\n${name}\n`
  const root = await tempApp(t, {
    'a.cjs': counted("module.exports = async function (fastify) { fastify.expvar.register('cjs', () => globalThis.expvarImports) }"),
    'b.mjs': counted("export default async function (fastify) { fastify.expvar.register('mjs', () => globalThis.expvarImports) }"),
    'c.js': counted("module.exports = async function (fastify) { fastify.expvar.register('js', () => globalThis.expvarImports) }")
  })
  t.teardown(() => { delete (globalThis as { expvarImports?: number }).expvarImports })
  const { app: server } = await build({ apps: [root] })
  t.same(await scrape(server), { cjs: 3, js: 3, mjs: 3 })
})

test('a symbolic link in expvars/ is not loaded, and a warning says so', async (t) => {
  const root = await tempApp(t, { 'real.mjs': "export default async function (fastify) { fastify.expvar.register('real', () => 1) }\n" })
  await symlink(join(root, 'expvars', 'real.mjs'), join(root, 'expvars', 'linked.mjs'))
  const { app: server, logs } = await build({ apps: [root] })
  t.same(await scrape(server), { real: 1 })
  const warning = logs.find((line) => line.level === WARN && line.file === join(root, 'expvars', 'linked.mjs'))
  t.match(warning?.msg, /symbolic link in expvars\/ is not loaded/)
})

test('a file that throws null, a string or an unprintable object at import fails with FST_EXPVAR_LOAD_FAILED naming it', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['null.mjs', 'throw null\n', /null\.mjs: it threw null$/],
    ['string.mjs', "throw 'no config'\n", /string\.mjs: it threw 'no config'$/],
    ['proxy.mjs', 'throw new Proxy({}, { get () { throw new Error("trap") } })\n', /proxy\.mjs: /]
  ]
  for (const [name, source, message] of cases) {
    const root = await tempApp(t, { [name]: source })
    await t.rejects(build({ apps: [root] }), { code: 'FST_EXPVAR_LOAD_FAILED', message }, name)
  }
})

test('an export whose prototype has no constructor is named as an object', async (t) => {
  const root = await tempApp(t, { 'bare.mjs': 'export default Object.create(Object.create(null))\n' })
  await t.rejects(build({ apps: [root] }), { code: 'FST_EXPVAR_INVALID_EXPORT', message: /bare\.mjs is an object:/ })
  const proxied = await tempApp(t, { 'proxy.mjs': 'export default new Proxy({}, { getPrototypeOf () { throw new Error("trap") } })\n' })
  await t.rejects(build({ apps: [proxied] }), { code: 'FST_EXPVAR_INVALID_EXPORT', message: /proxy\.mjs is an object:/ })
})

test('a top-level await that never settles fails with FST_EXPVAR_LOAD_FAILED naming the file, before avvio\'s timeout', async (t) => {
  const root = await tempApp(t, { 'stuck.mjs': 'await new Promise(() => {})\nexport default async function () {}\n' })
  const app = Fastify({ pluginTimeout: 300 })
  await t.rejects(async () => { await app.register(expvar, { apps: [root], cmdline: false, memstats: false }) }, {
    code: 'FST_EXPVAR_LOAD_FAILED',
    message: `Could not load expvar file ${join(root, 'expvars', 'stuck.mjs')}: its import did not settle within 240 ms (a top-level await that never settles?)`
  })
})

test('with pluginTimeout off, a var file\'s import still has a bound of its own', async (t) => {
  const root = await tempApp(t, { 'quick.mjs': "export default async function (fastify) { fastify.expvar.register('quick', () => 1) }\n" })
  const app = Fastify({ pluginTimeout: 0 })
  await app.register(expvar, { apps: [root], cmdline: false, memstats: false })
  t.same(JSON.parse((await app.inject('/debug/vars')).body), { quick: 1 })
})

test('a var file\'s plugin that throws null, a string, or calls done with an error fails ready() naming the file', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['null.mjs', 'export default async function () { throw null }\n', /null\.mjs: it threw null$/],
    ['string.cjs', "module.exports = async function () { throw 'bad' }\n", /string\.cjs: it threw 'bad'$/],
    ['done.cjs', "module.exports = function (fastify, options, done) { done(new Error('no db')) }\n", /done\.cjs: no db$/],
    ['sync.cjs', 'module.exports = function (fastify, options, done) { throw null }\n', /sync\.cjs: it threw null$/],
    ['getter.mjs', "export default async function () { throw { get message () { throw new Error('getter') } } }\n", /getter\.mjs: it threw object, which could not be described$/]
  ]
  for (const [name, source, message] of cases) {
    const root = await tempApp(t, { [name]: source })
    await t.rejects(build({ apps: [root] }), { code: 'FST_EXPVAR_LOAD_FAILED', message }, name)
  }
})

test('a callback-style var file plugin loads', async (t) => {
  const root = await tempApp(t, { 'cb.cjs': "module.exports = function (fastify, options, done) { fastify.expvar.register('cb', () => 'done'); done() }\n" })
  const { app: server } = await build({ apps: [root] })
  t.same(await scrape(server), { cb: 'done' })
})

test('an app with expvar/ or another near miss instead of expvars/ is warned about, naming it', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'expvar-app-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  await mkdir(join(root, 'expvar'))
  await mkdir(join(root, 'Exp_Vars'))
  await mkdir(join(root, 'routes'))
  await mkdir(join(root, 'node_modules'))
  await writeFile(join(root, 'expvars.ts'), '')
  const { app: server, logs } = await build({ apps: [root] })
  t.same(await scrape(server), {})
  const warning = logs.find((line) => line.level === WARN && line.app === root)
  t.same(warning?.found, ['Exp_Vars', 'expvar'])
  t.match(warning?.msg, /has no expvars\/ folder, but has Exp_Vars\/, expvar\/: is it misspelt\?/)
})

test('an apps entry that is an expvars/ folder itself loads nothing and is warned about, naming the folder to give', async (t) => {
  const folder = join(app('users'), 'expvars')
  const { app: server, logs } = await build({ apps: [folder] })
  t.same(await scrape(server), {}, 'its files are not loaded from there')
  const warning = logs.find((line) => line.level === WARN && line.app === folder)
  t.equal(warning?.give, app('users'))
  t.match(warning?.msg, /is an expvars\/ folder itself, so nothing is loaded from it: give apps the folder that holds it/)
  const { app: right } = await build({ apps: [app('users')] })
  t.ok('example' in await scrape(right), 'the folder it names loads them')
})

test('a .ts var file no TypeScript loader handles fails naming the file and the remedy', async (t) => {
  // tap's TypeScript loader takes every .ts file outside node_modules; a loader scoped to some
  // folders leaves the others to Node. (e2e/typescript.test.ts proves the same without any loader, in
  // a child process.)
  register(pathToFileURL(join(import.meta.dirname, 'fixtures', 'scoped-loader.mjs')))
  const root = join(await mkdtemp(join(tmpdir(), 'expvar-ts-')), 'outside-scope')
  t.teardown(() => rm(dirname(root), { recursive: true, force: true }))
  await mkdir(join(root, 'expvars'), { recursive: true })
  await writeFile(join(root, 'expvars', 'typed.ts'), 'export default async function (fastify: unknown): Promise<void> {}\n')
  await t.rejects(build({ apps: [root] }), { code: 'FST_EXPVAR_LOAD_FAILED', message: /typed\.ts: [^]*a TypeScript var file needs a TypeScript loader/ })
})

test('a CommonJS var file under a path with spaces is named whole as the source of its vars', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'expvar app (with spaces) '))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  await mkdir(join(root, 'expvars'))
  const file = join(root, 'expvars', 'flaky var.cjs')
  await writeFile(file, "module.exports = async function (fastify) { fastify.expvar.register('flaky', () => { throw new Error('down') }) }\n")
  const { app: server, logs } = await build({ apps: [root] })
  t.same(await scrape(server), {})
  t.match(logsFor(logs, 'flaky', ERROR)[0]?.source, new RegExp(`^${file.replace(/[()]/g, '\\$&')}:\\d+:\\d+$`))
})
