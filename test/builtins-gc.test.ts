// The gc builtin: every GC's pause by kind in prom-client's buckets, in the document, the exposition and a cluster.
import Fastify, { type FastifyInstance } from 'fastify'
import v8 from 'node:v8'
import vm from 'node:vm'
import { test } from 'tap'
import expvar, { type HistogramVar, Registry } from '../index.js'
import { BUILTINS } from '../lib/builtins/index.js'
import { aggregate } from '../lib/cluster/aggregate.js'
import { observerDisconnects, waitFor } from './helpers.js'
import { haveTool, promtoolCheck } from './prometheus-tools.js'

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as (options?: { type: 'major' | 'minor' }) => void

interface Leaf { count: number, sum: number, buckets: Record<string, number>, p50: number | null, p90: number | null, p99: number | null }
type Pauses = Record<string, Leaf>

// prom-client's bounds, as the document and `le` write them, in order.
const LES = ['0.001', '0.01', '0.1', '1', '2', '5', '+Inf']

async function app (t: { teardown: (fn: () => unknown) => void }, options: object = { builtins: ['gc'] }): Promise<FastifyInstance> {
  const instance = Fastify()
  await instance.register(expvar, { cmdline: false, memstats: false, prometheus: true, ...options })
  t.teardown(() => instance.close())
  return instance
}

async function pausesOf (instance: FastifyInstance): Promise<Pauses> {
  return (JSON.parse((await instance.inject('/debug/vars?vars=gc')).body) as { gc: Pauses }).gc
}

/**
 * Runs `step` until the instance's gc var counts more pauses of `kind` than `before` has; the
 * observer reports GCs asynchronously, so it is polled. Bounded: a kind that never comes fails.
 */
async function untilMore (instance: FastifyInstance, kind: string, before: Pauses, step: () => void): Promise<Pauses> {
  return waitFor(`a ${kind} GC observed`, async () => {
    step()
    const now = await pausesOf(instance)
    return (now[kind]?.count ?? 0) > (before[kind]?.count ?? 0) && now
  }, { every: 1 })
}

// Objects kept alive until the heap is big enough for V8 to start incremental marking, then let go.
let retained: object[] = []
function allocate (): void {
  for (let i = 0; i < 1e5; i++) retained.push({ i })
  if (retained.length > 2e6) retained = []
}

test('gc is on with prometheus: true, off by default; an explicit builtins without it leaves it out', async (t) => {
  t.ok((await app(t, {})).expvar.names().includes('gc'), 'prometheus: true alone')
  t.notOk((await app(t, { prometheus: false })).expvar.names().includes('gc'), 'off without prometheus')
  t.notOk((await app(t, { builtins: ['process'] })).expvar.names().includes('gc'), 'builtins given: what runs')
  t.ok((await app(t, { prometheus: false, builtins: ['gc'] })).expvar.names().includes('gc'), 'named, without prometheus')
})

test('every GC\'s pause is counted under its kind, in prom-client\'s buckets, in seconds', async (t) => {
  const instance = await app(t)
  t.same(await pausesOf(instance), {}, 'no kind before a GC')
  let pauses = await untilMore(instance, 'major', {}, () => gc())
  pauses = await untilMore(instance, 'minor', pauses, () => gc({ type: 'minor' }))
  pauses = await untilMore(instance, 'incremental', pauses, allocate)
  retained = []
  const body = (await instance.inject('/debug/vars?vars=gc')).body
  for (const kind of ['incremental', 'major', 'minor']) {
    const leaf = pauses[kind] as Leaf
    t.same(Object.keys(leaf), ['count', 'sum', 'buckets', 'p50', 'p90', 'p99'], `${kind}: a histogram leaf`)
    // The text keeps the bounds in order (an object's integer keys would come first).
    t.match(body, new RegExp(`"${kind}":\\{"count":\\d+,"sum":[\\d.e-]+,"buckets":\\{${LES.map((le) => `"${le.replace('+', '\\+')}":\\d+`).join(',')}\\}`), `${kind}: buckets in bound order`)
    const counts = LES.map((le) => leaf.buckets[le] as number)
    t.ok(counts.every((count, i) => i === 0 || count >= (counts[i - 1] as number)), `${kind}: cumulative`)
    t.equal(counts[counts.length - 1], leaf.count, `${kind}: +Inf is the count`)
    t.ok(leaf.count > 0 && leaf.sum > 0 && leaf.sum < leaf.count * 5, `${kind}: a sum of pauses in seconds (${leaf.sum} for ${leaf.count})`)
    t.ok(typeof leaf.p50 === 'number' && leaf.p50 <= (leaf.p99 as number), `${kind}: quantiles`)
  }
  t.same(Object.keys(pauses).sort(), ['incremental', 'major', 'minor'], 'only kinds seen')
})

