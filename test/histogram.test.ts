// The histogram kind through the public API: buckets, quantiles, labels, timers, the cap, coded errors and the document's shape.
import { test } from 'tap'
import { type ExpvarLogger, HistogramVar, IntVar, Registry } from '../index.js'
import { build, processWarnings, scrape } from './helpers.js'

const DEFAULT = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']

/** A logger that keeps what it is given. */
function keeping (): ExpvarLogger & { lines: { obj: object, msg: string }[] } {
  const lines: { obj: object, msg: string }[] = []
  return { lines, warn: (obj, msg) => { lines.push({ obj, msg }) }, error: (obj, msg) => { lines.push({ obj, msg }) } }
}

test('a histogram counts observations in prom-client\'s default buckets, cumulative, in the document', async (t) => {
  const { app } = await build()
  const latency = app.expvar.histogram('latency')
  const observed = [0.001, 0.005, 0.02, 0.2, 0.2, 3, 20, -1]
  for (const value of observed) latency.observe(value)
  const sum = observed.reduce((a, b) => a + b, 0)
  const res = await app.inject('/debug/vars')
  // Go's framing, the leaf in the contract's shape: buckets in bound order, +Inf last. Rank 4 of 8
  // is the one observation in (0.01, 0.025]; ranks 7.2 and 7.92 fall in +Inf's bucket: 10.
  t.equal(res.body, `{\n"latency": {"count":8,"sum":${sum},"buckets":{"0.005":3,"0.01":3,"0.025":4,"0.05":4,"0.1":4,"0.25":6,"0.5":6,"1":6,"2.5":6,"5":7,"10":7,"+Inf":8},"p50":0.025,"p90":10,"p99":10}\n}\n`)
  const { latency: leaf } = await scrape(app) as { latency: { count: number, buckets: Record<string, number> } }
  t.same(Object.keys(leaf.buckets).sort(), [...DEFAULT].sort())
  t.equal(leaf.buckets['+Inf'], leaf.count, 'the +Inf bucket is the count')
  t.same(latency.value(), JSON.parse(latency.string()), 'value() is the document\'s leaf')
})

test('quantiles are estimated from the buckets as histogram_quantile() does, null without observations', async (t) => {
  const h = new HistogramVar({ buckets: [1, 2, 4] })
  t.same(h.value(), { count: 0, sum: 0, buckets: { 1: 0, 2: 0, 4: 0, '+Inf': 0 }, p50: null, p90: null, p99: null })
  t.equal(h.string(), '{"count":0,"sum":0,"buckets":{"1":0,"2":0,"4":0,"+Inf":0},"p50":null,"p90":null,"p99":null}')
  // 10 in (0,1], 10 in (1,2], 80 in (2,4]: rank 50 is 30/80 into (2,4]; rank 90 and 99 too.
  for (let i = 0; i < 10; i++) h.observe(0.5)
  for (let i = 0; i < 10; i++) h.observe(1.5)
  for (let i = 0; i < 80; i++) h.observe(3)
  const { p50, p90, p99 } = h.value() as { p50: number, p90: number, p99: number }
  t.equal(p50, 2 + 2 * (30 / 80))
  t.equal(p90, 2 + 2 * (70 / 80))
  t.equal(p99, 2 + 2 * (79 / 80))
  // Within the first bucket the estimate starts at 0; in +Inf's, it is the highest finite bound.
  const low = new HistogramVar({ buckets: [10, 20] })
  low.observe(1)
  t.equal((low.value() as { p50: number }).p50, 5)
  const high = new HistogramVar({ buckets: [10, 20] })
  high.observe(100)
  t.equal((high.value() as { p99: number }).p99, 20)
  // A first bound at or below 0 is the answer for a rank in it.
  const negative = new HistogramVar({ buckets: [-1, 0, 1] })
  negative.observe(-5)
  t.equal((negative.value() as { p50: number }).p50, -1)
})

