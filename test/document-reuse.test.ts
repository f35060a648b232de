// The document reuses the text of a value that is the same data as at the last scrape (a Func's
// object, say): it is always the document a fresh registry with the same vars and values writes,
// whatever changed in between, in place or not.
import { test } from 'tap'
import { Registry } from '../index.js'

class Point {
  constructor (readonly x: number) {}
}

test('after each change of a Func\'s value, the document is the one a fresh registry writes', async (t) => {
  // One object, changed in place between scrapes: the same object is not the same data.
  const pool: Record<string, unknown> = { idle: 2, busy: 1, name: 'db', up: true, none: null }
  let value: unknown = pool
  const changes: [string, () => void][] = [
    ['first scrape', () => {}],
    ['nothing changed', () => {}],
    ['a number changed in place', () => { pool.idle = 3 }],
    ['a string changed in place', () => { pool.name = 'db <primary>' }],
    ['a boolean changed in place', () => { pool.up = false }],
    ['a key came', () => { pool.spare = 0 }],
    ['a key went', () => { delete pool.spare }],
    ['the same keys in another order', () => { value = { busy: 1, idle: 3, name: 'db <primary>', up: false, none: null } }],
    ['a new object with the same data', () => { value = { busy: 1, idle: 3, name: 'db <primary>', up: false, none: null } }],
    ['an array', () => { value = [1, 2] }],
    ['an object with the array\'s indexes as keys', () => { value = { 0: 1, 1: 2 } }],
    ['the array again', () => { value = [1, 2] }],
    ['an empty object', () => { value = {} }],
    ['an empty array', () => { value = [] }],
    ['a longer array', () => { value = [1, 2, 3] }],
    ['an item changed', () => { value = [1, 2, 4] }],
    ['nested', () => { value = { a: { b: [1, { c: 'd' }] } } }],
    ['a nested leaf changed', () => { value = { a: { b: [1, { c: 'e' }] } } }],
    ['a nested object became a leaf', () => { value = { a: { b: [1, 'c'] } } }],
    ['a leaf became an object', () => { value = { a: { b: [1, { c: 'e' }] } } }],
    ['an object without a prototype, same data', () => { value = Object.assign(Object.create(null), { a: { b: [1, { c: 'e' }] } }) }],
    ['a class instance', () => { value = { p: new Point(1) } }],
    ['a plain object of the same data', () => { value = { p: { x: 1 } } }],
    ['the object gained toJSON', () => { value = { p: { x: 1, toJSON: () => 'x' } } }],
    ['the plain object again', () => { value = { p: { x: 1 } } }],
    ['a Map', () => { value = { p: new Map([['x', 1]]) } }],
    ['a string', () => { value = 'a & b' }],
    ['the same string', () => { value = 'a & b' }],
    ['another string', () => { value = 'a & c' }],
    ['NaN', () => { value = NaN }],
    ['NaN again', () => { value = NaN }],
    ['an integer past 2^53', () => { value = 2 ** 60 }],
    ['the same integer', () => { value = 2 ** 60 }],
    ['undefined', () => { value = undefined }],
    ['an array holding undefined', () => { value = [undefined] }],
    ['the first object, changed once more in place', () => { pool.busy = 9; value = pool }]
  ]
  const registry = new Registry()
  registry.func('pool', () => value)
  registry.int('requests')
  const documents = new Map<string, string>()
  for (const [what, change] of changes) {
    change()
    const fresh = new Registry()
    fresh.func('pool', () => value)
    fresh.int('requests')
    const document = await registry.document()
    t.equal(document, await fresh.document(), what)
    documents.set(what, document)
  }
  // The oracle writes what each change made, so a reused text that should not have been fails.
  const pooled = (what: string): string | undefined => /"pool": (.*),\n/.exec(documents.get(what) ?? '')?.[1]
  t.equal(pooled('a number changed in place'), '{"idle":3,"busy":1,"name":"db","up":true,"none":null}')
  t.equal(pooled('the same keys in another order'), '{"busy":1,"idle":3,"name":"db \\u003cprimary\\u003e","up":false,"none":null}')
  t.equal(pooled('an object with the array\'s indexes as keys'), '{"0":1,"1":2}')
  t.equal(pooled('the array again'), '[1,2]')
  t.equal(pooled('an empty array'), '[]')
  t.equal(pooled('the object gained toJSON'), '{"p":"x"}')
  t.equal(pooled('an integer past 2^53'), '1152921504606846976')
  t.equal(pooled('the first object, changed once more in place'), '{"idle":3,"busy":9,"name":"db \\u003cprimary\\u003e","up":false,"none":null}')
})

