// Every option is checked at register time and a bad one is a coded error naming it.
import Fastify from 'fastify'
import { test } from 'tap'
import expvar, { type FastifyExpvarOptions, Registry } from '../index.js'

async function registerWith (options: unknown): Promise<void> {
  const app = Fastify()
  await app.register(expvar, options as FastifyExpvarOptions)
  await app.close()
}

const invalid: [string, unknown, RegExp][] = [
  ['timout', { timout: 100 }, /^Invalid option "timout": expected one of the options apps, skip, url, route, cmdline, memstats, builtins, collisions, timeout, registry, ui, cluster, prometheus, got 'timout'$/],
  ['prefix', { prefix: '/admin' }, /^Invalid option "prefix": expected no prefix \(Fastify ignores a prefix given to this plugin's own register, .*; set the path with the url option\), got '\/admin'$/],
  ['apps', { apps: 'users' }, /^Invalid option "apps": expected an array of non-empty strings, got 'users'$/],
  ['apps', { apps: ['users', ''] }, /"apps": expected an array of non-empty strings, got \['users', ''\]$/],
  ['skip', { skip: [1] }, /"skip"/],
  ['url', { url: 'debug/vars' }, /^Invalid option "url": expected a path starting with "\/" or false, got 'debug\/vars'$/],
  ['url', { url: true }, /"url".*got true/],
  ['route', { route: null }, /"route": expected an object of route options, got null$/],
  ['route', { route: { url: '/x' } }, /"route": expected no url \(the plugin sets it; use the url option for the path\), got \{ url: '\/x' \}$/],
  ['route', { route: { handler () {} } }, /"route": expected no handler/],
  ['route', { route: { method: 'POST' } }, /"route": expected no method/],
  ['cmdline', { cmdline: 'yes' }, /"cmdline": expected true, false or \{ redact: boolean \}, got 'yes'/],
  ['cmdline', { cmdline: { redact: 'no' } }, /"cmdline"/],
  ['cmdline', { cmdline: { redcat: false } }, /^Invalid option "cmdline": expected only the keys redact, got 'redcat'$/],
  ['timeout', { timeout: '500' }, /^Invalid option "timeout": expected a positive number of milliseconds up to 2147483647, got '500'$/],
  ['collisions', { collisions: 1 }, /^Invalid option "collisions": expected 'merge' or 'error', got 1$/],
  ['memstats', { memstats: 1 }, /"memstats": expected a boolean, got 1/],
  ['builtins', { builtins: ['heap'] }, /"builtins": expected names among resource, process, eventloop, gc, http, got 'heap'/],
  ['builtins', { builtins: 'http' }, /"builtins"/],
  ['collisions', { collisions: 'last' }, /"collisions": expected 'merge' or 'error', got 'last'/],
  ['timeout', { timeout: -1 }, /"timeout": expected a positive number of milliseconds up to 2147483647, got -1/],
  ['timeout', { timeout: 2 ** 31 }, /"timeout": expected .* got 2147483648/],
  ['registry', { registry: {} }, /"registry": expected a Registry/],
  ['collisions', { registry: new Registry(), collisions: 'error' }, /"collisions": expected no collisions option beside registry/],
  ['timeout', { registry: new Registry(), timeout: 10 }, /"timeout": expected no timeout option beside registry/]
]

for (const [option, options, message] of invalid) {
  test(`a bad ${option} option fails register with FST_EXPVAR_INVALID_OPTION (${JSON.stringify(options)})`, async (t) => {
    await t.rejects(registerWith(options), { code: 'FST_EXPVAR_INVALID_OPTION', message })
  })
}

test('defaults: the route at /debug/vars, cmdline and memstats published, nothing else', async (t) => {
  const app = Fastify()
  await app.register(expvar)
  const res = await app.inject('/debug/vars')
  t.equal(res.statusCode, 200)
  t.same(Object.keys(JSON.parse(res.body)), ['cmdline', 'memstats'])
  await app.close()
})

test('options that are valid register cleanly', async (t) => {
  await t.resolves(registerWith({ cmdline: { redact: false }, memstats: false, builtins: [], collisions: 'error', timeout: 100, url: '/v', route: {} }))
  await t.resolves(registerWith({ cmdline: {}, apps: [], skip: [] }))
  await t.resolves(registerWith({ logLevel: 'warn' }), 'Fastify\'s own register options pass')
})

test('registering the plugin twice on one instance is a coded error saying so', async (t) => {
  const app = Fastify()
  await app.register(expvar, { cmdline: false, memstats: false })
  await t.rejects(async () => { await app.register(expvar) }, { code: 'FST_EXPVAR_ALREADY_REGISTERED', message: /^fastify-expvar is already registered on this instance/ })
})

test('inside a prefixed parent plugin, the route lands under the parent\'s prefix', async (t) => {
  const app = Fastify()
  await app.register(async (admin) => { await admin.register(expvar, { cmdline: false, memstats: false }) }, { prefix: '/admin' })
  t.equal((await app.inject('/admin/debug/vars')).statusCode, 200)
  t.equal((await app.inject('/debug/vars')).statusCode, 404)
})

// Every path option is a literal path: a route pattern, a query string, a fragment or whitespace
// would be read by Fastify's router as something else (or never match a request).
const notLiteral = ['/m/*', '/v/:name', '/r/(\\d+)', '/u?x=1', '/f#top', '/a b']
const pathOptions: [string, (path: string) => FastifyExpvarOptions][] = [
  ['url', (url) => ({ url })],
  ['prometheus.url', (url) => ({ prometheus: { url } })],
  ['ui.url', (url) => ({ ui: { url } })]
]
for (const [option, options] of pathOptions) {
  test(`${option}: a route pattern, a query string, a fragment or whitespace is a coded error naming the option`, async (t) => {
    for (const path of notLiteral) {
      await t.rejects(registerWith(options(path)), {
        code: 'FST_EXPVAR_INVALID_OPTION',
        message: `Invalid option "${option}": expected a literal path (no route pattern such as *, :name or (regex), no query string or fragment, no whitespace), got '${path}'`
      }, path)
    }
  })
}

// Routes that would collide are refused by name, before Fastify's raw FST_ERR_DUPLICATED_ROUTE.
const colliding: [FastifyExpvarOptions, string, RegExp][] = [
  [{ prometheus: { url: '/debug/vars/' } }, 'prometheus.url', /expected a path other than the document's \(\/debug\/vars\), got '\/debug\/vars\/'$/],
  [{ url: '/v/', prometheus: { url: '/v' } }, 'prometheus.url', /expected a path other than the document's \(\/v\/\), got '\/v'$/],
  [{ ui: { url: '/debug/vars/' } }, 'ui.url', /expected a path other than the document's \(\/debug\/vars\), got '\/debug\/vars\/'$/],
  [{ ui: { url: '/metrics' }, prometheus: true }, 'ui.url', /expected a path other than the metrics' \(\/metrics\), got '\/metrics'$/],
  [{ ui: { url: '/m/' }, prometheus: { url: '/m' } }, 'ui.url', /expected a path other than the metrics' \(\/m\), got '\/m\/'$/],
  [{ url: '/dash/meta.json', ui: { url: '/dash' } }, 'url', /expected a path other than the dashboard's own files \(its metadata and assets under \/dash\), got '\/dash\/meta.json'$/],
  [{ ui: { url: '/dash/' }, prometheus: { url: '/dash/meta.json' } }, 'prometheus.url', /expected a path other than the dashboard's own files \(its metadata and assets under \/dash\/\), got '\/dash\/meta.json'$/],
  [{ ui: { url: '/dash' }, prometheus: { url: '/dash/uplot.0123456789ab.js' } }, 'prometheus.url', /expected a path other than the dashboard's own files .*, got '\/dash\/uplot.0123456789ab.js'$/]
]
for (const [options, option, message] of colliding) {
  test(`colliding routes are a coded error naming ${option} (${JSON.stringify(options)})`, async (t) => {
    await t.rejects(registerWith(options), { code: 'FST_EXPVAR_INVALID_OPTION', message: new RegExp(`^Invalid option "${option.replace('.', '\\.')}": ` + message.source) })
  })
}

test('the document, the metrics and the dashboard may share a folder where their paths do not collide', async (t) => {
  const app = Fastify()
  await app.register(expvar, { url: '/debug/vars', ui: { url: '/debug' }, prometheus: { url: '/debug/metrics' }, cmdline: false, memstats: false })
  for (const path of ['/debug/vars', '/debug', '/debug/metrics', '/debug/meta.json']) {
    t.equal((await app.inject(path)).statusCode, 200, path)
  }
  await app.close()
})
