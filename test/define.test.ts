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

test('an ExpVar subclass whose constructor throws null, or something unprintable, is a coded error', async (t) => {
  class Nothing extends ExpVar {
    name = 'nothing'
    constructor () {
      super()
      // eslint-disable-next-line no-throw-literal
      throw null
    }

    value (): number { return 1 }
  }
  const registry = new Registry()
  t.throws(() => registry.register(Nothing), { code: 'FST_EXPVAR_INVALID_VAR', message: 'Invalid var Nothing: its constructor threw: null', cause: null })
  t.throws(() => defineExpvars(Nothing), { code: 'FST_EXPVAR_INVALID_VAR' })
  // An anonymous class (an array element gets no name) is named as a class.
  const [anonymous] = [class extends Nothing {}]
  t.throws(() => registry.register(anonymous as typeof Nothing), { message: 'Invalid var class: its constructor threw: null' })
  const Unprintable = class extends ExpVar {
    name = 'x'
    constructor () {
      super()
      throw new Proxy(new Error('hidden'), { get () { throw new Error('trap') }, getPrototypeOf () { throw new Error('trap') } })
    }

    value (): number { return 1 }
  }
  t.throws(() => registry.register(Unprintable), { code: 'FST_EXPVAR_INVALID_VAR', message: /^Invalid var Unprintable: its constructor threw: / })
})

test('a definition with a bigint, symbol or prototype-free name, or a bad value, is a coded error that shows it', async (t) => {
  const registry = new Registry()
  const bad = (def: unknown): () => unknown => () => registry.register(def as ExpVar)
  t.throws(bad({ name: 1n, value: 5 }), { code: 'FST_EXPVAR_INVALID_VAR', message: 'Invalid var 1n: its value must be a function' })
  t.throws(bad({ name: Symbol('s'), value: 5 }), { code: 'FST_EXPVAR_INVALID_VAR', message: 'Invalid var Symbol(s): its value must be a function' })
  t.throws(bad({ value: 5 }), { code: 'FST_EXPVAR_INVALID_VAR', message: 'Invalid var without a name: its value must be a function' })
  t.throws(bad({ name: 'n', value: 5 }), { code: 'FST_EXPVAR_INVALID_VAR', message: 'Invalid var "n": its value must be a function' })
  t.throws(bad({ name: 1n, value: () => 5 }), { code: 'FST_EXPVAR_INVALID_NAME', message: 'Invalid var name 1n: a var name must be a non-empty string' })
  t.throws(bad({ name: Symbol('s'), value: () => 5 }), { code: 'FST_EXPVAR_INVALID_NAME', message: /^Invalid var name Symbol\(s\)/ })
  t.throws(bad({ name: Object.create(null), value: () => 5 }), { code: 'FST_EXPVAR_INVALID_NAME', message: /^Invalid var name \[Object: null prototype\] \{\}/ })
  t.throws(bad({ name: { get [Symbol.toStringTag] () { throw new Error('no') } }, value: () => 5 }), { code: 'FST_EXPVAR_INVALID_NAME', message: /^Invalid var name object:/ })
  t.throws(() => defineExpvars(Symbol('d') as unknown as ExpVar), { code: 'FST_EXPVAR_INVALID_VAR', message: /^Invalid var Symbol\(d\): a definition is/ })
  t.same(registry.names(), [])
})
