// Every body the plugin can emit, read by the Python reference parsers (Debian's
// python3-prometheus-client): the strict OpenMetrics one, which refuses a whole scrape for one line
// out of the spec, and the text format's. Every var kind, the builtins (default and all), the
// edges of issue 26, and a cluster's labelled exposition; what is read must be what was published.
import Fastify, { type FastifyInstance } from 'fastify'
import v8 from 'node:v8'
import vm from 'node:vm'
import { type Test, test } from 'tap'
import expvar, { HistogramVar, type Registry } from '../../index.js'
import { BUILTIN_NAMES, BUILTINS } from '../../lib/builtins/index.js'
import { answersOf, Cluster } from '../../lib/cluster/index.js'
import { relay, type RelayCluster } from '../../lib/cluster/primary.js'
import { ClusterMember } from '../../lib/cluster/worker.js'
import type { Registry as LibRegistry } from '../../lib/registry.js'
import { FakeCluster } from '../fake-cluster.js'
import { waitFor } from '../helpers.js'
import { haveParser, parseExposition, type ParsedFamily, publishEverything } from '../prometheus-tools.js'

const OPENMETRICS = { accept: 'application/openmetrics-text; version=1.0.0' }
const ODD_HELP = '  lead\r\ttab \u0000 nul \ud800 # x \\'
const ODD_KEYS = ['\r', '\t', '\u2028', '\u0000', '#', '} 1', '="', '\\', 'a\\nb', 'quote"', '\ud800']

/** The edges: histograms of every shape, names the formats reserve, counters out of range, odd help and keys. */
function publishEdges (registry: Registry): void {
  const wait = registry.histogram('wait_seconds', { labels: ['route'], help: 'Wait, by "route".' })
  wait.observe({ route: '/a' }, 0.2)
  wait.observe({ route: '/b"\\\n' }, 3)
  wait.observe({ route: '/b"\\\n' }, 0)
  registry.histogram('plain_seconds', { buckets: [0.5, 1] }).observe(0.7)
  // A bound below zero; an observation below the lowest bound (a negative sum); none at all.
  registry.histogram('delta', { buckets: [-1, 0, 1] }).observe(-0.5)
  registry.histogram('below', { buckets: [1, 2] }).observe(-5)
  registry.histogram('never', { buckets: [1] })
  registry.histogram('sizes_total', { buckets: [1e-7, 1e300] }).observe(1e300)
  registry.histogram('pairs', { labels: ['a', 'b'], buckets: [1] }).observe({ a: '', b: 'ü\n"' }, 1)
  // A Map of histograms: one label set with a sum, one whose bound is below zero.
  const byRoute = registry.map('latency', { label: 'route' })
  const x = new HistogramVar({ buckets: [1] })
  x.observe(2)
  const y = new HistogramVar({ buckets: [-1, 1] })
  y.observe(0.5)
  byRoute.set('/x', x)
  byRoute.set('/y', y)
  // Another type's series suffixes, a counter c beside a var c_created, a histogram beside one of its series' names.
  registry.int('queue_count', { type: 'gauge' }).set(4)
  registry.map('tasks_total', { type: 'gauge' }).add('a', 1)
  registry.int('c', { type: 'counter' }).add(1)
  registry.int('c_created').set(1_767_000_000)
  registry.int('wait_seconds_bucket').set(9)
  // Counters below zero or NaN are left out; +Inf and -0 are a counter's values.
  registry.register('down', () => -1, { type: 'counter' })
  registry.register('lost', () => ({ a: NaN }), { type: 'counter' })
  registry.register('unbounded', () => Infinity, { type: 'counter' })
  registry.register('nought', () => -0, { type: 'counter' })
  registry.register('level', () => -2, { type: 'gauge' })
  registry.int('odd_help', { help: ODD_HELP }).set(1)
  registry.int('backslash_help', { help: 'ends in a backslash\\' }).set(1)
  const keys = registry.map('odd_keys')
  for (const key of ODD_KEYS) keys.add(key, 1)
}

async function app (options: object): Promise<FastifyInstance> {
  const fastify = Fastify()
  await fastify.register(expvar, { prometheus: true, ...options })
  publishEverything(fastify.expvar)
  publishEdges(fastify.expvar)
  // Traffic for the http builtin, and a GC for the gc builtin's histogram.
  await fastify.inject('/debug/vars')
  await fastify.inject('/nowhere')
  v8.setFlagsFromString('--expose-gc')
  vm.runInNewContext('gc')()
  await waitFor('a GC observed', async () => (await fastify.inject('/metrics')).body.includes('nodejs_gc_duration_seconds_count'))
  return fastify
}

