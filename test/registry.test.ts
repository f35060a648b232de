// The registry's API: the ways to publish, get-or-create handles, lookups, and coded errors.
import Fastify from 'fastify'
import { test } from 'tap'
import expvar, { ExpVar, type ExpvarLogger, FuncVar, IntVar, MapVar, Registry, StringVar, errors } from '../index.js'
import { BUILTIN_NAMES } from '../lib/builtins/index.js'
import { WARN, build, logsFor, processWarnings, scrape } from './helpers.js'

test('register(name, fn) pulls the value at every scrape', async (t) => {
  const { app } = await build()
  let n = 0
  const v = app.expvar.register('queue', () => ++n)
  t.ok(v instanceof FuncVar)
  t.same(await scrape(app), { queue: 1 })
  t.same(await scrape(app), { queue: 2 })
})

test('register(def) takes { name, value }, an ExpVar instance and an ExpVar subclass', async (t) => {
  const { app } = await build()
  class Example extends ExpVar {
    name = 'example'
    base = 40
    value (): number { return this.base + 2 }
  }
  app.expvar.register(Example)
  app.expvar.register(new (class extends ExpVar {
    name = 'instance'
    value (): string { return 'yes' }
  })())
  app.expvar.register({ name: 'plain', value: () => [1, 2] })
  t.same(await scrape(app), { example: 42, instance: 'yes', plain: [1, 2] })
})

test('register(name, var) publishes any object with value() and string()', async (t) => {
  const { app } = await build()
  const custom = { value: () => 7, string: () => '7' }
  t.equal(app.expvar.register('custom', custom), custom)
  const counter = new IntVar()
  counter.add(3)
  app.expvar.register('counter', counter)
  t.equal(app.expvar.int('counter'), counter, 'a published IntVar is an int handle')
  t.same(await scrape(app), { counter: 3, custom: 7 })
  t.throws(() => app.expvar.int('custom'), { code: 'FST_EXPVAR_WRONG_KIND', message: 'Var "custom" is a custom var, not an IntVar' })
})

test('handles are get-or-create: the same kind returns the same handle', async (t) => {
  const registry = new Registry()
  t.equal(registry.int('i'), registry.int('i'))
  t.equal(registry.float('f'), registry.float('f'))
  t.equal(registry.string('s'), registry.string('s'))
  t.equal(registry.map('m'), registry.map('m'))
  const fn = (): number => 1
  const f = registry.func('fn', fn)
  t.equal(registry.func('fn', () => 2), f, 'an existing func is returned as it is')
  t.equal(f.value(), 1)
  t.ok(registry.get('m') instanceof MapVar)
  t.ok(registry.get('s') instanceof StringVar)
})

test('a handle of another kind for an existing name is a coded error', async (t) => {
  const registry = new Registry()
  registry.int('requests')
  registry.register('queue', () => 1)
  t.throws(() => registry.map('requests'), { code: 'FST_EXPVAR_WRONG_KIND', message: 'Var "requests" is an IntVar, not a MapVar' })
  t.throws(() => registry.float('requests'), errors.FST_EXPVAR_WRONG_KIND)
  t.throws(() => registry.string('requests'), errors.FST_EXPVAR_WRONG_KIND)
  t.throws(() => registry.func('requests', () => 1), errors.FST_EXPVAR_WRONG_KIND)
  t.throws(() => registry.int('queue'), { code: 'FST_EXPVAR_WRONG_KIND', message: 'Var "queue" is a FuncVar, not an IntVar' })
})

test('an empty or non-string name is a coded error', async (t) => {
  const registry = new Registry()
  t.throws(() => registry.int(''), { code: 'FST_EXPVAR_INVALID_NAME', message: 'Invalid var name "": a var name must be a non-empty string' })
  t.throws(() => registry.int(42 as unknown as string), { code: 'FST_EXPVAR_INVALID_NAME', message: /name 42/ })
  t.throws(() => registry.register(null as unknown as string, () => 1), { code: 'FST_EXPVAR_INVALID_NAME' })
  t.throws(() => registry.register({ name: '', value: () => 1 }), { code: 'FST_EXPVAR_INVALID_NAME' })
  t.throws(() => registry.register({ value: () => 1 } as unknown as ExpVar), { code: 'FST_EXPVAR_INVALID_NAME', message: /name undefined/ })
  t.same(registry.names(), [], 'nothing half-registered')
})