test('bucket keys are written as the document writes numbers: integers exact, shortest decimals', async (t) => {
  const h = new HistogramVar({ buckets: [1e-7, 0.1, 1, 10, 1e21] })
  h.observe(5)
  t.match(h.string(), /"buckets":\{"1e-7":0,"0.1":0,"1":0,"10":1,"1000000000000000000000":1,"\+Inf":1\}/)
})

test('a labelled histogram is nested by label values, in label order, keys sorted', async (t) => {
  const { app } = await build()
  const h = app.expvar.histogram('requests', { labels: ['method', 'status'], buckets: [1] })
  h.observe({ status: 200, method: 'POST' }, 0.5)
  h.observe({ method: 'GET', status: '500' }, 2)
  h.observe({ method: 'GET', status: '200' }, 1)
  h.labels('GET', 200).observe(0.25)
  h.labels({ method: 'GET', status: 200 }).observe(0.25)
  const leaf = (count: number, sum: number, within: number): object => ({ count, sum, buckets: { 1: within, '+Inf': count } })
  const doc = await scrape(app) as { requests: Record<string, Record<string, { count: number, sum: number, buckets: object }>> }
  const counts = Object.fromEntries(Object.entries(doc.requests).map(([method, byStatus]) =>
    [method, Object.fromEntries(Object.entries(byStatus).map(([status, { count, sum, buckets }]) => [status, { count, sum, buckets }]))]))
  t.same(counts, {
    GET: { 200: leaf(3, 1.5, 3), 500: leaf(1, 2, 0) },
    POST: { 200: leaf(1, 0.5, 1) }
  })
  const text = h.string()
  t.ok(text.startsWith('{"GET":{"200":{"count":3,'), 'label values sorted at each level')
  t.ok(text.indexOf('"POST"') > text.indexOf('"500"'))
})

test('a label left out is the empty value; observe(value) on a labelled histogram is the set with none', async (t) => {
  const h = new HistogramVar({ labels: ['a', 'b'], buckets: [1] })
  h.observe({ a: 'x' }, 1)
  h.observe(3)
  const value = h.value() as Record<string, Record<string, { count: number }>>
  t.equal(value.x?.['']?.count, 1)
  t.equal(value['']?.['']?.count, 1)
})

test('label values that are data: quotes are escaped, __proto__ is a key', async (t) => {
  const h = new HistogramVar({ labels: ['route'], buckets: [1] })
  h.observe({ route: '__proto__' }, 1)
  h.observe({ route: '/a "b" <c>' }, 1)
  const value = h.value() as Record<string, { count: number }>
  t.ok(Object.hasOwn(value, '__proto__'))
  t.equal(value['/a "b" <c>']?.count, 1)
  t.same(JSON.parse(h.string()), JSON.parse(JSON.stringify(value)))
  t.match(h.string(), /"\/a \\"b\\" \\u003cc\\u003e"/, 'Go\'s escapes')
  t.equal(Object.getPrototypeOf({}), Object.prototype, 'no prototype was touched')
})

test('startTimer() observes the seconds until end() and returns them; labels from both are merged', async (t) => {
  const h = new HistogramVar({ labels: ['route', 'code'], buckets: [60] })
  const seconds: number[] = []
  seconds.push(h.startTimer()())
  seconds.push(h.startTimer()({ route: '/b' }))
  seconds.push(h.startTimer({ route: '/a' })())
  seconds.push(h.startTimer({ route: '/a', code: '1' })({ code: 200 }))
  seconds.push(h.labels('/c', '201').startTimer()())
  seconds.push(h.labels('/c', '201').startTimer()({ code: 202 }))
  for (const s of seconds) t.ok(Number.isFinite(s) && s >= 0, 'a duration in seconds')
  const value = h.value() as Record<string, Record<string, { count: number, sum: number }>>
  t.same(Object.keys(value).sort(), ['', '/a', '/b', '/c'])
  t.same(Object.keys(value['/a'] ?? {}).sort(), ['', '200'], 'the end\'s labels win over the start\'s')
  t.same(Object.keys(value['/c'] ?? {}).sort(), ['201', '202'])
  t.equal(value['']?.['']?.sum, seconds[0], 'the returned seconds are what was observed')
  t.equal(value['/b']?.['']?.sum, seconds[1])
})

