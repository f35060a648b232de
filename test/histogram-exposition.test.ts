// A histogram in Prometheus text 0.0.4 and OpenMetrics: one `histogram` family, `_bucket{le}` up to
// `+Inf`, `_sum` and `_count` per label set; promtool clean (a real Prometheus' histogram_quantile() over
// them: test/e2e/histogram-prometheus.test.ts).
import { test } from 'tap'
import { HistogramVar } from '../index.js'
import { build } from './helpers.js'
import { haveTool, promtoolCheck } from './prometheus-tools.js'

const OPENMETRICS = { accept: 'application/openmetrics-text; version=1.0.0' }

/** The lines of one family in an exposition: its header and samples. */
function family (text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`# HELP ${name} `) || line.startsWith(`# TYPE ${name} `) || line.startsWith(name + '_bucket') || line.startsWith(name + '_sum') || line.startsWith(name + '_count'))
}

test('a histogram, a labelled one and a Map of them are each one histogram family in both formats, promtool clean', async (t) => {
  const { app } = await build({ prometheus: { namespace: 'svc' } })
  const latency = app.expvar.histogram('latency_seconds', { help: 'Latency.', buckets: [0.1, 1] })
  for (const value of [0.05, 0.5, 2]) latency.observe(value)
  const sizes = app.expvar.histogram('sizeBytes', { buckets: [10, 100], labels: ['kind', 'code'] })
  sizes.observe({ kind: 'a "quoted"', code: 200 }, 5)
  sizes.observe({ kind: 'b', code: 404 }, 50)
  sizes.observe({ kind: 'b', code: 404 }, 500)
  const queues = app.expvar.map('queue_wait_seconds', { label: 'queue' })
  const q1 = new HistogramVar({ buckets: [1, 2] })
  q1.observe(1.5)
  queues.set('q1', q1)
  queues.set('q2', new HistogramVar({ buckets: [1, 2] }))
  app.expvar.histogram('empty', { buckets: [1], labels: ['x'] })

  const text = (await app.inject('/metrics')).body
  t.same(family(text, 'svc_latency_seconds'), [
    '# HELP svc_latency_seconds Latency.',
    '# TYPE svc_latency_seconds histogram',
    'svc_latency_seconds_bucket{le="0.1"} 1',
    'svc_latency_seconds_bucket{le="1"} 2',
    'svc_latency_seconds_bucket{le="+Inf"} 3',
    'svc_latency_seconds_sum 2.55',
    'svc_latency_seconds_count 3'
  ])
  t.same(family(text, 'svc_size_bytes'), [
    '# HELP svc_size_bytes expvar sizeBytes',
    '# TYPE svc_size_bytes histogram',
    'svc_size_bytes_bucket{kind="a \\"quoted\\"",code="200",le="10"} 1',
    'svc_size_bytes_bucket{kind="a \\"quoted\\"",code="200",le="100"} 1',
    'svc_size_bytes_bucket{kind="a \\"quoted\\"",code="200",le="+Inf"} 1',
    'svc_size_bytes_sum{kind="a \\"quoted\\"",code="200"} 5',
    'svc_size_bytes_count{kind="a \\"quoted\\"",code="200"} 1',
    'svc_size_bytes_bucket{kind="b",code="404",le="10"} 0',
    'svc_size_bytes_bucket{kind="b",code="404",le="100"} 1',
    'svc_size_bytes_bucket{kind="b",code="404",le="+Inf"} 2',
    'svc_size_bytes_sum{kind="b",code="404"} 550',
    'svc_size_bytes_count{kind="b",code="404"} 2'
  ], 'label values in label order, le last')
  t.same(family(text, 'svc_queue_wait_seconds'), [
    '# HELP svc_queue_wait_seconds expvar queue_wait_seconds',
    '# TYPE svc_queue_wait_seconds histogram',
    'svc_queue_wait_seconds_bucket{queue="q1",le="1"} 0',
    'svc_queue_wait_seconds_bucket{queue="q1",le="2"} 1',
    'svc_queue_wait_seconds_bucket{queue="q1",le="+Inf"} 1',
    'svc_queue_wait_seconds_sum{queue="q1"} 1.5',
    'svc_queue_wait_seconds_count{queue="q1"} 1',
    'svc_queue_wait_seconds_bucket{queue="q2",le="1"} 0',
    'svc_queue_wait_seconds_bucket{queue="q2",le="2"} 0',
    'svc_queue_wait_seconds_bucket{queue="q2",le="+Inf"} 0',
    'svc_queue_wait_seconds_sum{queue="q2"} 0',
    'svc_queue_wait_seconds_count{queue="q2"} 0'
  ], 'a Map of histograms: its key is the Map\'s label')
  t.notMatch(text, /p50|p99|_buckets/, 'no quantile or bucket-key gauges')
  t.notMatch(text, /^svc_empty/m, 'a labelled histogram without observations has no samples')

  const om = (await app.inject({ url: '/metrics', headers: OPENMETRICS })).body
  t.same(family(om, 'svc_latency_seconds'), family(text, 'svc_latency_seconds'), 'OpenMetrics: the same family')
  t.same(family(om, 'svc_size_bytes'), family(text, 'svc_size_bytes'))
  t.match(om, /# EOF\n$/)

  if (haveTool(t, 'promtool')) {
    const { code, output } = await promtoolCheck(text)
    t.equal(code, 0, output)
    t.equal(output, '', 'promtool has nothing to say')
  }
})

test('an unchanged histogram writes the same text; an observation, a new key or a Map turning plain changes it', async (t) => {
  const { app } = await build({ prometheus: true })
  const latency = app.expvar.histogram('latency', { buckets: [1] })
  latency.observe(0.5)
  const waits = app.expvar.map('waits')
  const h = new HistogramVar({ buckets: [1] })
  waits.set('a', h)
  const first = (await app.inject('/metrics')).body
  t.equal((await app.inject('/metrics')).body, first, 'the same text again')
  latency.observe(2)
  const second = (await app.inject('/metrics')).body
  t.match(second, /^latency_bucket\{le="\+Inf"\} 2$/m, 'the observation is written')
  h.observe(3)
  t.match((await app.inject('/metrics')).body, /^waits_count\{key="a"\} 1$/m, 'the Map\'s histogram too')
  waits.set('a', null)
  waits.add('b', 4)
  const plain = (await app.inject('/metrics')).body
  t.notMatch(plain, /waits_bucket/, 'a Map that no longer holds only histograms is a Map again')
  t.match(plain, /^waits\{key="b"\} 4$/m)
  waits.delete('a')
  waits.delete('b')
  t.notMatch((await app.inject('/metrics')).body, /^waits/m, 'an empty Map has no samples')
})

test('a Map labelled le is refused when it is published: the label is a histogram\'s bucket bound', async (t) => {
  const { app } = await build({ prometheus: true })
  t.throws(() => app.expvar.map('by_le', { label: 'le' }), { code: 'FST_EXPVAR_INVALID_META', message: /by_le.*le and quantile/ })
})