test('definition classes: a value field counts, a throwing constructor and a named class are coded errors', async (t) => {
  const registry = new Registry()
  class FieldValue extends ExpVar {
    name = 'field'
    value = (): number => 5
  }
  class NoBase {
    name = 'nobase'
    value = (): number => 6
  }
  registry.register(FieldValue)
  registry.register(NoBase)
  t.same(await registry.snapshot(), { field: 5, nobase: 6 })
  class Throws extends ExpVar {
    name = 'throws'
    constructor () { super(); throw new Error('no config') }
    value (): number { return 1 }
  }
  t.throws(() => registry.register(Throws), { code: 'FST_EXPVAR_INVALID_VAR', message: 'Invalid var Throws: its constructor threw: no config', cause: { message: 'no config' } })
  t.throws(() => registry.register('x', FieldValue as unknown as () => unknown), { code: 'FST_EXPVAR_INVALID_VAR', message: /a class goes to register\(Class\), without a name/ })
  t.same(registry.names(), ['field', 'nobase'])
})

test('a var that is not a function or a var is a coded error', async (t) => {
  const registry = new Registry()
  t.throws(() => registry.register('x', 42 as unknown as () => unknown), { code: 'FST_EXPVAR_INVALID_VAR', message: /Invalid var "x": register\(name, value\) takes a function or a var/ })
  t.throws(() => registry.register({ name: 'x', value: 42 } as unknown as ExpVar), { code: 'FST_EXPVAR_INVALID_VAR', message: 'Invalid var "x": its value must be a function' })
  t.throws(() => registry.register({} as unknown as ExpVar), { code: 'FST_EXPVAR_INVALID_VAR', message: 'Invalid var without a name: its value must be a function' })
  t.throws(() => registry.register((() => 1) as unknown as ExpVar), { code: 'FST_EXPVAR_INVALID_VAR', message: /a definition is \{ name, value \}/ })
  t.throws(() => registry.func('f', 'nope' as unknown as () => unknown), { code: 'FST_EXPVAR_INVALID_VAR', message: 'Invalid var FuncVar: expected a function, got \'nope\'' })
  t.throws(() => registry.register('', () => 1), { code: 'FST_EXPVAR_INVALID_NAME' })
  t.same(registry.names(), [])
})

test('typed handles reject values of the wrong type with a coded error', async (t) => {
  const registry = new Registry()
  const i = registry.int('i')
  t.throws(() => i.add('1' as unknown as number), { code: 'FST_EXPVAR_INVALID_VALUE', message: 'Invalid argument to IntVar.add(): expected a safe integer (the Int stays within ±Number.MAX_SAFE_INTEGER), got \'1\'' })
  t.throws(() => i.add(true as unknown as number), { code: 'FST_EXPVAR_INVALID_VALUE', message: /got true$/ })
  t.throws(() => i.add(1n as unknown as number), { code: 'FST_EXPVAR_INVALID_VALUE', message: /got 1n$/ })
  t.throws(() => registry.float('f').add(Symbol('s') as unknown as number), { code: 'FST_EXPVAR_INVALID_VALUE', message: /got Symbol\(s\)$/ })
  t.throws(() => registry.map('m').add('k', 1n as unknown as number), { code: 'FST_EXPVAR_INVALID_VALUE' })
  t.throws(() => i.add(1.5), { message: /IntVar\.add\(\): expected a safe integer .*, got 1\.5$/ })
  t.throws(() => i.set(NaN), { code: 'FST_EXPVAR_INVALID_VALUE' })
  t.throws(() => i.set(2 ** 53), { code: 'FST_EXPVAR_INVALID_VALUE', message: /got 9007199254740992$/ })
  i.set(Number.MAX_SAFE_INTEGER - 1)
  i.add(1)
  t.throws(() => i.add(1), { code: 'FST_EXPVAR_INVALID_VALUE' }, 'a count past 2^53 - 1 would no longer be exact')
  t.equal(i.value(), Number.MAX_SAFE_INTEGER, 'and the refused add left the Int as it was')
  i.set(0)
  t.throws(() => registry.float('f').add(null as unknown as number), { message: 'Invalid argument to FloatVar.add(): expected a number, got null' })
  t.throws(() => registry.float('f').set('2' as unknown as number), { code: 'FST_EXPVAR_INVALID_VALUE' })
  t.throws(() => registry.string('s').set(1 as unknown as string), { message: 'Invalid argument to StringVar.set(): expected a string, got 1' })
  const m = registry.map('m')
  t.throws(() => m.add(1 as unknown as string, 1), { message: 'Invalid argument to MapVar.add(): expected a string key, got 1' })
  t.throws(() => m.addFloat(undefined as unknown as string, 1), { code: 'FST_EXPVAR_INVALID_VALUE' })
  t.throws(() => m.add('k', 0.5), { code: 'FST_EXPVAR_INVALID_VALUE' })
  t.throws(() => m.addFloat('k', 'x' as unknown as number), { code: 'FST_EXPVAR_INVALID_VALUE' })
  t.throws(() => m.set('k', 5 as unknown as IntVar), { message: 'Invalid argument to MapVar.set(): expected a var or null, got 5' })
  t.equal(i.value(), 0)
  t.equal(m.string(), '{}', 'a rejected add creates no key')
})