/**
 * The body as the parser reads it: without an error, a family for each TYPE line and a sample for
 * each sample line (none dropped, none read twice). The families by name.
 */
async function read (t: Test, body: string, format: 'openmetrics' | 'text', what: string): Promise<Map<string, ParsedFamily>> {
  const { families, error } = await parseExposition(body, format)
  t.equal(error, '', `${what}: the ${format} parser reads it whole`)
  const lines = body.split('\n')
  t.equal(families.length, lines.filter((line) => line.startsWith('# TYPE ')).length, `${what}: a family per TYPE line`)
  t.equal(families.reduce((n, family) => n + family.samples.length, 0), lines.filter((line) => line !== '' && !line.startsWith('#')).length, `${what}: a sample per line`)
  return new Map(families.map((family) => [family.name, family]))
}

/** A family's type and its samples as `name{labels} value`, labels sorted, values as numbers. */
function shape (families: Map<string, ParsedFamily>, name: string): [string, string[]] | undefined {
  const family = families.get(name)
  if (family === undefined) return undefined
  return [family.type, family.samples.map((s) => {
    const labels = Object.keys(s.labels).sort().map((k) => `${k}=${JSON.stringify(s.labels[k])}`).join(',')
    return `${s.name}${labels === '' ? '' : `{${labels}}`} ${Number(s.value)}`
  })]
}

