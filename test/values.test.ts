// What values become on the wire: Go's JSON types for JS values Go has no word for.
import { test } from 'tap'
import { build } from './helpers.js'

async function written (value: unknown): Promise<string> {
  const { app } = await build()
  app.expvar.register('v', () => value)
  const body = (await app.inject('/debug/vars')).body
  return body.slice('{\n"v": '.length, -'\n}\n'.length)
}

test('undefined, NaN and ±Infinity are null', async (t) => {
  t.equal(await written(undefined), 'null')
  t.equal(await written(NaN), 'null')
  t.equal(await written(Infinity), 'null')
  t.equal(await written(-Infinity), 'null')
  t.equal(await written({ a: undefined, b: NaN, c: [undefined, () => 1, Symbol('s')] }), '{"a":null,"b":null,"c":[null,null,null]}')
  t.equal(await written({ n: 1, method () { return 2 }, s: Symbol('s') }), '{"n":1}', 'methods and symbols are left out of objects')
  t.equal(await written(() => 1), 'null', 'a function as the value itself is null')
})

test('integers are integer literals however large; floats stay floats', async (t) => {
  t.equal(await written(1e21), '1000000000000000000000')
  t.equal(await written(-1e21), '-1000000000000000000000')
  t.equal(await written(Number.MAX_SAFE_INTEGER), '9007199254740991')
  t.equal(await written(2 ** 64), '18446744073709551616', 'the exact digits, not the shortest form 18446744073709552000')
  t.equal(await written(-(2 ** 60)), '-1152921504606846976')
  t.equal(await written(1), '1')
  t.equal(await written(-0), '0')
  t.equal(await written(2.5), '2.5')
  t.equal(await written(1e-7), '1e-7')
})

test('bigint is an exact integer literal', async (t) => {
  t.equal(await written(2n ** 64n + 1n), '18446744073709551617')
  t.equal(await written({ n: -5n }), '{"n":-5}')
})

test('Map is an object with sorted keys, Set an array, toJSON is honoured', async (t) => {
  t.equal(await written(new Map<unknown, unknown>([['b', 1], [2, 'two'], ['a', new Set([1, 1, 2])]])), '{"2":"two","a":[1,2],"b":1}')
  t.equal(await written(new Map<unknown, unknown>([[1, 'number'], ['1', 'string']])), '{"1":"string"}', 'keys 1 and "1" are one key')
  t.equal(await written(new Date(0)), '"1970-01-01T00:00:00.000Z"')
  t.equal(await written({ toJSON: () => ({ shown: true }), hidden: 1 }), '{"shown":true}')
  t.equal(await written({ a: 1, toJSON () { return this } }), '{"a":1}', 'toJSON returning its own object is written once')
  t.equal(await written({ toJSON: () => 'text' }), '"text"')
  t.equal(await written({ outer: { toJSON: () => [1] } }), '{"outer":[1]}', 'nested toJSON is honoured')
  // eslint-disable-next-line no-new-wrappers
  t.equal(await written([new Number(5), new String('ab'), new Boolean(false), new Boolean(true)]), '[5,"ab",false,true]', 'boxed primitives are their values')
  t.equal(await written(true), 'true')
  t.equal(await written(false), 'false')
  t.equal(await written(null), 'null')
})

test('values inside a Map or Set are written as anywhere else', async (t) => {
  t.equal(await written(new Set([true, false, null, 'x', 1.5, [undefined]])), '[true,false,null,"x",1.5,[null]]')
  t.equal(await written([new Map([['k', { a: [1] }]])]), '[{"k":{"a":[1]}}]')
})

test('a value nested deeper than any plain-data check is written whole', async (t) => {
  let deep: unknown = ['<end>']
  for (let i = 0; i < 40; i++) deep = { d: deep }
  t.equal(await written(deep), '{"d":'.repeat(40) + '["\\u003cend\\u003e"]' + '}'.repeat(40))
})

test('strings and keys are escaped HTML-safe, as Go does', async (t) => {
  t.equal(await written({ '<k>': '</script>&\u2028' }), '{"\\u003ck\\u003e":"\\u003c/script\\u003e\\u0026\\u2028"}')
  t.equal(await written('back\\slash b\bf\f'), '"back\\\\slash b\\u0008f\\u000c"')
  t.equal(await written('plain'), '"plain"')
})

test('names are quoted the same way in the document', async (t) => {
  const { app } = await build()
  app.expvar.int('<name> & "quotes"')
  t.equal((await app.inject('/debug/vars')).body, '{\n"\\u003cname\\u003e \\u0026 \\"quotes\\"": 0\n}\n')
})

test('__proto__ and constructor keys are data and never touch Object.prototype', async (t) => {
  const { app } = await build()
  app.expvar.register('evil', () => JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}'))
  app.expvar.register('evil', () => JSON.parse('{"__proto__": {"more": 1}}'))
  app.expvar.map('m').add('__proto__', 1)
  const res = await app.inject('/debug/vars')
  t.equal(res.statusCode, 200)
  const doc = JSON.parse(res.body)
  t.same(Object.keys(doc.evil), ['__proto__', 'constructor'])
  const evil = JSON.parse(res.body.split('\n')[1]?.slice('"evil": '.length, -1) ?? '')
  t.same(Object.getOwnPropertyDescriptor(evil, '__proto__')?.value, { polluted: true, more: 1 }, 'same-name __proto__ keys merge as data')
  t.equal(({} as Record<string, unknown>).polluted, undefined)
  t.equal(({} as Record<string, unknown>).more, undefined)
  t.match(res.body, '"m": {"__proto__": 1}')
  const snapshot = await app.expvar.snapshot()
  t.ok(Object.hasOwn(snapshot.evil as object, '__proto__'), 'snapshot keeps it as an own key')
})