test('get, delete, names and do', async (t) => {
  const registry = new Registry()
  registry.int('b').add(2)
  registry.register('a', () => 'x')
  registry.map('c')
  t.same(registry.names(), ['a', 'b', 'c'])
  const seen: string[] = []
  registry.do((kv) => seen.push(`${kv.key}=${kv.value.string()}`))
  t.same(seen, ['a="x"', 'b=2', 'c={}'])
  t.equal(registry.delete('b'), true)
  t.equal(registry.delete('b'), false)
  t.equal(registry.get('b'), undefined)
  t.same(registry.names(), ['a', 'c'])
  t.equal(await registry.document(), '{\n"a": "x",\n"c": {}\n}\n')
  registry.int('b')
  t.same(registry.names(), ['a', 'b', 'c'], 'a name can be published again after delete')
})

test('delete(name, var) removes one registration of a name; the name goes with its last', async (t) => {
  const registry = new Registry()
  const first = registry.register('shared', () => ({ a: 1 }))
  const second = registry.register('shared', () => ({ b: 2 }))
  t.equal(registry.delete('shared', { value: () => 0, string: () => '0' }), false, 'a var never published under it')
  t.equal(registry.delete('missing', first), false)
  t.equal(registry.delete('shared', first), true)
  t.same(await registry.snapshot(), { shared: { b: 2 } })
  t.equal(registry.delete('shared', second), true)
  t.same(registry.names(), [])
})

test('document() with vars that are not an array of names rejects with a coded error', async (t) => {
  const registry = new Registry()
  await t.rejects(registry.document({ vars: 'a' as unknown as string[] }), { code: 'FST_EXPVAR_INVALID_VALUE', message: "Invalid argument to Registry.document(): expected vars as an array of names, got 'a'" })
  await t.rejects(registry.document({ vars: [1] as unknown as string[] }), { code: 'FST_EXPVAR_INVALID_VALUE' })
  // Neither a symbol (which String() refuses) nor null makes document() throw instead of reject.
  await t.rejects(registry.document({ vars: [Symbol('x')] as unknown as string[] }), { code: 'FST_EXPVAR_INVALID_VALUE', message: /an array with a name that is not a string/ })
  await t.rejects(registry.document(null as unknown as undefined), { code: 'FST_EXPVAR_INVALID_VALUE', message: /got null/ })
  await t.rejects(registry.snapshot(null as unknown as undefined), { code: 'FST_EXPVAR_INVALID_VALUE' })
})