test('reset() forgets every observation and label set', async (t) => {
  const h = new HistogramVar({ labels: ['route'] })
  const child = h.labels('/a')
  child.observe(1)
  h.reset()
  t.same(h.value(), {})
  child.observe(2)
  t.same(Object.keys(h.value()), ['/a'], 'a child made before reset() still observes')
  const plain = new HistogramVar()
  plain.observe(1)
  plain.reset()
  t.equal((plain.value() as { count: number }).count, 0)
})

test('a bad observation is a coded error and the histogram stays as it was', async (t) => {
  const h = new HistogramVar({ labels: ['route'], buckets: [1] })
  h.observe({ route: '/a' }, 1)
  const before = h.string()
  const bad: [() => void, RegExp][] = [
    [() => h.observe(NaN), /expected a finite number, got NaN$/],
    [() => h.observe(Infinity), /got Infinity$/],
    [() => h.observe('1' as unknown as number), /got '1'$/],
    [() => h.observe(null as unknown as number), /got null$/],
    [() => h.observe({ route: '/a' }, undefined as unknown as number), /got undefined$/],
    [() => h.observe({ route: '/a' }, [1] as unknown as number), /got \[1\]$/],
    [() => h.observe({ path: '/a' } as never, 1), /expected labels among route, got 'path'$/],
    [() => h.observe({ route: { a: 1 } } as never, 1), /expected a label value that is a string or a number, got \{ a: 1 \}$/],
    [() => h.observe({ route: '/new' }, 1e308), /sum finite/],
    [() => h.labels(), /expected a value for each label \(route\), or an object of them, got 0 values$/],
    [() => h.labels({ route: true } as never), /HistogramVar.labels\(\): expected a label value that is a string or a number, got true$/],
    [() => h.labels(Symbol('s') as never), /got Symbol\(s\)$/]
  ]
  h.observe({ route: '/new' }, 1e308)
  for (const [fn, message] of bad) t.throws(fn, { code: 'FST_EXPVAR_INVALID_VALUE', message }, String(message))
  const after = JSON.parse(h.string()) as Record<string, unknown>
  t.same({ ...after, '/new': undefined }, { ...JSON.parse(before), '/new': undefined }, 'nothing counted')
  const plain = new HistogramVar()
  t.throws(() => plain.observe({ route: '/a' } as never, 1), { code: 'FST_EXPVAR_INVALID_VALUE', message: /expected no labels \(the histogram has none\), got 'route'$/ })
  plain.observe({}, 1)
  t.throws(() => plain.labels('x'), { message: /a value for each label \(none\)/ })
  plain.labels().observe(1)
  t.equal((plain.value() as { count: number }).count, 2)
})