/** What both formats must show of the vars, as read: names, types, label values and values as published. */
function checkVars (t: Test, families: Map<string, ParsedFamily>, openmetrics: boolean, ns: string, what: string): void {
  const unknown = 'unknown'
  // The namespace's `_` and a name's leading one are one `_` once sanitised.
  const prefixed = (s: string): string => ns === '' ? s : ns + s.replace(/^_/, '')
  const same = (name: string, type: string, samples: string[], why: string): void => { t.same(shape(families, prefixed(name)), [type, samples.map(prefixed)], `${what}: ${why}`) }
  same('requests', 'counter', ['requests_total 7'], 'a counter')
  t.equal(families.get(ns + 'requests')?.help, 'Requests served, with "quotes", a \\ backslash\nand a newline.', `${what}: its help unescaped`)
  same('jobs', 'counter', ['jobs_total 2'], 'a counter named _total')
  same('queue_depth', 'gauge', ['queue_depth -3'], 'a gauge, camelCase named')
  same('temperature', 'gauge', ['temperature 21.5'], 'a Float')
  t.equal(families.get(ns + 'temperature')?.help, 'Ünïcödé help ✓', `${what}: unicode help`)
  same('tiny', unknown, ['tiny 1e-7'], 'an untyped Float')
  same('not_a_number', unknown, ['not_a_number NaN'], 'NaN')
  same('plus_inf', unknown, ['plus_inf Infinity'], '+Inf')
  same('minus_inf', unknown, ['minus_inf -Infinity'], '-Inf')
  same('hits', 'counter', ['hits_total{route=""} 5', 'hits_total{route="/a"} 3', 'hits_total{route="/float"} 0.25', 'hits_total{route="/quote\\"back\\\\slash\\nnewline"} 1', 'hits_total{route="ünïcödé ✓"} 2'], 'a Map with its label, its keys escaped')
  same('plain_map', unknown, ['plain_map{key="x"} 1'], 'a Map, label key')
  if (openmetrics) t.equal(families.get(ns + 'big')?.samples[0]?.value, String(2n ** 70n), `${what}: a bigint, exact`)
  t.equal(Number(families.get(ns + 'big')?.samples[0]?.value), 2 ** 70, `${what}: a bigint's value`)
  same('exact', unknown, [`exact ${2 ** 60}`], 'an integer past 2^53')
  for (const [name, value] of [['pool_idle', 2], ['pool_busy', 1], ['pool_healthy', 1], ['pool_down', 0], ['pool_nested_deep_depth', 3], ['_9lives', 9], ['dotted_name_with_spaces', 1], ['colon_name', 1], ['http_server_errors', 1], ['_dunder', 1], ['unicode', 1]] as const) {
    same(name, unknown, [`${name} ${value}`], `${name}, an object's leaf or an odd name`)
  }
  same('queue_count', unknown, ['queue_count 4'], 'a gauge named _count is untyped')
  same('tasks_total', unknown, ['tasks_total{key="a"} 1'], 'a gauge Map named _total is untyped')
  same('c', 'counter', ['c_total 1'], 'c beside c_created')
  same('unbounded', 'counter', ['unbounded_total Infinity'], 'a counter at +Inf')
  same('nought', 'counter', ['nought_total 0'], 'a counter at -0')
  same('level', 'gauge', ['level -2'], 'a gauge below zero')
  // Text 0.0.4's parsers skip the blanks before a HELP text (so do Prometheus' and promtool's).
  const help = ODD_HELP.replace('\ud800', '\ufffd')
  t.equal(families.get(ns + 'odd_help')?.help, openmetrics ? help : help.trimStart(), `${what}: odd help as given`)
  t.equal(families.get(ns + 'backslash_help')?.help, 'ends in a backslash\\', `${what}: help ending in a backslash`)
  t.same(families.get(ns + 'odd_keys')?.samples.map((s) => s.labels.key).sort(), ODD_KEYS.map((k) => k.replace('\ud800', '\ufffd')).sort(), `${what}: odd label values as given`)
  for (const gone of ['down', 'lost_a', 'lost', 'c_created', 'wait_seconds_bucket', 'broken', 'cycle_n', 'build', 'sizes_total']) t.notOk(families.has(ns + gone), `${what}: ${gone} left out`)
  // Histograms: OpenMetrics has a label set's _sum and _count only while its sum is a counter.
  const sums = (name: string): string[] | undefined => shape(families, ns + name)?.[1].filter((s) => !s.includes('_bucket'))
  t.equal(families.get(ns + 'wait_seconds')?.type, 'histogram', `${what}: a labelled histogram`)
  t.same(sums('wait_seconds'), [`${ns}wait_seconds_sum{route="/a"} 0.2`, `${ns}wait_seconds_count{route="/a"} 1`, `${ns}wait_seconds_sum{route="/b\\"\\\\\\n"} 3`, `${ns}wait_seconds_count{route="/b\\"\\\\\\n"} 2`], `${what}: its sums and counts by route`)
  same('plain_seconds', 'histogram', ['plain_seconds_bucket{le="0.5"} 0', 'plain_seconds_bucket{le="1"} 1', 'plain_seconds_bucket{le="+Inf"} 1', 'plain_seconds_sum 0.7', 'plain_seconds_count 1'], 'a histogram')
  const negative = openmetrics ? [] : ['delta_sum -0.5', 'delta_count 1']
  same('delta', 'histogram', ['delta_bucket{le="-1"} 0', 'delta_bucket{le="0"} 1', 'delta_bucket{le="1"} 1', 'delta_bucket{le="+Inf"} 1', ...negative], 'a bound below zero: no _sum, no _count in OpenMetrics')
  t.same(sums('below'), openmetrics ? [] : [`${ns}below_sum -5`, `${ns}below_count 1`], `${what}: a negative sum: no _sum, no _count in OpenMetrics`)
  t.same(sums('never'), [`${ns}never_sum 0`, `${ns}never_count 0`], `${what}: a histogram without observations`)
  t.same(sums('sizes'), [`${ns}sizes_sum 1e+300`, `${ns}sizes_count 1`], `${what}: a histogram named _total drops it`)
  t.same(sums('pairs'), [`${ns}pairs_sum{a="",b="ü\\n\\""} 1`, `${ns}pairs_count{a="",b="ü\\n\\""} 1`], `${what}: two labels, one empty`)
  t.same(sums('latency'), [`${ns}latency_sum{route="/x"} 2`, `${ns}latency_count{route="/x"} 1`, ...openmetrics ? [] : [`${ns}latency_sum{route="/y"} 0.5`, `${ns}latency_count{route="/y"} 1`]], `${what}: a Map of histograms, per label set`)
}

