// The prometheus option: the route, content negotiation, names, values, metadata, builtins and failures in the exposition formats.
import Fastify from 'fastify'
import { performance } from 'node:perf_hooks'
import v8 from 'node:v8'
import vm from 'node:vm'
import { test } from 'tap'
import expvar, { type FastifyExpvarOptions, Registry, StringVar } from '../index.js'
import { build, ERROR, logsFor, waitFor } from './helpers.js'

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

const TEXT = 'text/plain; version=0.0.4; charset=utf-8'
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8'
// What Prometheus 2.x sends.
const PROMETHEUS_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'

test('GET /metrics answers text 0.0.4, no-store, one family per var with HELP and TYPE', async (t) => {
  const { app } = await build({ prometheus: true })
  app.expvar.int('requests', { type: 'counter', help: 'Requests served.' }).add(3)
  app.expvar.float('ratio').set(0.5)
  const res = await app.inject('/metrics')
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], TEXT)
  t.equal(res.headers['cache-control'], 'no-store')
  t.equal(res.body, [
    '# HELP ratio expvar ratio',
    '# TYPE ratio untyped',
    'ratio 0.5',
    '# HELP requests_total Requests served.',
    '# TYPE requests_total counter',
    'requests_total 3',
    ''
  ].join('\n'))
})

test('an Accept naming OpenMetrics gets OpenMetrics 1.0.0: counter families without _total, unknown, # EOF', async (t) => {
  const { app } = await build({ prometheus: true })
  app.expvar.int('requests', { type: 'counter' }).add(3)
  app.expvar.float('ratio', { type: 'gauge', help: 'a "ratio"' }).set(0.5)
  app.expvar.int('n')
  for (const accept of [PROMETHEUS_ACCEPT, 'APPLICATION/OPENMETRICS-TEXT']) {
    const res = await app.inject({ url: '/metrics', headers: { accept } })
    t.equal(res.headers['content-type'], OPENMETRICS)
    t.equal(res.body, [
      '# HELP n expvar n',
      '# TYPE n unknown',
      'n 0',
      '# HELP ratio a \\"ratio\\"',
      '# TYPE ratio gauge',
      'ratio 0.5',
      '# HELP requests expvar requests',
      '# TYPE requests counter',
      'requests_total 3',
      '# EOF',
      ''
    ].join('\n'))
  }
  for (const accept of ['text/plain', '*/*', 'application/json']) {
    const res = await app.inject({ url: '/metrics', headers: { accept } })
    t.equal(res.headers['content-type'], TEXT, `${accept}: text`)
    t.notOk(res.body.includes('# EOF'))
  }
})

test('HEAD answers the same headers without a body', async (t) => {
  const { app } = await build({ prometheus: true })
  app.expvar.int('n').add(1)
  const get = await app.inject('/metrics')
  const head = await app.inject({ method: 'HEAD', url: '/metrics', headers: { accept: PROMETHEUS_ACCEPT } })
  t.equal(head.statusCode, 200)
  t.equal(head.body, '')
  t.equal(head.headers['content-type'], OPENMETRICS)
  t.equal(head.headers['cache-control'], 'no-store')
  const textHead = await app.inject({ method: 'HEAD', url: '/metrics' })
  t.equal(textHead.headers['content-length'], get.headers['content-length'])
})

test('the route passthrough guards /metrics as it guards /debug/vars', async (t) => {
  const { app } = await build({
    prometheus: true,
    route: {
      onRequest: async (request, reply) => {
        if (request.headers.authorization !== 'Bearer s3cret') await reply.code(401).send({ error: 'unauthorized' })
      }
    }
  })
  app.expvar.int('n')
  t.equal((await app.inject('/metrics')).statusCode, 401)
  t.equal((await app.inject('/debug/vars')).statusCode, 401)
  const ok = await app.inject({ url: '/metrics', headers: { authorization: 'Bearer s3cret' } })
  t.equal(ok.statusCode, 200)
  t.match(ok.body, /^n 0$/m)
})