test('document() and scrape() given an object without a prototype, or no format, reject with a coded error, never a TypeError', async (t) => {
  const registry = new Registry()
  registry.int('a').add(1)
  // An object without a prototype has no toString (String() of it throws); a getter may throw when read.
  const hostile = { get [Symbol.toStringTag] () { throw new Error('read') } }
  const options: [unknown, RegExp][] = [
    [{ vars: Object.create(null) }, /^Invalid argument to Registry\.document\(\): expected vars as an array of names, got \[Object: null prototype\] \{\}$/],
    [{ vars: hostile }, /expected vars as an array of names, got object$/],
    [{ vars: () => 1 }, /got \[Function: vars\]$/]
  ]
  for (const [given, message] of options) {
    await t.rejects(registry.document(given as never), { code: 'FST_EXPVAR_INVALID_VALUE', message })
  }
  t.equal(await registry.document(Object.create(null)), '{\n"a": 1\n}\n', 'options without a prototype are options')
  const formats: [unknown, RegExp][] = [
    [null, /got null$/],
    [undefined, /got undefined$/],
    [{}, /got \{\}$/],
    [{ id: 'x' }, /got \{ id: 'x' \}$/],
    [{ id: 1, open: () => ({}) }, /got/],
    [{ id: 'x', open: 1 }, /got \{ id: 'x', open: 1 \}$/],
    [Object.create(null), /got \[Object: null prototype\] \{\}$/]
  ]
  for (const [format, message] of formats) {
    let thrown: unknown
    try {
      await t.rejects(registry.scrape(format as never), { code: 'FST_EXPVAR_INVALID_VALUE', message: new RegExp(/^Invalid argument to Registry\.scrape\(\): expected a format \{ id: string, open\(\) \}, /.source + message.source) })
    } catch (err) {
      thrown = err
    }
    t.equal(thrown, undefined, 'scrape() rejects, never throws')
  }
  const names: string[] = []
  t.equal(await registry.scrape({ id: 'names', open: () => ({ add: (reading) => { names.push(reading.name) }, end: () => names.join() }) }), 'a', 'a format of its own still scrapes')
})

test('a Registry refuses options that are not an object, or unknown ones, with a coded error', async (t) => {
  t.throws(() => new Registry(null as unknown as undefined), { code: 'FST_EXPVAR_INVALID_OPTION', message: /got null/ })
  t.throws(() => new Registry({ timout: 5 } as unknown as undefined), { code: 'FST_EXPVAR_INVALID_OPTION', message: /"timout"/ })
})

test('a registry shared by instances one after another keeps no builtin of a closed one', async (t) => {
  const registry = new Registry()
  for (let i = 0; i < 3; i++) {
    const app = Fastify()
    await app.register(expvar, { registry, builtins: BUILTIN_NAMES })
    t.same(Object.keys(await scrape(app)), ['cmdline', 'memstats', ...BUILTIN_NAMES].sort())
    await app.close()
  }
  t.same(registry.names(), [], 'every builtin withdrew its var on close')
  const strict = new Registry({ collisions: 'error' })
  for (let i = 1; i <= 2; i++) {
    const app = Fastify()
    await t.resolves(async () => { await app.register(expvar, { registry: strict }).ready() }, `instance ${i} on a strict registry takes the builtins (the one before it closed)`)
    await app.close()
  }
})

test('a Registry works without Fastify; failures go to process warnings', async (t) => {
  const registry = new Registry()
  registry.int('n').add(1)
  registry.register('bad', () => { throw new Error('broken') })
  const warnings = processWarnings(t)
  t.same(await registry.snapshot(), { n: 1 })
  registry.register('clash', () => 1)
  registry.register('clash', () => 2)
  t.same(await registry.snapshot({ vars: ['clash'] }), { clash: 2 })
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(warnings.length, 2)
  t.equal(warnings[0]?.name, 'ExpvarWarning')
  t.match(warnings[0]?.message, /"bad" is left out.*broken/s)
  t.match(warnings[1]?.message, /"clash" is registered by/)
})

test('Registry options are checked with coded errors', async (t) => {
  t.throws(() => new Registry({ collisions: 'ignore' as 'merge' }), { code: 'FST_EXPVAR_INVALID_OPTION', message: /Invalid option "collisions"/ })
  t.throws(() => new Registry({ timeout: 0 }), { code: 'FST_EXPVAR_INVALID_OPTION', message: /"timeout"/ })
  t.throws(() => new Registry({ timeout: Infinity }), { code: 'FST_EXPVAR_INVALID_OPTION' })
  t.throws(() => new Registry({ timeout: '5' as unknown as number }), { code: 'FST_EXPVAR_INVALID_OPTION' })
  t.throws(() => new Registry({ logger: {} as unknown as ExpvarLogger }), { code: 'FST_EXPVAR_INVALID_OPTION', message: /"logger"/ })
  t.throws(() => new Registry({ logger: { warn () {} } as unknown as ExpvarLogger }), { code: 'FST_EXPVAR_INVALID_OPTION' })
})

