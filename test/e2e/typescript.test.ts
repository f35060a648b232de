// TypeScript var files load outside tap too: under `tsx`, under `node --import tsx`, and under a
// runner that makes autoload force ES modules; without a loader the error says what to do.
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t, { test } from 'tap'
import { packedPlugin } from '../packed.js'

const run = promisify(execFile)
// Children that compile and start apps: minutes, not seconds, on a loaded 2-core machine.
t.setTimeout(180_000)
const root = join(import.meta.dirname, '..', '..')
const server = join(import.meta.dirname, '..', 'fixtures', 'typescript-app', 'server.ts')
const tsx = join(root, 'node_modules', '.bin', 'tsx')

// What these children run is covered in-process; tap's process tracker is told not to collect
// their coverage (most of them run the packed plugin, not lib/).
const childEnv: NodeJS.ProcessEnv = { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0' }

// The plugin as tsc compiled it (packed without source maps), for children that run it without a TypeScript
// loader: the packed tarball (tap's `before` built and packed it), unpacked in a scratch app.
let unpacked: ReturnType<typeof packedPlugin> | undefined
async function compiledPlugin (): Promise<string> {
  unpacked ??= packedPlugin('typescript')
  return (await unpacked).entry
}
t.teardown(async () => { await (await unpacked)?.remove() })

function names (body: string): string[] {
  return Object.keys(JSON.parse(body))
}

test('.ts var files load under npx tsx', async (t) => {
  const { stdout } = await run(tsx, [server], { cwd: root, env: childEnv })
  t.same(names(stdout), ['example', 'legacy', 'module', 'script', 'signups', 'stats', 'users'])
})

test('.ts var files load under node --import tsx, with no flag to set', async (t) => {
  const { FASTIFY_AUTOLOAD_TYPESCRIPT: _told, ...env } = childEnv
  const { stdout } = await run(process.execPath, ['--import', 'tsx', server], { cwd: root, env })
  t.same(names(stdout), ['example', 'legacy', 'module', 'script', 'signups', 'stats', 'users'])
})

test('without a TypeScript loader, a .ts var file fails with a coded error naming the file and the remedy', async (t) => {
  const app = await mkdtemp(join(tmpdir(), 'expvar-ts-'))
  t.teardown(() => rm(app, { recursive: true, force: true }))
  await mkdir(join(app, 'expvars'))
  await writeFile(join(app, 'expvars', 'typed.ts'), 'export default async function (fastify: unknown): Promise<void> {}\n')
  const starter = join(app, 'start.mjs')
  await writeFile(starter, `import Fastify from ${JSON.stringify(join(root, 'node_modules', 'fastify', 'fastify.js'))}
import expvar from ${JSON.stringify(await compiledPlugin())}
await Fastify().register(expvar, { apps: [${JSON.stringify(app)}] }).ready()
`)
  const failed = await run(process.execPath, [starter], { env: childEnv }).then(() => '', (err: { stderr: string }) => err.stderr)
  t.match(failed, /FST_EXPVAR_LOAD_FAILED/)
  t.match(failed, /typed\.ts/)
  t.match(failed, /a TypeScript var file needs a TypeScript loader/)
})

test('under a runner that makes autoload force ES modules (VITEST=true), every file form loads and is evaluated once', async (t) => {
  const app = await mkdtemp(join(tmpdir(), 'expvar-esm-'))
  t.teardown(() => rm(app, { recursive: true, force: true }))
  await mkdir(join(app, 'expvars'))
  const count = 'globalThis.imports = (globalThis.imports ?? 0) + 1\n'
  await writeFile(join(app, 'expvars', 'a.cjs'), count + "module.exports = async (fastify) => { fastify.expvar.register('cjs', () => globalThis.imports) }\n")
  await writeFile(join(app, 'expvars', 'b.mjs'), count + "export default async (fastify) => { fastify.expvar.register('mjs', () => globalThis.imports) }\n")
  await writeFile(join(app, 'expvars', 'c.ts'), count.replace('globalThis', '(globalThis as any)').replace('(globalThis.imports', '((globalThis as any).imports') + "module.exports = async (fastify: any) => { fastify.expvar.register('ts', () => (globalThis as any).imports) }\n")
  const { stdout } = await run(tsx, [server], { cwd: root, env: { ...childEnv, VITEST: 'true', EXPVAR_APPS: app } })
  t.same(JSON.parse(stdout), { cjs: 3, mjs: 3, ts: 3 })
  const users = await run(tsx, [server], { cwd: root, env: { ...childEnv, VITEST: 'true' } })
  t.same(names(users.stdout), ['example', 'legacy', 'module', 'script', 'signups', 'stats', 'users'])
})

test('under source maps (node --enable-source-maps, tsx) a registration names the app\'s file, not the plugin\'s lib/*.ts', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'expvar-maps-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const script = join(dir, 'register.mjs')
  await writeFile(script, `import { Registry } from ${JSON.stringify(await compiledPlugin())}
const registry = new Registry({ collisions: 'error' })
registry.int('requests')
try { registry.register('requests', () => 1) } catch (err) { process.stdout.write(err.message) }
`)
  const expected = `Var "requests" is already registered (by ${script}:3:10); a second registration from ${script}:4:16 is refused because collisions is "error"`
  const mapped = await run(process.execPath, ['--enable-source-maps', script], { env: childEnv })
  t.equal(mapped.stdout, expected, 'node --enable-source-maps')
  const tsxRun = await run(tsx, [script], { env: childEnv })
  t.equal(tsxRun.stdout, expected, 'tsx')
})
