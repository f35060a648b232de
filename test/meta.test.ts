// Metadata on every publish path: checked when published (coded errors), combined per name, and
// handed to every format's writer with the reading's kind.
import { inspect } from 'node:util'
import { test } from 'tap'
import { ExpVar, type Format, type Reading, Registry } from '../index.js'

/** A format that keeps what it was handed: the readings' name, kind and meta. */
function recorder (): { format: Format, seen: Pick<Reading, 'name' | 'kind' | 'meta'>[] } {
  const seen: Pick<Reading, 'name' | 'kind' | 'meta'>[] = []
  const format: Format = {
    id: 'recorder',
    open () {
      const lines: string[] = []
      return {
        add ({ name, kind, meta, value }) {
          seen.push({ name, kind, meta })
          lines.push(`${name}=${JSON.stringify(value)}`)
        },
        end: () => lines.join('\n')
      }
    }
  }
  return { format, seen }
}

test('a custom format gets every reading with its kind and its metadata', async (t) => {
  const registry = new Registry()
  registry.int('i', { type: 'counter', help: 'an int' }).add(1)
  registry.float('f', { type: 'gauge' }).set(1.5)
  registry.string('s', { help: 'a string' }).set('x')
  registry.map('m', { label: 'route', type: 'counter' }).add('/a', 2)
  registry.func('fn', () => 3, { aggregate: 'max' })
  registry.register('custom', { value: () => 4, string: () => '4' }, { aggregate: 'first' })
  registry.register({ name: 'def', value: () => 5, help: 'a definition', aggregate: 'min' })
  class Pool extends ExpVar {
    name = 'pool'
    type = 'gauge' as const
    label = 'state'
    value (): unknown { return { idle: 2 } }
  }
  registry.register(Pool)
  // Two registrations of one name: their metadata combined.
  registry.register('both', () => ({ a: 1 }), { help: 'merged' })
  registry.register('both', () => ({ b: 2 }), { aggregate: 'sum' })
  const { format, seen } = recorder()
  t.equal(await registry.scrape(format), 'both={"a":1,"b":2}\ncustom=4\ndef=5\nf=1.5\nfn=3\ni=1\nm={"/a":2}\npool={"idle":2}\ns="x"')
  t.same(seen, [
    { name: 'both', kind: 'custom', meta: { help: 'merged', aggregate: 'sum' } },
    { name: 'custom', kind: 'custom', meta: { aggregate: 'first' } },
    { name: 'def', kind: 'func', meta: { help: 'a definition', aggregate: 'min' } },
    { name: 'f', kind: 'float', meta: { type: 'gauge' } },
    { name: 'fn', kind: 'func', meta: { aggregate: 'max' } },
    { name: 'i', kind: 'int', meta: { type: 'counter', help: 'an int' } },
    { name: 'm', kind: 'map', meta: { label: 'route', type: 'counter' } },
    { name: 'pool', kind: 'func', meta: { type: 'gauge', label: 'state' } },
    { name: 's', kind: 'string', meta: { help: 'a string' } }
  ])
  t.ok(Object.isFrozen(seen[0]?.meta), 'a reading\'s metadata cannot be changed by a writer')
  const again = recorder()
  await registry.scrape(again.format, { vars: ['i'] })
  t.same(again.seen, [{ name: 'i', kind: 'int', meta: { type: 'counter', help: 'an int' } }], 'the selection reaches the format')
})

