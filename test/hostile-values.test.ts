// Values an adversary shapes to break a scrape: past V8's string limit, walks JSON.stringify
// refuses at once, never-ending iterators, re-entrant and self-resolving async values, a promise
// returned again at every scrape, and a Map member that renders no JSON. Each is left out and
// logged; the rest is served.
import { constants } from 'node:buffer'
import { test } from 'tap'
import { type ExpvarLogger, Registry } from '../index.js'

const MAX_TEXT = constants.MAX_STRING_LENGTH
// goRewrite's slice (lib/go-escapes.ts): a long text is rewritten a megabyte at a time.
const SLICE = 1 << 20

/** A registry whose failure log lines are kept: [var, message of the error]. */
function recording (timeout = 500): { registry: Registry, failures: [string, string][] } {
  const failures: [string, string][] = []
  const keep = (obj: object): void => {
    const { var: name, err } = obj as { var: string, err: unknown }
    failures.push([name, err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err)])
  }
  const logger: ExpvarLogger = { warn: keep, error: keep }
  return { registry: new Registry({ logger, timeout }), failures }
}

test('a String of <>& many slices long is written with Go\'s escapes', async (t) => {
  const { registry, failures } = recording()
  registry.string('html').set('<>&'.repeat(1_000_000))
  registry.int('ok').add(1)
  const doc = await registry.document()
  t.equal(doc.length, '{\n"html": "",\n"ok": 1\n}\n'.length + 3_000_000 * 6)
  t.ok(doc.startsWith('{\n"html": "\\u003c\\u003e\\u0026\\u003c'), 'escaped as Go does')
  t.ok(doc.endsWith('\\u0026",\n"ok": 1\n}\n'))
  t.same(failures, [])
})

test('backspace and form feed in a text of several slices are written as Go writes them', async (t) => {
  const { registry } = recording()
  // No backslash of its own, so that JSON.stringify's \b and \f are exactly what Go rewrites.
  const s = ('\b\f<' + 'x'.repeat(1000)).repeat(3000)
  registry.string('s').set(s)
  const go = JSON.stringify(s).replaceAll('\\b', '\\u0008').replaceAll('\\f', '\\u000c').replaceAll('<', '\\u003c')
  t.equal(await registry.document(), '{\n"s": ' + go + '\n}\n')
})

test('a slice boundary never falls between a backslash and what it escapes', async (t) => {
  const { registry } = recording()
  // JSON text: '"', SLICE - 2 letters, then '\"' whose backslash is the slice's last character.
  const s = 'a'.repeat(SLICE - 2) + '"' + '<'.repeat(SLICE)
  registry.string('s').set(s)
  const doc = await registry.document()
  t.equal(doc, '{\n"s": ' + JSON.stringify(s).replaceAll('<', '\\u003c') + '\n}\n')
})

test('a String whose escaped text would pass V8\'s limit is left out and logged; the rest is served', async (t) => {
  const { registry, failures } = recording()
  // Each '<' becomes six characters: 90 M of them would need 540 M, past MAX_TEXT.
  registry.string('huge').set('<'.repeat(90_000_000))
  registry.int('ok').add(1)
  t.equal(await registry.document(), '{\n"ok": 1\n}\n')
  t.equal(failures.length, 1)
  t.match(failures[0], ['huge', /RangeError: .*longer than the longest string V8 can make/])
})

test('two vars too large to share one document: the longest are left out until it fits, each logged', async (t) => {
  const { registry, failures } = recording()
  const size = Math.ceil(MAX_TEXT / 2) + 1_000_000
  registry.register('a', () => 'a'.repeat(size))
  registry.register('b', () => 'b'.repeat(size + 1))
  registry.int('ok').add(1)
  const doc = await registry.document()
  t.equal(doc.length, '{\n"a": "",\n"ok": 1\n}\n'.length + size, 'the longer one is left out, the other served')
  t.ok(doc.startsWith('{\n"a": "aaaa'))
  t.equal(failures.length, 1)
  t.match(failures[0], ['b', /RangeError: the document would be longer than the longest string V8 can make/])
})

