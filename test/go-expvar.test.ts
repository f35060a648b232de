// Go's src/expvar/expvar_test.go, test by test, through the public API.
import { test } from 'tap'
import { FloatVar, IntVar, type MapVar, Registry, StringVar } from '../index.js'
import { build } from './helpers.js'

function count (map: MapVar): number {
  let n = 0
  map.do(() => { n++ })
  return n
}

test('TestNil: getting a name never published returns nothing', async (t) => {
  const registry = new Registry()
  t.equal(registry.get('missing'), undefined)
})

test('TestInt: add, value, string and set', async (t) => {
  const registry = new Registry()
  const reqs = registry.int('requests')
  t.equal(reqs.value(), 0)
  t.equal(registry.get('requests'), reqs, 'get returns the same handle')
  reqs.add(1)
  reqs.add(3)
  t.equal(reqs.value(), 4)
  t.equal(reqs.string(), '4')
  reqs.set(-2)
  t.equal(reqs.value(), -2)
})

test('TestFloat: add, value and string', async (t) => {
  const registry = new Registry()
  const reqs = registry.float('requests-float')
  t.equal(reqs.value(), 0)
  t.equal(registry.get('requests-float'), reqs)
  reqs.add(1.5)
  reqs.add(1.25)
  t.equal(reqs.value(), 2.75)
  t.equal(reqs.string(), '2.75')
  reqs.add(-2)
  t.equal(reqs.value(), 0.75)
  reqs.set(3)
  t.equal(reqs.value(), 3)
})

test('TestString: set, value, and HTML-safe string', async (t) => {
  const registry = new Registry()
  const name = registry.string('my-name')
  t.equal(name.value(), '')
  name.set('Mike')
  t.equal(name.string(), '"Mike"')
  t.equal(name.value(), 'Mike')
  name.set('<')
  t.equal(name.string(), '"\\u003c"')
})

test('TestMapInit: init removes every key', async (t) => {
  const colors = new Registry().map('bike-shed-colors')
  colors.add('red', 1)
  colors.add('blue', 1)
  colors.add('chartreuse', 1)
  t.equal(count(colors), 3)
  t.equal(colors.init(), colors, 'init returns the map')
  t.equal(count(colors), 0)
  t.equal(colors.string(), '{}')
})

test('TestMapDelete: delete removes a key, a missing key is a no-op', async (t) => {
  const colors = new Registry().map('bike-shed-colors')
  colors.add('red', 1)
  colors.add('red', 2)
  colors.add('blue', 4)
  t.equal(count(colors), 2)
  colors.delete('red')
  t.equal(colors.get('red'), undefined)
  t.equal(count(colors), 1)
  colors.delete('notfound')
  t.equal(count(colors), 1)
  colors.delete('blue')
  colors.delete('blue')
  t.equal(colors.get('blue'), undefined)
  t.equal(count(colors), 0)
})

test('TestMapCounter: add and addFloat create and count; a key of another kind is left untouched', async (t) => {
  const colors = new Registry().map('bike-shed-colors')
  colors.add('red', 1)
  colors.add('red', 2)
  colors.add('blue', 4)
  colors.addFloat('green "midori"', 4)
  colors.addFloat('green "midori"', 0.125)
  t.ok(colors.get('red') instanceof IntVar)
  t.equal(colors.get('red')?.value(), 3)
  t.equal(colors.get('blue')?.value(), 4)
  t.ok(colors.get('green "midori"') instanceof FloatVar)
  t.equal(colors.get('green "midori"')?.value(), 4.125)

  colors.add('green "midori"', 1)
  t.equal(colors.get('green "midori"')?.value(), 4.125, 'add on a Float key does nothing')
  colors.addFloat('red', 1.5)
  t.equal(colors.get('red')?.value(), 3, 'addFloat on an Int key does nothing')
  const label = new StringVar()
  label.set('x')
  colors.set('label', label)
  colors.add('label', 1)
  colors.addFloat('label', 1)
  t.equal(colors.get('label'), label, 'add on a String key does nothing')
  t.equal(label.value(), 'x')

  const parsed = JSON.parse(colors.string())
  t.same(parsed, { blue: 4, 'green "midori"': 4.125, label: 'x', red: 3 })
  t.equal(colors.string(), '{"blue": 4, "green \\"midori\\"": 4.125, "label": "x", "red": 3}', "Go's layout, sorted keys")
})

test('TestMapNil: a key set to nil is written as null', async (t) => {
  const m = new Registry().map('issue527719')
  m.set('key', null)
  t.equal(m.string(), '{"key": null}')
  t.same(JSON.parse(m.string()), { key: null })
  const seen: unknown[] = []
  m.do((kv) => seen.push(kv.key, kv.value))
  t.same(seen, ['key', null])
  t.same(m.value(), Object.assign(Object.create(null), { key: null }))
})

test('TestFunc: string and value follow the function', async (t) => {
  let x: unknown = ['a', 'b']
  const f = new Registry().func('f', () => x)
  t.equal(f.string(), '["a","b"]')
  t.same(f.value(), ['a', 'b'])
  x = 17
  t.equal(f.string(), '17')
  // Go's Func marshals whatever it returns; here a Map is an object with sorted keys.
  x = new Map([['b', 2], ['a', 1]])
  t.equal(f.string(), '{"a":1,"b":2}')
})

test("TestHandler: the document is byte for byte Go's", async (t) => {
  const { app } = await build()
  const m = app.expvar.map('map1')
  m.add('a', 1)
  m.add('z', 2)
  const m2 = app.expvar.map('map2')
  for (let i = 0; i < 9; i++) m2.add(String(i), i)
  const res = await app.inject('/debug/vars')
  t.equal(res.body, '{\n' +
    '"map1": {"a": 1, "z": 2},\n' +
    '"map2": {"0": 0, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7, "8": 8}\n' +
    '}\n')
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
})

test("TestAppendJSONQuote: Go's escape table for ASCII, U+2028 and U+2029", async (t) => {
  let s = ''
  for (let i = 0; i < 128; i++) s += String.fromCharCode(i)
  s += '\u2028\u2029'
  const v = new Registry().string('all')
  v.set(s)
  const want = '"' +
    '\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\u0008\\t\\n\\u000b\\u000c\\r\\u000e\\u000f' +
    '\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f' +
    ' !\\"#$%\\u0026\'()*+,-./0123456789:;\\u003c=\\u003e?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_' +
    '`abcdefghijklmnopqrstuvwxyz{|}~' + '\x7f' + '\\u2028\\u2029"'
  t.equal(v.string(), want)
  t.equal(JSON.parse(v.string()), s, 'and it is valid JSON for the same string')
})