test('bad metadata is FST_EXPVAR_INVALID_META on every publish path, naming the var and the field', async (t) => {
  const bad: [unknown, RegExp][] = [
    ['counter', /^Invalid metadata for var "v": meta must be an object \{ help, type, label, aggregate \}, got 'counter'$/],
    [null, /meta must be an object .*got null$/],
    [{ help: 1 }, /help must be a string, got 1$/],
    [{ type: 'histogram' }, /type must be 'counter' or 'gauge', got 'histogram'$/],
    [{ label: 'has-dash' }, /label must be a Prometheus label name .*got 'has-dash'$/],
    [{ label: '__reserved' }, /label must be a Prometheus label name/],
    [{ label: 7n }, /label must be .*got 7n$/],
    [{ aggregate: 'median' }, /aggregate must be 'sum', 'max', 'min', 'avg', 'first', got 'median'$/],
    [{ aggregate: Symbol('x') }, /aggregate must be .*got Symbol\(x\)$/],
    [{ halp: 'typo' }, /halp must be one of help, type, label, aggregate, got 'halp'$/]
  ]
  for (const [meta, message] of bad) {
    const registry = new Registry()
    const paths: [string, () => unknown][] = [
      ['int', () => registry.int('v', meta as never)],
      ['float', () => registry.float('v', meta as never)],
      ['string', () => registry.string('v', meta as never)],
      ['map', () => registry.map('v', meta as never)],
      ['func', () => registry.func('v', () => 1, meta as never)],
      ['register(name, fn, meta)', () => registry.register('v', () => 1, meta as never)],
      ['register(name, var, meta)', () => registry.register('v', { value: () => 1, string: () => '1' }, meta as never)]
    ]
    for (const [path, publish] of paths) {
      t.throws(publish, { code: 'FST_EXPVAR_INVALID_META', message }, `${path} with ${inspect(meta)}`)
    }
    t.same(registry.names(), [], 'nothing was published')
  }
  // In a definition, beside name and value: the same fields, the same checks.
  const registry = new Registry()
  t.throws(() => registry.register({ name: 'v', value: () => 1, type: 'histogram' } as never), { code: 'FST_EXPVAR_INVALID_META', message: /type must be 'counter' or 'gauge'/ })
  class Bad extends ExpVar {
    name = 'v'
    aggregate = 'median' as never
    value (): unknown { return 1 }
  }
  t.throws(() => registry.register(Bad), { code: 'FST_EXPVAR_INVALID_META', message: /aggregate must be/ })
  t.same(registry.names(), [])
})

test('a second registration of a name with conflicting metadata is FST_EXPVAR_META_CONFLICT; the name keeps the first', async (t) => {
  const registry = new Registry()
  registry.register('jobs', () => ({ a: 1 }), { type: 'gauge', help: 'jobs' })
  t.throws(() => registry.register('jobs', () => ({ b: 2 }), { type: 'counter' }), {
    code: 'FST_EXPVAR_META_CONFLICT',
    message: 'Var "jobs" is already published with type \'gauge\'; asking for it with type \'counter\' is refused'
  })
  t.throws(() => registry.map('hits', { label: 'route' }) && registry.map('hits', { label: 'path' }), { code: 'FST_EXPVAR_META_CONFLICT', message: /label 'route'.*label 'path'/ })
  t.same(await registry.snapshot(), { hits: {}, jobs: { a: 1 } }, 'the refused registration was not added')
  // Deleting a registration takes its metadata with it.
  const other = registry.register('jobs', () => ({ c: 3 }), { aggregate: 'max' })
  registry.delete('jobs', other)
  const { format, seen } = recorder()
  await registry.scrape(format, { vars: ['jobs'] })
  t.same(seen[0]?.meta, { type: 'gauge', help: 'jobs' })
})

test('bad registry options and bad scrape options are coded errors; a scrape rejects, never throws', async (t) => {
  t.throws(() => new Registry(null as never), { code: 'FST_EXPVAR_INVALID_OPTION', message: /expected an object \{ collisions, timeout, logger \}, got null/ })
  t.throws(() => new Registry({ timeot: 5 } as never), { code: 'FST_EXPVAR_INVALID_OPTION', message: /timeot/ })
  const registry = new Registry()
  t.throws(() => registry.register(Symbol('s') as never, () => 1), { code: 'FST_EXPVAR_INVALID_NAME', message: /^Invalid var name Symbol\(s\):/ })
  t.throws(() => registry.int(1n as never), { code: 'FST_EXPVAR_INVALID_NAME', message: /^Invalid var name 1n:/ })
  const { format } = recorder()
  for (const options of ['vars', null, { vars: 'a' }, { vars: [1] }]) {
    let thrown: unknown
    let promise: Promise<string> | undefined
    try {
      promise = registry.document(options as never)
    } catch (err) {
      thrown = err
    }
    t.equal(thrown, undefined, `document(${JSON.stringify(options)}) does not throw`)
    await t.rejects(promise as Promise<string>, { code: 'FST_EXPVAR_INVALID_VALUE' })
    await t.rejects(registry.scrape(format, options as never), { code: 'FST_EXPVAR_INVALID_VALUE' })
  }
})