test('a sparse array with index 1e9 is refused at once, as JSON.stringify refuses it', async (t) => {
  const { registry, failures } = recording()
  const sparse: number[] = []
  sparse[1e9] = 1
  t.throws(() => JSON.stringify(sparse), RangeError, 'JSON.stringify refuses it')
  registry.register('sparse', () => sparse)
  registry.register('nested', () => ({ list: sparse, n: 1n }))
  registry.int('ok').add(1)
  t.equal(await registry.document(), '{\n"ok": 1\n}\n')
  t.same(failures.map(([name]) => name).sort(), ['nested', 'sparse'])
  t.match(failures[0]?.[1], /RangeError: an array of 1000000001 items is too long to write/)
})

test('a Buffer is written as JSON.stringify writes it', async (t) => {
  const { registry } = recording()
  const buffer = Buffer.alloc(1_000_000, 7)
  registry.register('buffer', () => buffer)
  registry.register('nested', () => ({ buffer: buffer.subarray(0, 3), n: 2n ** 64n }))
  t.same(await registry.snapshot(), { buffer: JSON.parse(JSON.stringify(buffer)), nested: { buffer: { type: 'Buffer', data: [7, 7, 7] }, n: 18446744073709552000 } })
  t.match(await registry.document({ vars: ['nested'] }), /"n":18446744073709551616\}/, 'the bigint beside it is exact')
})

test('an Array, Map or Set subclass whose iterator never ends is written from its items', async (t) => {
  const { registry } = recording()
  const endless = function * (): Generator<never> { for (;;) yield undefined as never }
  class EndlessArray extends Array<number> { override [Symbol.iterator] = endless as () => ArrayIterator<number> }
  class EndlessMap extends Map<string, number> {
    override [Symbol.iterator] = endless as () => MapIterator<[string, number]>
    override entries = endless as () => MapIterator<[string, number]>
    override keys = endless as () => MapIterator<string>
  }
  class EndlessSet extends Set<number> {
    override [Symbol.iterator] = endless as () => SetIterator<number>
    override values = endless as () => SetIterator<number>
  }
  const array = EndlessArray.from([1, 2]) as EndlessArray
  const map = new EndlessMap([['b', 2], ['a', 1]])
  const set = new EndlessSet([3, 4])
  registry.register('array', () => array)
  registry.register('nested', () => ({ array, map, set, n: 1n }))
  t.same(await registry.snapshot(), { array: [1, 2], nested: { array: [1, 2], map: { a: 1, b: 2 }, set: [3, 4], n: 1 } })
})

test('a var that returns its own registry\'s document is left out with FST_EXPVAR_REENTRANT, not a deadlock', async (t) => {
  const { registry, failures } = recording()
  registry.register('self', () => registry.document())
  registry.register('later', async () => { await new Promise((resolve) => setImmediate(resolve)); return registry.document() })
  registry.int('ok').add(1)
  // 'later' asks while the first scrape waits for it: that scrape is shared, so it would wait for
  // itself, and the timeout ends the wait.
  t.equal(await registry.document(), '{\n"ok": 1\n}\n')
  const byName = Object.fromEntries(failures)
  t.match(byName.self, /^FST_EXPVAR_REENTRANT: /)
  t.match(byName.later, /did not settle within 500 ms/)
})

test('thenables: one that resolves to itself, one whose then throws, one resolving to a throwing then getter', async (t) => {
  const { registry, failures } = recording(100)
  const self: { then: (resolve: (value: unknown) => void) => void } = { then (resolve) { resolve(self) } }
  registry.register('self', () => self)
  registry.register('throws', () => ({ then () { throw new Error('then threw') } }))
  registry.register('getter', () => ({ then (resolve: (value: unknown) => void) { resolve({ get then () { throw new Error('then getter') } }) } }))
  registry.register('twice', () => ({ then (resolve: (value: unknown) => void, reject: (err: unknown) => void) { resolve(1); reject(new Error('late')); resolve(2) } }))
  registry.register('rejects', () => ({ then (_resolve: unknown, reject: (err: unknown) => void) { reject(new Error('no')); reject(new Error('again')) } }))
  registry.int('ok').add(1)
  t.equal(await registry.document(), '{\n"ok": 1,\n"twice": 1\n}\n')
  t.same(Object.fromEntries(failures), {
    self: 'TypeError: value() resolved to a thenable that resolves to thenables more than 32 deep (one that resolves to itself?)',
    throws: 'Error: then threw',
    getter: 'Error: then getter',
    rejects: 'Error: no'
  })
})

