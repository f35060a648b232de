// Vars that throw, reject, hang or cannot be written: left out of that scrape and logged once,
// while the rest of the document is served with 200.
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'tap'
import { Registry } from '../index.js'
import { ERROR, build, logsFor, scrape, waitFor } from './helpers.js'

test('a var that throws is left out and the rest is served', async (t) => {
  const { app, logs } = await build()
  app.expvar.int('good').add(1)
  app.expvar.register('bad', () => { throw new Error('boom') })
  const res = await app.inject('/debug/vars')
  t.equal(res.statusCode, 200)
  t.same(JSON.parse(res.body), { good: 1 })
  const [line] = logsFor(logs, 'bad', ERROR)
  t.equal(line?.err?.message, 'boom')
  t.match(line?.source, /misbehaving\.test\.ts:\d+:\d+$/, 'the log names where the var was registered')
})

test('a var that rejects is left out', async (t) => {
  const { app, logs } = await build()
  app.expvar.register('bad', async () => { throw new Error('rejected') })
  app.expvar.register('good', async () => 'yes')
  t.same(await scrape(app), { good: 'yes' })
  t.equal(logsFor(logs, 'bad', ERROR)[0]?.err?.message, 'rejected')
})

test('a var that outlives the timeout is left out of that scrape', async (t) => {
  const { app, logs } = await build({ timeout: 50 })
  let release = (): void => {}
  let refuse = (): void => {}
  app.expvar.register('hangs', () => new Promise((resolve) => { release = () => resolve('late') }))
  app.expvar.register('hangs too', () => new Promise((_resolve, reject) => { refuse = () => reject(new Error('late')) }))
  app.expvar.register('quick', () => Promise.resolve(1))
  t.same(await scrape(app), { quick: 1 })
  t.match(logsFor(logs, 'hangs', ERROR)[0]?.err?.message, /did not settle within 50 ms/)
  release()
  refuse()
  await sleep(10)
  t.equal(logsFor(logs, 'hangs', ERROR).length, 1, 'a late settlement is not logged again')
  t.equal(logsFor(logs, 'hangs too', ERROR).length, 1, 'a late rejection is not logged again')
})

test('a var whose value cannot be serialised (a cycle) is left out', async (t) => {
  const { app, logs } = await build()
  const cycle: Record<string, unknown> = {}
  cycle.self = cycle
  app.expvar.register('cycle', () => cycle)
  app.expvar.register('nested', () => ({ later: Promise.resolve(1) }))
  app.expvar.int('good')
  t.same(await scrape(app), { good: 0 })
  t.match(logsFor(logs, 'cycle', ERROR)[0]?.err?.message, /cycle/)
  t.match(logsFor(logs, 'nested', ERROR)[0]?.err?.message, /Promise/)
})

test('a value that repeats (not a cycle) is written twice', async (t) => {
  const { app } = await build()
  const shared = { n: 1 }
  app.expvar.register('twice', () => ({ a: shared, b: shared, list: [shared, shared] }))
  t.same(await scrape(app), { twice: { a: { n: 1 }, b: { n: 1 }, list: [{ n: 1 }, { n: 1 }] } })
})

test('a failure is logged once, and again only after the var recovered and failed anew', async (t) => {
  const { app, logs } = await build()
  let mode: 'throw' | 'ok' | 'reject' = 'throw'
  app.expvar.register('flaky', () => {
    if (mode === 'throw') throw new Error('down')
    if (mode === 'reject') return Promise.reject(new Error('down again'))
    return 'up'
  })
  await scrape(app)
  await scrape(app)
  t.equal(logsFor(logs, 'flaky', ERROR).length, 1, 'two failing scrapes, one log line')
  mode = 'ok'
  t.same(await scrape(app), { flaky: 'up' })
  mode = 'reject'
  await scrape(app)
  await scrape(app)
  t.same(logsFor(logs, 'flaky', ERROR).map((line) => line.err?.message), ['down', 'down again'])
})

test('a value that cannot be written is logged once until it can be written again', async (t) => {
  const { app, logs } = await build()
  const cycle: Record<string, unknown> = {}
  let value: unknown = cycle
  cycle.self = cycle
  app.expvar.register('c', () => value)
  await scrape(app)
  await scrape(app)
  value = 1
  t.same(await scrape(app), { c: 1 })
  value = cycle
  await scrape(app)
  t.equal(logsFor(logs, 'c', ERROR).length, 2)
})

test('a Var whose string() throws is left out and logged once until it recovers', async (t) => {
  const { app, logs } = await build()
  let broken = true
  app.expvar.register('custom', {
    value: () => 1,
    string: () => { if (broken) throw new Error('no text'); return '1' }
  })
  t.same(await scrape(app), {})
  t.same(await scrape(app), {})
  broken = false
  t.same(await scrape(app), { custom: 1 })
  broken = true
  await scrape(app)
  t.same(logsFor(logs, 'custom', ERROR).map((line) => line.err?.message), ['no text', 'no text'])
})

