// Golden bodies: every format's exact bytes for fixed registries, kept as fixtures from before the
// format seam (main at ccde115), so that a change of how bodies are made cannot change what they are.
// GOLDEN_UPDATE=1 writes the fixtures anew instead of comparing.
import { readFileSync, writeFileSync } from 'node:fs'
import { test, type Test } from 'tap'
import { ExpVar, HistogramVar, type IntVar, MapVar, Registry, StringVar } from '../index.js'
import { BUILTINS } from '../lib/builtins/index.js'
import { BUILTIN } from '../lib/families.js'
import { FuncVar } from '../lib/vars.js'
import { answersOf, Cluster } from '../lib/cluster/index.js'
import { relay, type RelayCluster } from '../lib/cluster/primary.js'
import { ClusterMember } from '../lib/cluster/worker.js'
import type { Registry as LibRegistry } from '../lib/registry.js'
import { FakeCluster } from './fake-cluster.js'
import { build } from './helpers.js'

const DIR = new URL('./fixtures/golden/', import.meta.url)
const UPDATE = process.env.GOLDEN_UPDATE === '1'
const OPENMETRICS = { accept: 'application/openmetrics-text; version=1.0.0' }
const NOW = 1_767_000_000_000

function golden (t: Test, file: string, body: string | undefined): void {
  if (body === undefined) throw new Error(`no body for ${file}`)
  const url = new URL(file, DIR)
  if (UPDATE) writeFileSync(url, body)
  t.equal(body, readFileSync(url, 'utf8'), file)
}

/** Every var kind, a Map with nested Maps and a label, nested objects, merged registrations, odd names. */
function publish (registry: Registry): void {
  registry.int('requests', { help: 'Requests "served".\nTwice.', type: 'counter' }).add(42)
  registry.int('negative').add(-7)
  registry.float('ratio', { type: 'gauge' }).set(0.25)
  registry.float('tiny').set(1e-7)
  registry.float('huge').set(2 ** 60)
  registry.string('version').set('v1 "quoted"\n\u2028 ünï')
  const paths = registry.map('paths', { label: 'path', help: 'Hits by path.' })
  paths.add('/b', 1)
  paths.add('/a', 3)
  paths.add('/a\\"q"', 2)
  const inner = new MapVar()
  inner.add('x', 2)
  const note = new StringVar()
  note.set('hi')
  const nested = registry.map('nested')
  nested.set('inner', inner)
  nested.set('note', note)
  nested.add('count', 9)
  registry.func('config', () => ({
    a: 1,
    b: { c: 2.5, d: 'x', e: [1, 2, { f: 3 }], g: null, h: true, i: false },
    big: 2n ** 70n,
    inf: Infinity,
    nan: NaN,
    map: new Map<unknown, unknown>([['k', 1], [2, { deep: 4 }]]),
    set: new Set([1, 'two']),
    date: new Date(0),
    skipped: undefined,
    fn: () => 1
  }))
  registry.register('merged', () => ({ a: 1, shared: { x: 1 } }))
  registry.register('merged', () => ({ b: 2, shared: { y: 2 } }))
  registry.register('later', async () => ({ settled: 7 }))
  registry.register('naïve µs/ops-Count', () => 3)
  registry.register('camelCaseHTTPName', () => ({ innerValue: 5, 'with space': 6 }))
  registry.register('text', () => 'a string')
  registry.register('list', () => [1, 'a', null])
  registry.register('nothing', () => null)
  registry.register({ name: 'defined', value: () => 11, help: 'A definition.', type: 'gauge' })
  class Custom extends ExpVar {
    name = 'custom'
    value (): unknown { return { kind: 'custom', n: 12 } }
  }
  registry.register(Custom)
  registry.register('selfRendering', { value: () => ({ own: 1 }), string: () => '{"own": 1}' })
}

test('a single process: the document, Prometheus text and OpenMetrics, at every route', async (t) => {
  const argv = process.argv
  const now = Date.now
  process.argv = ['/usr/bin/node', '/srv/app.js', '--token=secret', 'https://user:pass@example.com/x', 'serve']
  Date.now = () => NOW
  t.teardown(() => {
    process.argv = argv
    Date.now = now
  })
  const { app } = await build({ cmdline: true, builtins: ['http'], prometheus: true })
  t.teardown(() => app.close())
  publish(app.expvar)
  // The http builtin counts these requests, in this order.
  golden(t, 'document.json', (await app.inject('/debug/vars')).body)
  golden(t, 'document-vars.json', (await app.inject('/debug/vars?vars=requests,paths,config,absent')).body)
  golden(t, 'metrics.txt', (await app.inject('/metrics')).body)
  golden(t, 'metrics.openmetrics', (await app.inject({ url: '/metrics', headers: OPENMETRICS })).body)
  golden(t, 'document-again.json', (await app.inject('/debug/vars')).body)
  golden(t, 'metrics-again.txt', (await app.inject('/metrics')).body)

  const registry = new Registry()
  publish(registry)
  golden(t, 'registry-document.json', await registry.document())
  golden(t, 'registry-metrics-namespace.txt', await registry.metrics({ namespace: 'app' }))
  golden(t, 'registry-metrics-namespace.openmetrics', await registry.metrics({ namespace: 'app', openmetrics: true, vars: ['paths', 'config', 'requests'] }))
  golden(t, 'registry-empty.json', await new Registry().document())
  golden(t, 'registry-empty.txt', await new Registry().metrics())
  golden(t, 'registry-empty.openmetrics', await new Registry().metrics({ openmetrics: true }))
})

const ring = (values: readonly number[]): number[] => Array.from({ length: 256 }, (_, i) => values[i] ?? 0)