test('the same never-settling promise at every scrape: then() is asked once, and every scrape answers at the timeout', async (t) => {
  const { registry, failures } = recording(20)
  let calls = 0
  class Counting<T> extends Promise<T> {
    override then<A = T, B = never> (onFulfilled?: ((value: T) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
      calls++
      return super.then(onFulfilled, onRejected)
    }
  }
  let pending: Counting<number> | undefined
  registry.register('stuck', () => (pending ??= new Counting<number>(() => {})))
  let thenableCalls = 0
  const thenable = { then () { thenableCalls++ } }
  registry.register('thenable', () => thenable)
  registry.int('ok').add(1)
  for (let i = 0; i < 5; i++) t.equal(await registry.document(), '{\n"ok": 1\n}\n')
  t.equal(calls, 1, 'the promise\'s then, once for five scrapes')
  t.equal(thenableCalls, 1, 'the thenable\'s then, once for five scrapes')
  t.same(failures.map(([name]) => name).sort(), ['stuck', 'thenable'], 'each logged once')
})

test('a settled promise returned again is its result at once; a settled thenable is asked anew', async (t) => {
  const { registry } = recording()
  const settled = Promise.resolve(5)
  let n = 0
  const thenable = { then (resolve: (value: unknown) => void) { resolve(++n) } }
  registry.register('settled', () => settled)
  registry.register('thenable', () => thenable)
  t.same(await registry.snapshot(), { settled: 5, thenable: 1 })
  t.same(await registry.snapshot(), { settled: 5, thenable: 2 })
})

test('a Map member whose string() is not JSON text leaves the Map out, logged, never "x": }', async (t) => {
  for (const text of [undefined, null, { a: 1 }, 42]) {
    const { registry, failures } = recording()
    registry.map('jobs').set('x', { value: () => 1, string: () => text as unknown as string })
    registry.int('ok').add(1)
    t.equal(await registry.document(), '{\n"ok": 1\n}\n', `string() returning ${JSON.stringify(text)}`)
    t.equal(failures.length, 1)
    t.equal(failures[0]?.[0], 'jobs')
  }
})

test('a pending thenable settled by a sibling registration\'s value() is not waited for', async (t) => {
  const { registry } = recording(10_000)
  let resolveFirst: ((value: unknown) => void) | undefined
  registry.register('x', () => ({ then (resolve: (value: unknown) => void) { resolveFirst = resolve } }))
  registry.register('x', () => { resolveFirst?.({ a: 1 }); return { b: 2 } })
  // With a 10 s timeout, an answer at all proves the settled value was not waited for.
  t.same(await registry.snapshot(), { x: { a: 1, b: 2 } })
})

test('the document\'s quoted-name cache is rebuilt when names go, and the names still write', async (t) => {
  const { registry } = recording()
  const vars = Array.from({ length: 200 }, (_, i) => registry.register(`v${i}`, () => i))
  t.equal(Object.keys(await registry.snapshot()).length, 200)
  vars.forEach((v, i) => { if (i > 0) registry.delete(`v${i}`, v) })
  t.equal(await registry.document(), '{\n"v0": 0\n}\n')
  registry.register('v1', () => 1)
  t.equal(await registry.document(), '{\n"v0": 0,\n"v1": 1\n}\n')
})

// The documented bounds on the work one value may cost (docs/document.md, docs/prometheus.md):
// its nodes in the document and the cluster, its entries in the exposition, counted at every place.
const MAX_NODES = 2 ** 20
const MAX_ENTRIES = 2 ** 14

/** An object referenced twice at each of `depth` levels: a few hundred bytes, 2^depth places. */
function dag (depth: number, leaf: unknown = 1): unknown {
  let value = leaf
  for (let i = 0; i < depth; i++) value = { a: value, b: value }
  return value
}

test('a value with more nodes than the bound is left out of every format and logged once; the rest is served', async (t) => {
  const { registry, failures } = recording()
  // Depth 40 is written by the full writer (deeper than the plain-data check goes), depth 24 fails
  // the plain-data check itself; a Map holds one.
  registry.register('deep', () => dag(40))
  registry.register('wide', () => dag(24))
  registry.register('member', () => new Map([['x', dag(40)]]))
  registry.int('ok').add(1)
  t.equal(await registry.document(), '{\n"ok": 1\n}\n', 'the document has the rest')
  t.equal(await registry.metrics(), '# HELP ok expvar ok\n# TYPE ok untyped\nok 1\n', 'so has the exposition')
  t.same(failures.map(([name]) => name).sort(), ['deep', 'member', 'wide'], 'each logged once over two scrapes')
  for (const [, message] of failures) t.match(message, `RangeError: the value has more than ${MAX_NODES} nodes`)
})

test('a value of as many nodes as the bound is written; one more is left out', async (t) => {
  const { registry, failures } = recording()
  // An array is one node and each item another.
  registry.register('fits', () => new Array(MAX_NODES - 1).fill(0))
  registry.register('over', () => new Array(MAX_NODES).fill(0))
  // A toJSON's result is checked within what is left: the object, what toJSON returns, its array and n.
  registry.register('replaced', () => ({ toJSON: () => ({ list: new Array(MAX_NODES - 4).fill(0), n: 1n }) }))
  registry.register('replacedOver', () => ({ toJSON: () => ({ list: new Array(MAX_NODES).fill(0), n: 1n }) }))
  // The last node the bound allows is an object with toJSON: what toJSON returns has no node left.
  // Two items fewer leave room for it and its one entry.
  const endsReplaced = (length: number): unknown[] => [...new Array(length - 1).fill(0), { toJSON: () => ({ a: 1 }) }]
  registry.register('lastFits', () => endsReplaced(MAX_NODES - 3))
  registry.register('lastOver', () => endsReplaced(MAX_NODES - 1))
  const doc = JSON.parse(await registry.document()) as Record<string, unknown[]>
  t.same(Object.keys(doc), ['fits', 'lastFits', 'replaced'])
  t.equal(doc.fits?.length, MAX_NODES - 1)
  t.same(doc.lastFits?.at(-1), { a: 1 })
  t.same(failures.map(([name]) => name), ['lastOver', 'over', 'replacedOver'])
})

test('a shared object is written at every place it appears, and its nodes are counted at each', async (t) => {
  const { registry, failures } = recording()
  // Under a Map, so that the full writer (not JSON.stringify) writes the shared objects.
  const shared = { n: 1n, list: [1, 2] }
  registry.register('twice', () => new Map<string, unknown>([['x', shared], ['y', { again: shared }]]))
  // 2^19 leaves and 2^19 - 1 objects below the Map and its entry: the bound exactly.
  registry.register('fits', () => new Map([['x', dag(19)]]))
  registry.register('over', () => new Map([['x', dag(19)], ['y', 1]]))
  const doc = JSON.parse(await registry.document()) as Record<string, unknown>
  t.same(doc.twice, { x: { n: 1, list: [1, 2] }, y: { again: { n: 1, list: [1, 2] } } })
  t.same(doc.fits, { x: JSON.parse(JSON.stringify(dag(19))) })
  t.same(failures.map(([name]) => name), ['over'])
})

test('the exposition walks at most its bound of entries in a value that is not a Map handle\'s', async (t) => {
  const { registry, failures } = recording()
  const numbers = (count: number): Record<string, number> => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, i]))
  registry.register('fits', () => ({ inner: numbers(MAX_ENTRIES - 1) }))
  registry.register('over', () => ({ inner: numbers(MAX_ENTRIES) }))
  // A DAG of 2^15 places and a few hundred bytes.
  registry.register('dag', () => dag(14))
  // A Map handle's keys are one family's samples: not bounded by it.
  const map = registry.map('hits')
  for (let i = 0; i < MAX_ENTRIES + 1; i++) map.add(`k${i}`, 1)
  const text = await registry.metrics()
  t.equal(text.split('\n').filter((line) => line.startsWith('fits_inner_k')).length, MAX_ENTRIES - 1)
  t.equal(text.split('\n').filter((line) => line.startsWith('hits{')).length, MAX_ENTRIES + 1)
  t.notOk(/^(over|dag)_/m.test(text), 'the others are left out')
  t.same(failures.map(([name]) => name).sort(), ['dag', 'over'])
  for (const [, message] of failures) t.match(message, `RangeError: the value has more than ${MAX_ENTRIES} entries`)
  const doc = JSON.parse(await registry.document()) as Record<string, unknown>
  t.same(Object.keys(doc), ['dag', 'fits', 'hits', 'over'], 'the document has them all')
})
