// A real Prometheus server scrapes the plugin (OpenMetrics, as it asks first, and text 0.0.4) and answers queries on what it stored.
import Fastify from 'fastify'
import v8 from 'node:v8'
import vm from 'node:vm'
import { test } from 'tap'
import expvar from '../../index.js'
import { waitFor } from '../helpers.js'
import { haveTool, startPrometheus } from '../prometheus-tools.js'

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

test('a Prometheus server scrapes both formats with no error and queries counters, Map labels and builtins', async (t) => {
  if (!haveTool(t, 'prometheus')) return
  const app = Fastify()
  await app.register(expvar, { prometheus: true, builtins: ['resource', 'process', 'eventloop', 'gc', 'http'] })
  // A GC observed before the first scrape, so that the GC histogram has a kind.
  gc()
  await waitFor('a GC observed', () => app.expvar.get('gc')?.string() !== '{}')
  app.expvar.int('requests', { type: 'counter', help: 'Requests served.' }).add(5)
  const hits = app.expvar.map('hits', { type: 'counter', label: 'route' })
  hits.add('/a', 3)
  hits.add('/b "quoted"', 4)
  app.expvar.register('pool', () => ({ idle: 2, busy: 1, healthy: true, name: 'main' }))
  // The same registry in text 0.0.4, for a second job: Prometheus itself always asks for OpenMetrics first.
  app.get('/text', async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(await app.expvar.metrics()))
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const target = `127.0.0.1:${(app.server.address() as { port: number }).port}`

  const server = await startPrometheus(t, [{ name: 'openmetrics', target }, { name: 'text', target, path: '/text' }])
  const { until, query } = server
  const targets = await server.targets()
  for (const job of ['openmetrics', 'text']) {
    const scraped = targets.find((a) => a.labels.job === job)
    t.equal(scraped?.health, 'up', `${job}: target up`)
    t.equal(scraped?.lastError, '', `${job}: no scrape error`)
  }

  for (const job of ['openmetrics', 'text']) {
    t.same((await query(`requests_total{job="${job}"}`)).map((r) => r.value[1]), ['5'], `${job}: a counter`)
    const byRoute = Object.fromEntries((await query(`hits_total{job="${job}"}`)).map((r) => [r.metric.route, r.value[1]]))
    t.same(byRoute, { '/a': '3', '/b "quoted"': '4' }, `${job}: a Map's keys as label values`)
    t.same((await query(`pool_idle{job="${job}"}`)).map((r) => r.value[1]), ['2'], `${job}: a numeric leaf`)
    t.same((await query(`pool_healthy{job="${job}"}`)).map((r) => r.value[1]), ['1'], `${job}: a boolean as 1`)
    const version = await query(`nodejs_version_info{job="${job}"}`)
    t.equal(version[0]?.metric.version, process.version, `${job}: nodejs_version_info{version}`)
    for (const name of ['process_cpu_user_seconds_total', 'process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds',
      'nodejs_heap_size_total_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_external_memory_bytes', 'nodejs_eventloop_lag_p99_seconds',
      'nodejs_gc_duration_seconds_count', 'http_requests_total']) {
      const [sample] = await query(`${name}{job="${job}"}`)
      t.ok(Number(sample?.value[1]) >= 0, `${job}: ${name}`)
    }
    const spaces = (await query(`nodejs_heap_space_size_used_bytes{job="${job}"}`)).map((r) => r.metric.space)
    t.ok(spaces.includes('old') && spaces.includes('new'), `${job}: heap spaces by space`)
    const classes = (await query(`http_responses_total{job="${job}"}`)).map((r) => r.metric.class).sort()
    t.same(classes, ['1xx', '2xx', '3xx', '4xx', '5xx'], `${job}: responses by status class`)
  }
  // Prometheus' own scrapes are 2xx answers the http builtin counted: its first sample is 0 (no
  // scrape had been answered yet), so wait for a later one.
  const answered = await until('a scrape counted', async () => {
    const [sample] = await query('http_responses_total{job="openmetrics",class="2xx"}')
    return Number(sample?.value[1]) > 0 ? sample : undefined
  })
  t.ok(Number(answered.value[1]) > 0, 'the scrapes themselves are counted')
})
