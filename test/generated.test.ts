// fastify-expvar inside an app laid out as Fastify's generator makes it: @fastify/autoload loads
// plugins/ and routes/, fastify-expvar is registered from plugins/ (fastify-plugin-wrapped, so its
// decorator reaches the routes), the app folders' expvars/ load, and the routes publish through
// fastify.expvar. And a user who points @fastify/autoload at an expvars/ folder directly.
import { join } from 'node:path'
import { Writable } from 'node:stream'
import AutoLoad from '@fastify/autoload'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { test } from 'tap'
import expvar from '../index.js'
import generatedApp from './fixtures/generated/app.js'

const GENERATED = join(import.meta.dirname, 'fixtures', 'generated')
const WARN = 40

function logged (): { logs: { level: number, msg: string }[], logger: { level: string, stream: Writable } } {
  const logs: { level: number, msg: string }[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString()))
      done()
    }
  })
  return { logs, logger: { level: 'debug', stream } }
}

async function vars (app: FastifyInstance): Promise<Record<string, unknown>> {
  const res = await app.inject('/debug/vars')
  if (res.statusCode !== 200) throw new Error(`GET /debug/vars answered ${res.statusCode}`)
  return JSON.parse(res.body) as Record<string, unknown>
}

// fastify-cli's `fastify start` wraps the app's plugin with fastify-plugin; the generated tests'
// helper registers it as it is. Both must work.
for (const [how, plugin] of [['as fastify start registers it (fp-wrapped)', fp(generatedApp)], ['as a plain plugin', generatedApp]] as const) {
  test(`the generator's layout, ${how}: the app folders' expvars/ load and the routes publish through fastify.expvar`, async (t) => {
    const { logs, logger } = logged()
    const app = Fastify({ logger })
    t.teardown(() => app.close())
    await app.register(plugin)
    t.same((await app.inject('/')).json(), { root: true })
    t.same((await app.inject('/users/ada')).json(), { id: 'ada' })
    await app.inject('/users/ada')
    await app.inject('/users/grace')
    const document = await vars(app)
    t.same(document.build, { version: '1.0.0' }, 'expvars/ of the app folder')
    t.same(document.online, { users: 2 }, 'routes/users/expvars/ of the feature folder')
    t.equal(document.visits, 1, 'routes/root.ts counted through fastify.expvar')
    t.same(document.lookups, { ada: 2, grace: 1 }, 'routes/users/index.ts counted through fastify.expvar')
    t.ok('memstats' in document && 'cmdline' in document, "Go's default vars")
    t.same(logs.filter((line) => line.level >= WARN).map((line) => line.msg), [], 'nothing logged at warn or above')
    t.notMatch(app.printPlugins(), /── online \d+ ms/, 'autoload left routes/users/expvars/ to fastify-expvar (ignorePattern)')
    const metrics = await app.expvar.metrics()
    t.match(metrics, /^visits_total 1$/m, 'the routes\' metadata reaches Prometheus')
    t.match(metrics, /^lookups_total\{user="ada"\} 2$/m)
  })
}

test("autoload's ignorePattern is what keeps it out of routes/users/expvars/: without it the var file is registered twice", async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fp(async (fastify) => {
    await fastify.register(AutoLoad, { dir: join(GENERATED, 'plugins') })
    await fastify.register(AutoLoad, { dir: join(GENERATED, 'routes') })
  }))
  await app.ready()
  // autoload registered online.ts as a route plugin (under /users/expvars), beside fastify-expvar's
  // load of it (which avvio lists as loadVarFile): the plugin tree names its function.
  t.match(app.printPlugins(), /── online \d+ ms/, 'online.ts was registered by autoload too')
})

test('@fastify/autoload pointed at an expvars/ folder directly loads its var files as plugins', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(expvar, { cmdline: false, memstats: false })
  await app.register(AutoLoad, { dir: join(GENERATED, 'expvars') })
  await app.register(AutoLoad, { dir: join(GENERATED, 'routes', 'users', 'expvars') })
  t.same(await vars(app), { build: { version: '1.0.0' }, online: { users: 2 } })
})

test('what autoload loses against apps: a var file that exports no plugin is skipped and ready() passes', async (t) => {
  const folder = join(import.meta.dirname, 'fixtures', 'apps', 'plain-object-export')
  const viaAutoload = Fastify()
  t.teardown(() => viaAutoload.close())
  await viaAutoload.register(expvar, { cmdline: false, memstats: false })
  await viaAutoload.register(AutoLoad, { dir: join(folder, 'expvars') })
  t.same(await vars(viaAutoload), {}, 'autoload: the var is missing, and nothing failed')

  const viaApps = Fastify()
  t.teardown(() => viaApps.close())
  viaApps.register(expvar, { cmdline: false, memstats: false, apps: [folder] })
  await t.rejects(async () => { await viaApps.ready() }, { code: 'FST_EXPVAR_INVALID_EXPORT', message: /object\.ts/ }, 'apps: the file is named')
})