test('nodejs_gc_duration_seconds: a histogram with kind and le, _sum and _count, as the document has them; promtool is clean', async (t) => {
  const instance = await app(t)
  await untilMore(instance, 'major', {}, () => gc())
  await untilMore(instance, 'minor', {}, () => gc({ type: 'minor' }))
  // A GC after the document would differ: the exposition is read first, the document after, with no GC between.
  const text = (await instance.inject('/metrics')).body
  const pauses = await pausesOf(instance)
  const open = (await instance.inject({ url: '/metrics', headers: { accept: 'application/openmetrics-text; version=1.0.0' } })).body
  for (const body of [text, open]) {
    t.match(body, /^# TYPE nodejs_gc_duration_seconds histogram$/m)
    t.match(body, /^# HELP nodejs_gc_duration_seconds GC pauses by kind \(major, minor, incremental, weakcb\), in seconds \(gc\)\.$/m)
  }
  for (const [kind, leaf] of Object.entries(pauses)) {
    const lines = LES.map((le) => `nodejs_gc_duration_seconds_bucket{kind="${kind}",le="${le}"} ${leaf.buckets[le] as number}`)
    lines.push(`nodejs_gc_duration_seconds_sum{kind="${kind}"} ${leaf.sum}`, `nodejs_gc_duration_seconds_count{kind="${kind}"} ${leaf.count}`)
    t.ok(text.includes(lines.join('\n') + '\n'), `${kind}: every bucket in order, then _sum and _count`)
  }
  t.same(Object.keys(pauses).sort(), ['major', 'minor'])
  if (!haveTool(t, 'promtool')) return
  const { code, output } = await promtoolCheck(text)
  t.equal(code, 0, 'promtool exits 0')
  t.equal(output, '', 'promtool has nothing to say')
})

test('a user\'s var merged into gc that is not a histogram by kind gives no sample', async (t) => {
  for (const value of ['n/a', { odd: { buckets: 'n/a', sum: 1, count: 1 } }]) {
    const instance = await app(t)
    instance.expvar.register('gc', () => value)
    t.notMatch((await instance.inject('/metrics')).body, /nodejs_gc_duration_seconds_/, `no sample of ${JSON.stringify(value)}`)
  }
})

test('the gc var is a HistogramVar; a closed instance stops observing, the open one goes on', async (t) => {
  const a = await app(t)
  const b = await app(t)
  const closed = a.expvar.get('gc') as HistogramVar
  await untilMore(a, 'major', {}, () => gc())
  const before = closed.string()
  await a.close()
  t.notOk(a.expvar.names().includes('gc'), 'withdrawn from the registry')
  const bBefore = await pausesOf(b)
  await untilMore(b, 'major', bBefore, () => gc())
  t.equal(closed.string(), before, 'the closed instance saw none of the GCs since')
  t.equal((closed.value() as Pauses).major?.count, (JSON.parse(before) as Pauses).major?.count)
})

test('a gc refused by the registry stops the observer it started', async (t) => {
  const disconnects = observerDisconnects(t)
  const registry = new Registry({ collisions: 'error' })
  registry.register('gc', () => 'taken')
  await t.rejects(async () => Fastify().register(expvar, { registry, cmdline: false, memstats: false, builtins: ['gc'] }), { code: 'FST_EXPVAR_DUPLICATE' })
  t.equal(disconnects.count, 1)
  t.same(await registry.snapshot(), { gc: 'taken' })
})

test('in a cluster\'s document, each kind\'s buckets, sums and counts are added and the quantiles estimated again', async (t) => {
  const leaf = (counts: number[], sum: number, les = LES): Leaf => ({
    count: counts[counts.length - 1] as number,
    sum,
    buckets: Object.fromEntries(les.map((le, i) => [le, counts[i] as number])),
    p50: null,
    p90: null,
    p99: null
  })
  const gcOf = (values: unknown[]): Pauses =>
    (aggregate(values.map((value, i) => ({ worker: i + 1, readings: [{ name: 'gc', value }] })), BUILTINS)[0] as { value: Pauses }).value
  const merged = gcOf([
    { minor: leaf([1, 2, 2, 2, 2, 2, 2], 0.005), major: leaf([0, 0, 1, 1, 1, 1, 1], 0.05) },
    { minor: leaf([3, 4, 4, 4, 4, 4, 4], 0.007) },
    // Another version's bounds: its minor pauses cannot be added bucket by bucket, and are left out.
    { minor: leaf([1, 1, 1], 0.5, ['0.5', '1', '+Inf']) },
    'not a histogram'
  ])
  t.same(Object.keys(merged), ['major', 'minor'], 'kinds in order')
  t.same(merged.minor?.buckets, { 0.001: 4, 0.01: 6, 0.1: 6, 1: 6, 2: 6, 5: 6, '+Inf': 6 })
  t.equal(merged.minor?.count, 6)
  t.ok(Math.abs((merged.minor?.sum as number) - 0.012) < 1e-12)
  // Prometheus' estimate over the added buckets: rank 3 of 6 falls in the first bucket, 4 deep.
  t.equal(merged.minor?.p50, 0.001 * 3 / 4)
  const major = merged.major as Leaf
  t.same({ ...major, p50: null, p90: null, p99: null }, leaf([0, 0, 1, 1, 1, 1, 1], 0.05), 'one worker\'s kind: as it was')
  // Its one pause is in (0.01, 0.1]: each quantile that far into the bucket.
  for (const [key, q] of [['p50', 0.5], ['p90', 0.9], ['p99', 0.99]] as const) t.ok(Math.abs((major[key] as number) - (0.01 + 0.09 * q)) < 1e-12, `${key} estimated`)
})