test('a Func whose value holds a thenable after plain data is left out, logged, then written again', async (t) => {
  const errors: unknown[] = []
  const registry = new Registry({ logger: { warn () {}, error: (obj) => { errors.push(obj) } } })
  let value: unknown = { inner: { n: 1 } }
  registry.func('job', () => value)
  t.equal(await registry.document(), '{\n"job": {"inner":{"n":1}}\n}\n')
  value = { inner: { n: 1, then: () => {} } }
  t.equal(await registry.document(), '{\n\n}\n', 'a nested thenable is not data')
  t.equal(errors.length, 1, 'logged once')
  value = { inner: { n: 1 } }
  t.equal(await registry.document(), '{\n"job": {"inner":{"n":1}}\n}\n', 'written again once it is data')
})

test('Funcs deleted by the hundred leave a document of those that remain', async (t) => {
  const registry = new Registry()
  for (let i = 0; i < 200; i++) registry.func(`f${String(i).padStart(3, '0')}`, () => ({ i }))
  t.equal(JSON.parse(await registry.document()).f199.i, 199)
  for (let i = 1; i < 200; i++) registry.delete(`f${String(i).padStart(3, '0')}`)
  t.equal(await registry.document(), '{\n"f000": {"i":0}\n}\n')
  for (let i = 0; i < 3; i++) registry.func(`g${i}`, () => ({ i: i + 10 }))
  t.equal(await registry.document(), '{\n"f000": {"i":0},\n"g0": {"i":10},\n"g1": {"i":11},\n"g2": {"i":12}\n}\n')
})

test('while Object.prototype has an enumerable key, a value is written anew at every scrape', async (t) => {
  let value: unknown = {}
  const registry = new Registry()
  registry.func('pool', () => value)
  t.equal(await registry.document(), '{\n"pool": {}\n}\n')
  // eslint-disable-next-line no-extend-native -- what an old dependency may do, and what this test is about
  Object.defineProperty(Object.prototype, 'x', { value: 1, enumerable: true, configurable: true, writable: true })
  t.teardown(() => { delete (Object.prototype as Record<string, unknown>).x })
  const fresh = async (): Promise<string> => {
    const other = new Registry()
    other.func('pool', () => value)
    return await other.document()
  }
  t.equal(await registry.document(), '{\n"pool": {}\n}\n', 'for-in now yields x for {}, JSON.stringify does not')
  value = { x: 1 }
  t.equal(await registry.document(), await fresh(), 'an own x after an inherited one')
  t.match(await registry.document(), /"pool": \{"x":1\}/)
  value = {}
  t.equal(await registry.document(), '{\n"pool": {}\n}\n', 'and back')
  value = 'text'
  t.equal(await registry.document(), '{\n"pool": "text"\n}\n', 'a string is written too')
})

test('a value whose text is longer than a megabyte is written anew at every scrape', async (t) => {
  const list = Array.from({ length: 300_000 }, (_, i) => i)
  const registry = new Registry()
  registry.func('list', () => list)
  const first = await registry.document()
  t.ok(first.length > 1 << 20, 'more than a megabyte')
  list[0] = -1
  const second = await registry.document()
  t.ok(second.startsWith('{\n"list": [-1,1,2,'), 'the change in place is written')
  t.equal(second.length, first.length + 1)
})