/**
 * A builtin's name registered as the plugin registers its builtins: the var carries its builtin's
 * faces, so that each worker writes its families itself (its share of the cluster's metrics).
 */
function builtin (registry: Registry, name: string, v: (() => unknown) | HistogramVar): void {
  registry.register(name, Object.assign(typeof v === 'function' ? new FuncVar(v) : v, { [BUILTIN]: BUILTINS.get(name) }))
}

/** One worker's vars with fixed values: the builtins' names with values of their shape, and user vars. */
function workerRegistry (n: number): Registry {
  const registry = new Registry()
  registry.int('hits').add(10 * n)
  const paths = registry.map('paths', { label: 'path' })
  paths.add('/a', n)
  paths.add(`/only-${n}`, 1)
  registry.float('load', { aggregate: 'max' }).set(n / 4)
  registry.register('big', () => 2n ** 60n + BigInt(n))
  registry.register('shape', () => ({ a: n, b: { c: n * 2, d: `w${n}` }, list: [n] }))
  builtin(registry, 'memstats', () => ({
    Alloc: 1000 * n,
    HeapAlloc: 1000 * n,
    HeapSys: 4000 * n,
    PauseTotalNs: 1_500_000 * n,
    PauseNs: ring([100 * n, 200 * n]),
    PauseEnd: ring([1_000_000 + n, 2_000_000 + n]),
    NumGC: 2,
    GCCPUFraction: 0.01 * n,
    LastGC: 2_000_000 + n,
    EnableGC: true,
    BySize: [{ Size: 0, Mallocs: 0, Frees: 0 }]
  }))
  const gc = new HistogramVar({ buckets: [0.001, 0.01, 0.1, 1, 2, 5], labels: ['kind'] })
  gc.observe({ kind: 'minor' }, 0.0005 * n)
  gc.observe({ kind: 'minor' }, 0.002)
  if (n === 2) gc.observe({ kind: 'major' }, 1.5)
  builtin(registry, 'gc', gc)
  builtin(registry, 'eventloop', () => ({ min: 1e6 * n, max: 5e6 * n, mean: 2e6, stddev: 1e5 * n, p50: 2e6, p90: 3e6 * n, p99: 4e6 * n, samples: 10 * n, utilization: 0.1 * n, lag: 3e6 * n }))
  builtin(registry, 'http', () => ({ requests: 5 * n, inFlight: 1, aborted: n - 1, responses: { '1xx': 0, '2xx': 4 * n, '3xx': 0, '4xx': n - 1, '5xx': 0 } }))
  builtin(registry, 'process', () => ({
    pid: 100 + n,
    uptime: 60 * n,
    startTime: 1_767_000_000 - 60 * n,
    title: 'node',
    versions: { node: '22.1.0' },
    memory: { rss: 50_000 * n, external: 700 * n },
    heapSpaces: { new: { size: 10 * n, used: 5 * n, available: 5 }, old: { size: 20 * n, used: 15, available: 5 * n } }
  }))
  builtin(registry, 'resource', () => ({ utime: 1.25 * n, stime: 0.5, maxrss: 9000 * n, minflt: n }))
  builtin(registry, 'cmdline', () => ['/usr/bin/node', `/srv/worker-${n}.js`])
  return registry
}

test('a cluster of three: the aggregated document, one worker\'s own, and the labelled exposition', async (t) => {
  const now = Date.now
  Date.now = () => NOW
  t.teardown(() => { Date.now = now })
  const fake = new FakeCluster()
  const aggregator = relay(fake as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const log = { warn: () => {}, error: () => {}, info: () => {} }
  const members = [1, 2, 3].map((id) => new ClusterMember(fake.fork(id), { timeout: 5000, local: answersOf(workerRegistry(id) as LibRegistry), log }))
  for (const m of members) m.start()
  t.teardown(() => { for (const m of members) m.stop() })
  await fake.settled() // the members' hellos and the relay's answers
  const cluster = new Cluster(members[0] as ClusterMember, BUILTINS)
  golden(t, 'cluster-document.json', await cluster.document(undefined, undefined))
  golden(t, 'cluster-document-vars.json', await cluster.document(['hits', 'memstats', 'cluster', 'absent'], undefined))
  golden(t, 'cluster-document-no-cluster.json', await cluster.document(['shape', 'load'], undefined))
  golden(t, 'cluster-worker-2.json', await cluster.document(undefined, 2))
  golden(t, 'cluster-metrics.txt', await cluster.metrics({ openmetrics: false, namespace: '', log }))
  golden(t, 'cluster-metrics.openmetrics', await cluster.metrics({ openmetrics: true, namespace: '', log }))
  golden(t, 'cluster-metrics-namespace.txt', await cluster.metrics({ openmetrics: false, namespace: 'app', log }))
})

test('a large registry, sliced: every format, then again after one var changed', async (t) => {
  const registry = new Registry()
  const counters: IntVar[] = []
  for (let i = 0; i < 1200; i++) {
    const name = `var${String(i).padStart(4, '0')}`
    if (i % 4 === 0) counters.push(registry.int(name))
    else if (i % 4 === 1) registry.map(name).add('k', i)
    else if (i % 4 === 2) registry.register(name, () => ({ n: i, s: 'x' }))
    else registry.register(name, async () => i)
  }
  for (const [i, counter] of counters.entries()) counter.add(i)
  golden(t, 'large-document.json', await registry.document())
  golden(t, 'large-metrics.txt', await registry.metrics())
  counters[100]?.add(1)
  golden(t, 'large-document-changed.json', await registry.document())
  golden(t, 'large-metrics-changed.openmetrics', await registry.metrics({ openmetrics: true }))
})