test('off by default; url moves the route; namespace prefixes the vars, not the builtins', async (t) => {
  const off = await build()
  t.equal((await off.app.inject('/metrics')).statusCode, 404)
  const { app } = await build({ prometheus: { url: '/prom', namespace: 'shop' }, memstats: true })
  app.expvar.int('orders', { type: 'counter' }).add(2)
  t.equal((await app.inject('/metrics')).statusCode, 404)
  const body = (await app.inject('/prom')).body
  t.match(body, /^shop_orders_total 2$/m)
  t.match(body, /^nodejs_heap_size_used_bytes \d+$/m)
  t.notMatch(body, /shop_nodejs/)
})

test('bad prometheus options are coded errors naming the option', async (t) => {
  const cases: [unknown, RegExp][] = [
    ['yes', /^Invalid option "prometheus": expected true, false or \{ url, namespace \}, got 'yes'$/],
    [{ path: '/m' }, /^Invalid option "prometheus": expected only the keys url, namespace, got 'path'$/],
    [{ url: 'metrics' }, /^Invalid option "prometheus.url": expected a path starting with "\/", got 'metrics'$/],
    [{ url: '/debug/vars' }, /^Invalid option "prometheus.url": expected a path other than the document's \(\/debug\/vars\), got '\/debug\/vars'$/],
    [{ namespace: 'My-App' }, /^Invalid option "prometheus.namespace": expected a snake_case Prometheus name prefix/],
    [{ namespace: 1 }, /"prometheus.namespace"/]
  ]
  for (const [prometheus, message] of cases) {
    const app = Fastify()
    await t.rejects(async () => { await app.register(expvar, { prometheus } as FastifyExpvarOptions) }, { code: 'FST_EXPVAR_INVALID_OPTION', message })
    await app.close()
  }
})

test('registry.metrics() gives the same text without a route, for url: false or a standalone registry', async (t) => {
  const { app } = await build({ url: false, prometheus: true })
  app.expvar.int('n', { type: 'gauge' }).add(4)
  const text = await app.expvar.metrics()
  t.equal(text, (await app.inject('/metrics')).body)
  t.equal(await app.expvar.metrics({ openmetrics: true }), (await app.inject({ url: '/metrics', headers: { accept: PROMETHEUS_ACCEPT } })).body)
  const registry = new Registry()
  registry.map('hits').add('/a', 1)
  t.equal(await registry.metrics({ namespace: 'x', vars: ['hits'] }), '# HELP x_hits expvar hits\n# TYPE x_hits untyped\nx_hits{key="/a"} 1\n')
  t.equal(await registry.metrics({ openmetrics: true, vars: [] }), '# EOF\n')
  await t.rejects(registry.metrics({ namespace: 'Bad Name' }), { code: 'FST_EXPVAR_INVALID_VALUE' })
  await t.rejects(registry.metrics({ openmetrics: 'yes' } as never), { code: 'FST_EXPVAR_INVALID_VALUE' })
})

test('two instances expose their own vars, each logging its own clashes', async (t) => {
  const a = await build({ prometheus: true })
  const b = await build({ prometheus: true })
  a.app.expvar.int('only_a').add(1)
  a.app.expvar.int('x.y').add(1)
  a.app.expvar.int('x_y').add(2)
  b.app.expvar.int('only_b').add(1)
  b.app.expvar.int('x_y').add(3)
  const textA = (await a.app.inject('/metrics')).body
  const textB = (await b.app.inject('/metrics')).body
  t.match(textA, /^only_a 1$/m)
  t.notMatch(textA, /only_b/)
  t.match(textB, /^only_b 1$/m)
  t.match(textB, /^x_y 3$/m)
  t.equal(logsFor(a.logs, 'x_y', ERROR).length, 1)
  t.equal(logsFor(b.logs, 'x_y', ERROR).length, 0)
})

test('Map keys become label values under meta.label, escaped; non-numeric entries are left out', async (t) => {
  const { app } = await build({ prometheus: true })
  const hits = app.expvar.map('hits', { label: 'route', type: 'counter' })
  hits.add('/a', 2)
  hits.add('q"b\\n\nl', 1)
  hits.addFloat('f', 0.5)
  const other = app.expvar.map('other')
  other.add('k', 1)
  other.set('s', new StringVar())
  const text = await app.expvar.metrics()
  t.match(text, /^hits_total\{route="\/a"\} 2$/m)
  t.ok(text.includes('hits_total{route="q\\"b\\\\n\\nl"} 1\n'), 'quote, backslash and newline escaped')
  t.match(text, /^hits_total\{route="f"\} 0.5$/m)
  t.match(text, /^other\{key="k"\} 1$/m)
  t.notMatch(text, /other\{key="s"\}/)
})

test('other values: numeric leaves joined with _, booleans 1/0, bigints and large integers exact; strings, nulls and arrays left out', async (t) => {
  const { app } = await build({ prometheus: true })
  app.expvar.register('db', () => ({ pool: { idle: 2, ok: true, off: false, name: 'x', list: [1], none: null }, big: 2n ** 64n, huge: 2 ** 60, m: new Map([['k', 1]]), set: new Set([1]) }))
  app.expvar.register('flag', () => true)
  app.expvar.register('word', () => 'text')
  // A Float refuses non-finite numbers; a function may return them.
  app.expvar.register('nan', () => NaN)
  app.expvar.register('inf', () => Infinity)
  app.expvar.register('neg_inf', () => -Infinity)
  app.expvar.float('e21').set(1e21)
  app.expvar.float('small').set(1.5e-7)
  const text = await app.expvar.metrics()
  const samples = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'))
  t.same(samples, [
    'db_pool_idle 2',
    'db_pool_ok 1',
    'db_pool_off 0',
    'db_big 18446744073709551616',
    'db_huge 1152921504606846976',
    'db_m_k 1',
    'e21 1000000000000000000000',
    'flag 1',
    'inf +Inf',
    'nan NaN',
    'neg_inf -Inf',
    'small 1.5e-7'
  ])
  t.match(text, /^# HELP db_pool_idle expvar db\.pool\.idle$/m)
})

test('names are sanitised to snake_case; a leading digit gets _', async (t) => {
  const { app } = await build({ prometheus: true })
  for (const name of ['requestCount', 'HTTPServer', 'a.b-c d', 'colon:name', '9lives', '__x', 'ünï']) app.expvar.int(name).add(1)
  const names = (await app.expvar.metrics()).split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => line.split(' ')[0])
  t.same(names, ['_9lives', 'http_server', '_x', 'a_b_c_d', 'colon_name', 'request_count', 'uni'])
})

test('a counter whose name ends in _total is not suffixed twice', async (t) => {
  const { app } = await build({ prometheus: true })
  app.expvar.int('jobs_total', { type: 'counter' }).add(1)
  t.match(await app.expvar.metrics(), /^# TYPE jobs_total counter\njobs_total 1$/m)
  t.match(await app.expvar.metrics({ openmetrics: true }), /^# TYPE jobs counter\njobs_total 1$/m)
})

test('a name clash keeps the first var and leaves the other out, logged once until it is gone', async (t) => {
  const { app, logs } = await build({ prometheus: true })
  app.expvar.int('a.b').add(1)
  const second = app.expvar.int('a_b')
  second.add(2)
  // A counter takes a_total and a: a gauge named a clashes in both formats.
  app.expvar.int('c', { type: 'counter' }).add(1)
  app.expvar.int('c_total', { type: 'gauge' }).add(5)
  for (let i = 0; i < 3; i++) {
    const text = await app.expvar.metrics()
    t.equal(text.match(/^a_b /gm)?.length, 1)
    t.match(text, /^a_b 1$/m)
    t.match(text, /^c_total 1$/m)
    t.notMatch(text, /^c_total 5$/m)
  }
  const [line] = logsFor(logs, 'a_b', ERROR)
  t.equal(logsFor(logs, 'a_b', ERROR).length, 1, 'logged once')
  t.match(line?.err?.message, /its Prometheus name a_b is taken by a\.b/)
  t.equal(logsFor(logs, 'c_total', ERROR).length, 1)
  // The Go document still has both.
  t.same(await app.expvar.snapshot(), { 'a.b': 1, a_b: 2, c: 1, c_total: 5 })
})

test('a var that fails or cannot be flattened is left out and logged once; the rest is served', async (t) => {
  const { app, logs } = await build({ prometheus: true })
  app.expvar.register('broken', () => { throw new Error('down') })
  app.expvar.register('cycle', () => { const o: Record<string, unknown> = { n: 1 }; o.self = o; return o })
  app.expvar.register('getter', () => ({ get n () { throw new Error('getter') } }))
  app.expvar.int('ok').add(1)
  for (let i = 0; i < 2; i++) {
    const res = await app.inject('/metrics')
    t.equal(res.statusCode, 200)
    t.equal(res.body, '# HELP ok expvar ok\n# TYPE ok untyped\nok 1\n')
  }
  for (const name of ['broken', 'cycle', 'getter']) t.equal(logsFor(logs, name, ERROR).length, 1, `${name} logged once`)
})

test('builtins appear under prom-client\'s names; cmdline is not exposed', async (t) => {
  const { app } = await build({ prometheus: true, cmdline: true, memstats: true, builtins: ['resource', 'process', 'eventloop', 'gc', 'http'] })
  await app.inject('/debug/vars')
  // A GC observed, so that the GC histogram has a kind.
  gc()
  await waitFor('a GC observed', () => app.expvar.get('gc')?.string() !== '{}')
  const text = await app.expvar.metrics()
  // The by-type family of libuv requests has samples only while one is in flight.
  const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`).filter((family) => family !== 'nodejs_active_requests gauge')
  // From /proc, on Linux only (as in prom-client).
  const linux = process.platform === 'linux' ? ['process_heap_bytes gauge', 'process_max_fds gauge', 'process_open_fds gauge', 'process_virtual_memory_bytes gauge'] : []
  t.same(families.sort(), [
    'http_requests_aborted_total counter',
    'http_requests_in_flight gauge',
    'http_requests_total counter',
    'http_responses_total counter',
    'nodejs_active_handles gauge',
    'nodejs_active_handles_total untyped',
    'nodejs_active_requests_total untyped',
    'nodejs_active_resources gauge',
    'nodejs_active_resources_total untyped',
    'nodejs_eventloop_lag_max_seconds gauge',
    'nodejs_eventloop_lag_mean_seconds gauge',
    'nodejs_eventloop_lag_min_seconds gauge',
    'nodejs_eventloop_lag_p50_seconds gauge',
    'nodejs_eventloop_lag_p90_seconds gauge',
    'nodejs_eventloop_lag_p99_seconds gauge',
    'nodejs_eventloop_lag_seconds gauge',
    'nodejs_eventloop_lag_stddev_seconds gauge',
    'nodejs_external_memory_bytes gauge',
    'nodejs_gc_duration_seconds histogram',
    'nodejs_heap_size_total_bytes gauge',
    'nodejs_heap_size_used_bytes gauge',
    'nodejs_heap_space_size_available_bytes gauge',
    'nodejs_heap_space_size_total_bytes gauge',
    'nodejs_heap_space_size_used_bytes gauge',
    'nodejs_version_info gauge',
    'process_cpu_seconds_total counter',
    'process_cpu_system_seconds_total counter',
    'process_cpu_user_seconds_total counter',
    'process_resident_memory_bytes gauge',
    'process_start_time_seconds gauge',
    ...linux
  ].sort())
  t.notMatch(text, /cmdline/)
  const [major, minor, patch] = process.versions.node.split('.')
  t.ok(text.includes(`nodejs_version_info{version="${process.version}",major="${major}",minor="${minor}",patch="${patch}"} 1\n`))
  t.match(text, /^http_responses_total\{class="2xx"\} 1$/m)
  t.match(text, /^nodejs_gc_duration_seconds_bucket\{kind="major",le="5"\} \d+\nnodejs_gc_duration_seconds_bucket\{kind="major",le="\+Inf"\} \d+\nnodejs_gc_duration_seconds_sum\{kind="major"\} [\d.e-]+\nnodejs_gc_duration_seconds_count\{kind="major"\} \d+$/m)
  const start = Number(/^process_start_time_seconds (\d+)$/m.exec(text)?.[1])
  t.ok(Math.abs(start - (Date.now() / 1000 - process.uptime())) <= 1, 'start time in seconds since the epoch')
  t.equal(start, Math.round(performance.timeOrigin / 1000), 'the process\'s time origin, rounded: the same at every scrape')
  const doc = await app.expvar.snapshot()
  const cpu = Number(/^process_cpu_user_seconds_total (\S+)$/m.exec(text)?.[1])
  t.ok(cpu > 0 && cpu <= (doc.resource as { utime: number }).utime, 'user CPU in seconds')
  t.match(await app.expvar.metrics({ openmetrics: true }), /^# TYPE process_cpu_user_seconds counter\nprocess_cpu_user_seconds_total /m)
})

test('a builtin\'s mapping applies to the builtin only: a user var of that name is an ordinary var', async (t) => {
  const { app } = await build({ prometheus: true, memstats: false })
  app.expvar.register('memstats', () => ({ HeapAlloc: 1 }))
  t.equal(await app.expvar.metrics(), '# HELP memstats_heap_alloc expvar memstats.HeapAlloc\n# TYPE memstats_heap_alloc untyped\nmemstats_heap_alloc 1\n')
})

test('a builtin field that is not a number gives no sample', async (t) => {
  const { app } = await build({ prometheus: true, memstats: true, builtins: ['resource', 'process', 'eventloop'] })
  // Merged into the builtins' values key by key: these fields are now strings.
  app.expvar.register('memstats', () => ({ HeapAlloc: 'n/a' }))
  app.expvar.register('resource', () => ({ utime: 'n/a' }))
  app.expvar.register('process', () => ({ startTime: 'n/a', versions: 'n/a', heapSpaces: 'n/a' }))
  app.expvar.register('eventloop', () => ({ p99: 'n/a' }))
  const text = await app.expvar.metrics()
  t.notMatch(text, /nodejs_heap_size_used_bytes/)
  t.match(text, /^nodejs_heap_size_total_bytes \d+$/m)
  t.notMatch(text, /process_cpu_user_seconds_total|process_cpu_seconds_total/)
  t.match(text, /^process_cpu_system_seconds_total /m)
  t.notMatch(text, /process_start_time_seconds|nodejs_version_info|nodejs_heap_space_size/)
  t.match(text, /^process_resident_memory_bytes \d+$/m)
  t.notMatch(text, /nodejs_eventloop_lag_p99_seconds/)
  t.match(text, /^nodejs_eventloop_lag_p90_seconds /m)
})

test('vars with more leaves than the name cache holds are still written whole', async (t) => {
  const registry = new Registry()
  // Five vars under the bound on one value's keys (2^14, docs/prometheus.md), 50,005 names in all.
  const vars = 5
  const leaves = 10_001
  for (let v = 0; v < vars; v++) registry.register(`wide${v}`, () => Object.fromEntries(Array.from({ length: leaves }, (_, i) => [`k${i}`, i])))
  for (let i = 0; i < 2; i++) {
    const text = await registry.metrics()
    t.equal(text.match(/^wide\d_k\d+ \d+$/gm)?.length, vars * leaves)
    t.match(text, /^wide4_k10000 10000$/m)
  }
})

test('names past the name cache\'s size in characters (4 MB of long keys) are still written whole', async (t) => {
  const registry = new Registry()
  const leaves = 1100
  const key = (i: number): string => `k${i}_${'x'.repeat(2000)}`
  registry.register('long', () => Object.fromEntries(Array.from({ length: leaves }, (_, i) => [key(i), i])))
  for (let i = 0; i < 2; i++) {
    const text = await registry.metrics()
    t.equal(text.match(/^long_k\d+_x+ \d+$/gm)?.length, leaves)
    t.ok(text.includes(`\nlong_${key(leaves - 1)} ${leaves - 1}\n`))
  }
})