test('bad buckets, labels or other metadata are coded errors when the histogram is made', async (t) => {
  const registry = new Registry()
  const bad: [unknown, RegExp][] = [
    [{ buckets: 'x' }, /buckets must be a non-empty array of finite numbers in strictly increasing order, got 'x'$/],
    [{ buckets: [] }, /buckets must be .*, got \[\]$/],
    [{ buckets: [1, Infinity] }, /buckets\[1\] must be a finite number \(\+Inf is always the last bucket\), got Infinity$/],
    [{ buckets: [1, NaN] }, /buckets\[1\] must be a finite number/],
    [{ buckets: ['1'] }, /buckets\[0\] must be a finite number .*, got '1'$/],
    [{ buckets: [1, 1] }, /buckets\[1\] must be greater than buckets\[0\] \(1\), got 1$/],
    [{ buckets: [2, 1] }, /buckets\[1\] must be greater than buckets\[0\] \(2\), got 1$/],
    [{ labels: 'route' }, /labels must be an array of label names, got 'route'$/],
    [{ labels: ['ok', 'not ok'] }, /labels\[1\] must be a Prometheus label name/],
    [{ labels: [1] }, /labels\[0\] must be a Prometheus label name .*, got 1$/],
    [{ labels: ['__name'] }, /labels\[0\] must be a Prometheus label name/],
    [{ labels: ['le'] }, /labels\[0\] must be a label name other than 'le'/],
    [{ labels: ['route', 'quantile'] }, /labels\[1\] must be a label name other than 'le' \(the bucket's own\) and 'quantile' \(a summary's\), got 'quantile'$/],
    [{ labels: ['a', 'a'] }, /labels\[1\] must be a label name not given twice, got 'a'$/],
    [{ maxSeries: 0 }, /maxSeries must be a positive integer, got 0$/],
    [{ maxSeries: 1.5 }, /maxSeries must be a positive integer/],
    [{ maxSeries: '10' }, /maxSeries must be a positive integer, got '10'$/],
    [{ type: 'counter' }, /type must be left out for a histogram/],
    [{ label: 'route' }, /label must be left out for a histogram/],
    [{ aggregate: 'max' }, /aggregate must be left out for a histogram/],
    [{ help: 1 }, /help must be a string/],
    [{ bucket: [1] }, /bucket must be one of/],
    [null, /meta must be an object/]
  ]
  for (const [meta, message] of bad) {
    t.throws(() => registry.histogram('h', meta as never), { code: 'FST_EXPVAR_INVALID_META', message }, String(message))
    t.throws(() => new HistogramVar(meta as never), { code: 'FST_EXPVAR_INVALID_META', message }, `standalone: ${String(message)}`)
  }
  t.same(registry.names(), [], 'nothing half-registered')
  t.throws(() => registry.histogram('', {}), { code: 'FST_EXPVAR_INVALID_NAME' })
})

test('histogram() is get-or-create: the same one for the same or no settings, a coded error for others', async (t) => {
  const registry = new Registry()
  const h = registry.histogram('h', { buckets: [1, 2], labels: ['a'] })
  t.equal(registry.histogram('h'), h)
  t.equal(registry.histogram('h', { buckets: [1, 2] }), h)
  t.equal(registry.histogram('h', { labels: ['a'], help: 'Now with help.' }), h)
  t.equal(registry.histogram('h', { buckets: [1, 2], labels: ['a'] }), h)
  t.throws(() => registry.histogram('h', { buckets: [1, 3] }), { code: 'FST_EXPVAR_META_CONFLICT', message: 'Var "h" is already published with buckets [1, 2]; asking for it with buckets [1, 3] is refused' })
  t.throws(() => registry.histogram('h', { labels: ['b'] }), { code: 'FST_EXPVAR_META_CONFLICT', message: /with labels \['a'\]; asking for it with labels \['b'\]/ })
  t.throws(() => registry.histogram('h', { help: 'Other help.' }), { code: 'FST_EXPVAR_META_CONFLICT' })
  registry.int('n')
  t.throws(() => registry.histogram('n'), { code: 'FST_EXPVAR_WRONG_KIND', message: 'Var "n" is an IntVar, not a HistogramVar' })
  t.throws(() => registry.int('h'), { code: 'FST_EXPVAR_WRONG_KIND', message: 'Var "h" is a HistogramVar, not an IntVar' })
  t.ok(registry.get('h') instanceof HistogramVar)
  t.notOk(new IntVar() instanceof HistogramVar)
})