test('a registry handed to the plugin is shared with the code that made it', async (t) => {
  const registry = new Registry()
  const jobs = registry.int('jobs')
  const app = Fastify()
  await app.register(expvar, { registry, cmdline: false, memstats: false })
  t.equal(app.expvar, registry)
  jobs.add(5)
  t.same(await scrape(app), { jobs: 5 })
})

test('two Fastify instances in one process have independent registries', async (t) => {
  const one = await build()
  const two = await build()
  one.app.expvar.int('requests').add(1)
  two.app.expvar.map('requests').add('x', 1)
  t.not(one.app.expvar, two.app.expvar)
  t.same(await scrape(one.app), { requests: 1 })
  t.same(await scrape(two.app), { requests: { x: 1 } })
})

test('document() with a logger logs this scrape there', async (t) => {
  const { app, logs } = await build()
  app.expvar.register('bad', () => { throw new Error('x') })
  const lines: unknown[] = []
  const logger = { warn: () => {}, error: (obj: object) => { lines.push(obj) } }
  t.equal(await app.expvar.document({ log: logger }), '{\n\n}\n')
  t.equal(lines.length, 1)
  t.equal(logsFor(logs, 'bad', WARN).length, 0)
})

test('a Float refuses NaN and ±Infinity, as an Int refuses what it cannot hold, and stays as it was', async (t) => {
  const registry = new Registry()
  const f = registry.float('f')
  f.set(1.5)
  for (const bad of [NaN, Infinity, -Infinity]) {
    t.throws(() => f.set(bad), { code: 'FST_EXPVAR_INVALID_VALUE', message: `Invalid argument to FloatVar.set(): expected a finite number (the Float stays finite), got ${bad}` })
    t.throws(() => f.add(bad), { code: 'FST_EXPVAR_INVALID_VALUE', message: `Invalid argument to FloatVar.add(): expected a finite number (the Float stays finite), got ${bad}` })
  }
  f.set(Number.MAX_VALUE)
  t.throws(() => f.add(Number.MAX_VALUE), { code: 'FST_EXPVAR_INVALID_VALUE', message: `Invalid argument to FloatVar.add(): expected a delta that keeps the Float finite, got ${Number.MAX_VALUE}, which would make it Infinity` })
  t.equal(f.value(), Number.MAX_VALUE)
  const m = registry.map('m')
  t.throws(() => m.addFloat('k', NaN), { code: 'FST_EXPVAR_INVALID_VALUE' })
  t.equal(m.string(), '{}', 'a refused addFloat creates no key')
  t.same(JSON.parse(await registry.document()), { f: Number.MAX_VALUE, m: {} })
})

test('an add past 2^53 blames the sum it would make, not its argument', async (t) => {
  const i = new Registry().int('i')
  i.set(Number.MAX_SAFE_INTEGER)
  t.throws(() => i.add(1), { code: 'FST_EXPVAR_INVALID_VALUE', message: 'Invalid argument to IntVar.add(): expected a delta that keeps the Int within ±Number.MAX_SAFE_INTEGER, got 1, which would make it 9007199254740992' })
  t.throws(() => i.add(2 ** 60), { message: /expected a safe integer .*, got 1152921504606847000$/, code: 'FST_EXPVAR_INVALID_VALUE' }, 'an argument that is itself too large is blamed')
  t.equal(i.value(), Number.MAX_SAFE_INTEGER)
})

test('a handle asked for again with metadata gains the fields it lacked, and refuses a different one', async (t) => {
  const registry = new Registry()
  const orders = registry.int('orders')
  orders.add(2)
  t.equal(registry.int('orders', { type: 'counter', help: 'Orders placed.' }), orders, 'the same handle')
  t.equal(await registry.metrics(), '# HELP orders_total Orders placed.\n# TYPE orders_total counter\norders_total 2\n', 'the fields it gained are written')
  t.throws(() => registry.int('orders', { type: 'gauge' }), { code: 'FST_EXPVAR_META_CONFLICT', message: /type 'counter'.*type 'gauge'/ })
  t.equal(registry.int('orders', { help: 'Orders placed.' }), orders, 'the same field again is no conflict')
  t.equal(registry.int('orders'), orders, 'nor is no metadata')
})
