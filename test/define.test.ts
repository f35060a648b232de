// defineExpvars() and where a registration says it comes from.
import Fastify from 'fastify'
import { test } from 'tap'
import expvar, { ExpVar, Registry, defineExpvars } from '../index.js'
import { WARN, build, logsFor, scrape } from './helpers.js'

class Uptime extends ExpVar {
  name = 'uptime'
  value (): number { return 12 }
}

test('defineExpvars() is a plugin that publishes its definitions', async (t) => {
  const { app } = await build()
  await app.register(defineExpvars(Uptime, new (class extends ExpVar { name = 'one'; value (): number { return 1 } })(), { name: 'obj', value: () => ({ a: 1 }) }))
  t.same(await scrape(app), { obj: { a: 1 }, one: 1, uptime: 12 })
})

test('defineExpvars() checks its definitions when it is called', async (t) => {
  t.throws(() => defineExpvars({ name: 'x', value: 1 } as unknown as ExpVar), { code: 'FST_EXPVAR_INVALID_VAR' })
})

test('vars from defineExpvars() name the file that called it as their source', async (t) => {
  const { app, logs } = await build()
  app.expvar.register('uptime', () => 1)
  await app.register(defineExpvars(Uptime))
  await scrape(app)
  const [warning] = logsFor(logs, 'uptime', WARN)
  t.equal(warning?.sources?.length, 2)
  for (const source of warning?.sources ?? []) t.match(source, /define\.test\.ts:\d+:\d+$/)
})

test('a definition may name its own source', async (t) => {
  const registry = new Registry({ collisions: 'error' })
  registry.register({ name: 'x', value: () => 1, source: 'billing/expvars/x.ts' })
  t.throws(() => registry.register('x', () => 2), { message: /already registered \(by billing\/expvars\/x\.ts\)/ })
})

test('a registration with no caller outside the plugin has an unknown source', async (t) => {
  const registry = new Registry({ collisions: 'error' })
  await new Promise((resolve) => {
    setImmediate(registry.int.bind(registry, 'y'))
    setImmediate(resolve)
  })
  t.throws(() => registry.register('y', () => 1), { message: /already registered \(by unknown\)/ })
})

test('a registration from an ES module without source maps names its file', async (t) => {
  const registry = new Registry({ collisions: 'error' })
  const { default: publish } = await import('./fixtures/publish.mjs')
  publish(registry)
  t.throws(() => registry.register('from-mjs', () => 1), { message: /already registered \(by \/.*\/test\/fixtures\/publish\.mjs:\d+:\d+\)/ })
})

test('the plugin and a standalone registry agree on the document', async (t) => {
  const registry = new Registry()
  registry.register(Uptime)
  const app = Fastify()
  await app.register(expvar, { registry, cmdline: false, memstats: false })
  t.equal((await app.inject('/debug/vars')).body, await registry.document())
})