/** The builtins' families, with their prom-client types. */
function checkBuiltins (t: Test, families: Map<string, ParsedFamily>, openmetrics: boolean, all: boolean, what: string): void {
  const expected: [string, string][] = [['process_cpu_user_seconds', 'counter'], ['process_resident_memory_bytes', 'gauge'], ['nodejs_version_info', 'gauge'], ['nodejs_eventloop_lag_p99_seconds', 'gauge'], ['nodejs_heap_size_used_bytes', 'gauge'], ['nodejs_active_handles_total', 'unknown'], ['nodejs_gc_duration_seconds', 'histogram']]
  if (all) expected.push(['http_requests', 'counter'], ['http_responses', 'counter'], ['http_request_duration_seconds', 'histogram'])
  for (const [name, type] of expected) t.equal(families.get(name)?.type, type, `${what}: ${name}`)
  if (all) t.ok(Number(families.get('http_requests')?.samples[0]?.value) >= 2, `${what}: the http builtin counted the requests`)
}

test('one process: every body of the route, in both formats, is read whole by the reference parsers', async (t) => {
  if (!haveParser(t)) return
  for (const [options, all] of [[{}, false], [{ builtins: BUILTIN_NAMES, prometheus: { namespace: 'svc' } }, true]] as const) {
    const fastify = await app(options)
    t.teardown(() => fastify.close())
    const ns = all ? 'svc_' : ''
    for (let scrape = 0; scrape < 2; scrape++) {
      // The second scrape is made from what the first one kept.
      const what = `${all ? 'every builtin, namespace svc' : 'default builtins'}, scrape ${scrape}`
      const openmetrics = await fastify.inject({ url: '/metrics', headers: OPENMETRICS })
      t.match(String(openmetrics.headers['content-type']), /^application\/openmetrics-text/)
      const om = await read(t, openmetrics.body, 'openmetrics', `${what}, OpenMetrics`)
      checkVars(t, om, true, ns, `${what}, OpenMetrics`)
      checkBuiltins(t, om, true, all, `${what}, OpenMetrics`)
      const text = await read(t, (await fastify.inject('/metrics')).body, 'text', `${what}, text`)
      checkVars(t, text, false, ns, `${what}, text`)
      checkBuiltins(t, text, false, all, `${what}, text`)
    }
    // registry.metrics(), without a route.
    const alone = await read(t, await fastify.expvar.metrics({ openmetrics: true, namespace: 'lib' }), 'openmetrics', 'registry.metrics()')
    t.same(shape(alone, 'lib_c'), ['counter', ['lib_c_total 1']], 'registry.metrics(): a counter')
  }
})

test('a cluster of three: the labelled exposition, in both formats, is read whole by the reference parsers', async (t) => {
  if (!haveParser(t)) return
  const fake = new FakeCluster()
  const aggregator = relay(fake as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const log = { warn: () => {}, error: () => {}, info: () => {} }
  const apps = await Promise.all([1, 2, 3].map(() => app({ builtins: BUILTIN_NAMES })))
  t.teardown(() => Promise.all(apps.map((a) => a.close())))
  const members = apps.map((a, i) => new ClusterMember(fake.fork(i + 1), { timeout: 5000, local: answersOf(a.expvar as LibRegistry), log }))
  for (const m of members) m.start()
  t.teardown(() => { for (const m of members) m.stop() })
  await fake.settled()
  const cluster = new Cluster(members[0] as ClusterMember, BUILTINS)
  for (const namespace of ['', 'app']) {
    const ns = namespace === '' ? '' : namespace + '_'
    for (const openmetrics of [true, false]) {
      const what = `cluster, namespace "${namespace}", ${openmetrics ? 'OpenMetrics' : 'text'}`
      const families = await read(t, await cluster.metrics({ openmetrics, namespace, log }), openmetrics ? 'openmetrics' : 'text', what)
      t.same(families.get(ns + 'requests')?.samples.map((s) => [s.labels.worker, Number(s.value)]), [['1', 7], ['2', 7], ['3', 7]], `${what}: a counter per worker`)
      t.same(families.get(ns + 'delta')?.samples.filter((s) => s.name.endsWith('_count')).length, openmetrics ? 0 : 3, `${what}: a bound below zero, per worker`)
      t.same(new Set(families.get(ns + 'wait_seconds')?.samples.map((s) => s.labels.worker)), new Set(['1', '2', '3']), `${what}: a histogram per worker`)
      t.equal(Number(families.get(ns + 'cluster_workers')?.samples[0]?.value), 3, `${what}: the cluster var`)
      checkBuiltins(t, families, openmetrics, true, what)
      for (const gone of ['c_created', 'down', 'wait_seconds_bucket']) t.notOk(families.has(ns + gone), `${what}: ${gone} left out`)
    }
  }
})