test('a HistogramVar made on its own is published with register(), and is then a histogram handle', async (t) => {
  const registry = new Registry()
  const h = new HistogramVar({ buckets: [1] })
  h.observe(0.5)
  t.equal(registry.register('h', h, { help: 'Sizes.' }), h)
  t.equal(registry.histogram('h', { buckets: [1] }), h)
  t.throws(() => registry.histogram('h', { buckets: [2] }), { code: 'FST_EXPVAR_META_CONFLICT' })
  t.same(await registry.snapshot(), { h: { count: 1, sum: 0.5, buckets: { 1: 1, '+Inf': 1 }, p50: 0.5, p90: 0.9, p99: 0.99 } })
  t.throws(() => registry.register('typed', new HistogramVar(), { type: 'counter' }), { code: 'FST_EXPVAR_INVALID_META', message: /type must be left out for a histogram/ })
  t.notOk(registry.names().includes('typed'))
  // Same name, other bounds: refused, as asking for the handle with them is.
  t.throws(() => registry.register('h', new HistogramVar({ buckets: [5] })), { code: 'FST_EXPVAR_META_CONFLICT' })
  // Same bounds: the registrations merge as any two plain-object values do.
  registry.register('h', new HistogramVar({ buckets: [1] }), { help: 'Sizes.' })
  t.equal(registry.get('h'), h)
})

test('label sets past maxSeries go to one overflow series, with a warning once', async (t) => {
  const logger = keeping()
  const registry = new Registry({ logger })
  const h = registry.histogram('routes', { labels: ['route'], buckets: [1], maxSeries: 2 })
  for (const route of ['/a', '/b', '/c', '/d', '/a']) h.observe({ route }, 1)
  const value = h.value() as Record<string, { count: number }>
  t.same(Object.keys(value), ['/a', '/b', '__overflow__'])
  t.equal(value['/a']?.count, 2, 'a kept set still counts')
  t.equal(value.__overflow__?.count, 2, '/c and /d')
  t.equal(logger.lines.length, 1, 'warned once')
  t.same(logger.lines[0]?.obj, { var: 'routes', maxSeries: 2 })
  t.match(logger.lines[0]?.msg, /histogram "routes" has 2 label sets; new ones are counted in one overflow series, whose label values are all "__overflow__"/)
  h.reset()
  for (const route of ['/x', '/y', '/z']) h.observe({ route }, 1)
  t.equal(logger.lines.length, 2, 'warned again after reset()')
})

test('a histogram published in two registries warns through the first one\'s logger', async (t) => {
  const first = keeping()
  const second = keeping()
  const h = new HistogramVar({ labels: ['id'], maxSeries: 1 })
  new Registry({ logger: first }).register('ids', h)
  new Registry({ logger: second }).register('other', h)
  h.observe({ id: 1 }, 1)
  h.observe({ id: 2 }, 1)
  t.equal(first.lines.length, 1)
  t.same(first.lines[0]?.obj, { var: 'ids', maxSeries: 1 })
  t.equal(second.lines.length, 0)
})

test('a standalone histogram past its cap warns as a process warning', async (t) => {
  const warnings = processWarnings(t)
  const h = new HistogramVar({ labels: ['a', 'b'], maxSeries: 1 })
  h.observe({ a: '1', b: '1' }, 1)
  h.observe({ a: '2', b: '2' }, 1)
  h.observe({ a: '3', b: '3' }, 1)
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(warnings.length, 1)
  t.match(warnings[0]?.message, /a HistogramVar of no registry/)
  t.same(Object.keys(h.value()), ['1', '__overflow__'])
  t.same(Object.keys((h.value() as Record<string, object>).__overflow__ ?? {}), ['__overflow__'])
})

test('the default cap is 2000 label sets', async (t) => {
  const logger = keeping()
  const h = new Registry({ logger }).histogram('many', { labels: ['id'] })
  for (let i = 0; i < 2001; i++) h.observe({ id: i }, 1)
  t.equal(Object.keys(h.value()).length, 2001, '2000 sets and the overflow one')
  t.equal(logger.lines.length, 1)
})

test('an unchanged histogram gives the same value and text; an observation changes both', async (t) => {
  const h = new HistogramVar()
  const value = h.value()
  t.equal(h.value(), value)
  t.equal(h.string(), h.string())
  h.observe(1)
  t.not(h.value(), value)
})