test('concurrent scrapes during an evaluation share it', async (t) => {
  const { app } = await build()
  let calls = 0
  app.expvar.register('slow', async () => {
    calls++
    await sleep(20)
    return calls
  })
  const responses = await Promise.all(Array.from({ length: 200 }, () => app.inject('/debug/vars')))
  t.ok(responses.every((res) => res.statusCode === 200 && 'slow' in JSON.parse(res.body)))
  t.ok(calls >= 1 && calls <= 5, `200 concurrent scrapes called the var ${calls} times`)
  const before = calls
  await scrape(app)
  t.equal(calls, before + 1, 'a scrape after the shared one evaluates anew')
})

test('concurrent scrapes of different ?vars= do not share', async (t) => {
  const { app } = await build()
  app.expvar.register('a', async () => { await sleep(5); return 'a' })
  app.expvar.register('b', async () => { await sleep(5); return 'b' })
  const [a, b, all] = await Promise.all([scrape(app, '?vars=a'), scrape(app, '?vars=b'), scrape(app)])
  t.same(a, { a: 'a' })
  t.same(b, { b: 'b' })
  t.same(all, { a: 'a', b: 'b' })
})

test('values that throw when looked at cost only their own entry, sync or async', async (t) => {
  const { app, logs } = await build()
  const throwingGetter = { get broken () { throw new Error('getter') } }
  const cycle: Record<string, unknown> = {}
  cycle.self = cycle
  const trap = new Proxy({}, { getPrototypeOf () { throw new Error('trap') } })
  app.expvar.register('getter', () => throwingGetter)
  app.expvar.register('merged getter', () => ({ a: 1 }))
  app.expvar.register('merged getter', () => throwingGetter)
  app.expvar.register('merged cycle', () => ({ a: 1 }))
  app.expvar.register('merged cycle', () => cycle)
  app.expvar.register('proxy', () => trap)
  app.expvar.register('merged proxy', () => ({ a: 1 }))
  app.expvar.register('merged proxy', () => trap)
  app.expvar.register('then getter', () => ({ get then () { throw new Error('then getter') } }))
  app.expvar.register('async getter', async () => throwingGetter)
  app.expvar.register('async merged', async () => ({ a: 1 }))
  app.expvar.register('async merged', async () => cycle)
  app.expvar.int('good').add(1)
  for (let i = 0; i < 2; i++) {
    const res = await app.inject('/debug/vars')
    t.equal(res.statusCode, 200)
    t.same(JSON.parse(res.body), { good: 1 }, 'every bad entry is left out, the good one served')
  }
  for (const name of ['getter', 'merged getter', 'merged cycle', 'proxy', 'merged proxy', 'then getter', 'async getter', 'async merged']) {
    t.equal(logsFor(logs, name, ERROR).length, 1, `"${name}" is logged once`)
  }
  t.equal(logsFor(logs, 'then getter', ERROR)[0]?.err?.message, 'then getter')
})

test('scrapes of different ?vars= lists never share, however the names are spelled', async (t) => {
  const { app } = await build()
  app.expvar.register('a', async () => { await sleep(10); return 'A' })
  app.expvar.register('b', async () => 'B')
  const [both, nul] = await Promise.all([app.inject('/debug/vars?vars=a,b'), app.inject('/debug/vars?vars=a%00b')])
  t.same(JSON.parse(both.body), { a: 'A', b: 'B' })
  t.same(JSON.parse(nul.body), {}, 'the name "a\\0b" is not "a" and "b"')
})

test('a registration deleted while a scrape waits for it neither crashes nor blocks later scrapes', async (t) => {
  const { app, logs } = await build({ timeout: 30 })
  let waiting = 0
  const never = (): Promise<never> => { waiting++; return new Promise(() => {}) }
  const kept = app.expvar.register('x', () => ({ a: 1 }))
  app.expvar.register('x', never)
  const late = app.expvar.register('x', never)
  app.expvar.register('x', () => ({ b: 2 }))
  const pending = app.inject('/debug/vars')
  await waitFor('the scrape waiting for both pending registrations', () => waiting === 2)
  t.equal(app.expvar.delete('x', kept), true)
  t.equal(app.expvar.delete('x', late), true)
  const res = await pending
  t.equal(res.statusCode, 200)
  t.same(JSON.parse(res.body), { x: { a: 1, b: 2 } }, 'the scrape writes what it started with')
  const timedOut = logsFor(logs, 'x', ERROR)
  t.equal(timedOut.length, 2, 'the two hanging sources, and only they, are blamed')
  t.ok(timedOut.every((line) => /did not settle/.test(line.err?.message ?? '')))
  t.not(timedOut[0]?.source, timedOut[1]?.source)
  t.same(await scrape(app), { x: { b: 2 } }, 'the next scrape sees the deletions')
})

test('a custom var whose string() is not text is left out, the document stays JSON', async (t) => {
  const { app, logs } = await build()
  app.expvar.register('raw', { value: () => 1, string: () => undefined as unknown as string })
  app.expvar.int('ok').add(1)
  t.same(await scrape(app), { ok: 1 })
  t.match(logsFor(logs, 'raw', ERROR)[0]?.err?.message, /string\(\) returned undefined/)
})

test('a standalone registry resolves a scrape of a never-settling var after the timeout', async (t) => {
  const registry = new Registry({ timeout: 20, logger: { warn () {}, error () {} } })
  registry.register('never', () => new Promise(() => {}))
  registry.int('n').add(1)
  t.same(await registry.snapshot(), { n: 1 })
})
