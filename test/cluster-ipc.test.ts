// Cluster mode in one process: the relay and the workers' side over a fake IPC pair, the
// aggregation rules, and the cluster option (the real node:cluster is in e2e/cluster.test.ts).
import { EventEmitter } from 'node:events'
import nodeCluster from 'node:cluster'
import Fastify, { type FastifyInstance } from 'fastify'
import { test, type Test } from 'tap'
import expvar, { aggregateWorkers, type FastifyExpvarOptions, HistogramVar, Registry } from '../index.js'
import { BUILTINS, builtinsOf } from '../lib/builtins/index.js'
import { RING_SIZE } from '../lib/builtins/memstats.js'
import { aggregate, combine } from '../lib/cluster/aggregate.js'
import { answersOf, Cluster, type IpcProcess, joinCluster } from '../lib/cluster/index.js'
import { relay, type RelayCluster } from '../lib/cluster/primary.js'
import { TAG, VERSION } from '../lib/cluster/protocol.js'
import { ClusterMember, type MemberChannel, type MemberOptions } from '../lib/cluster/worker.js'
import type { Registry as LibRegistry } from '../lib/registry.js'
import { FakeCluster, tick } from './fake-cluster.js'
import { build, ERROR, type LogLine, logsFor, scrape, WARN } from './helpers.js'
import { haveTool, promtoolCheck } from './prometheus-tools.js'

const silent: MemberOptions['log'] = { warn: () => {}, error: () => {}, info: () => {} }

function member (channel: MemberChannel | undefined, registry: Registry, timeout = 200, log = silent): ClusterMember {
  const m = new ClusterMember(channel, { timeout, local: answersOf(registry as LibRegistry), log })
  m.start()
  return m
}

/** The cluster's document (or with worker, that worker's own) as the route sends it. */
function clusterBody (m: ClusterMember, vars: readonly string[] | undefined, worker: number | undefined): Promise<string | undefined> {
  return new Cluster(m, new Map()).document(vars, worker)
}

function counting (n: number): Registry {
  const registry = new Registry()
  registry.int('hits').add(n)
  registry.map('paths').add('/a', n)
  return registry
}

test('the relay sums every worker\'s counts, and gives one worker\'s own document', async (t) => {
  const cluster = new FakeCluster()
  const stop = relay(cluster as unknown as RelayCluster)
  t.teardown(() => stop.stop())
  const members = [1, 2, 3].map((id) => member(cluster.fork(id), counting(id)))
  await tick(); await tick()
  const doc = JSON.parse(await clusterBody(members[1] as ClusterMember, undefined, undefined) as string)
  t.same(doc, { cluster: { workers: 3, answered: 3, missing: [], relay: true }, hits: 6, paths: { '/a': 6 } })
  t.same(JSON.parse(await clusterBody(members[0] as ClusterMember, ['hits'], 3) as string), { hits: 3 })
  t.same(JSON.parse(await clusterBody(members[0] as ClusterMember, undefined, 1) as string), { hits: 1, paths: { '/a': 1 } }, 'its own')
  t.equal(await clusterBody(members[0] as ClusterMember, undefined, 9), undefined, 'an unknown worker')
  t.same(JSON.parse(await clusterBody(members[0] as ClusterMember, ['hits'], undefined) as string), { hits: 6 }, '?vars= without cluster')
  for (const m of members) m.stop()
  t.equal(cluster.listenerCount('message'), 1)
})

test('the cluster scrapes a format of one\'s own: the workers\' readings aggregated, a reading its writer throws for left out and logged once', async (t) => {
  const cluster = new FakeCluster()
  const stop = relay(cluster as unknown as RelayCluster)
  t.teardown(() => stop.stop())
  const members = [1, 2].map((id) => member(cluster.fork(id), counting(id)))
  await tick(); await tick()
  const lines: unknown[][] = []
  const log = { warn: () => {}, error: (obj: object, msg: string) => { lines.push([(obj as { var: string }).var, msg]) } }
  const view = new Cluster(members[0] as ClusterMember, new Map(), log)
  let refuse = true
  const csv = {
    id: 'csv',
    open () {
      const rows: string[] = []
      return {
        add (reading: { name: string, kind: string, value: unknown }) {
          if (refuse && reading.name === 'paths') throw new Error('no maps')
          rows.push(`${reading.name},${reading.kind},${JSON.stringify(reading.value)}`)
        },
        end: () => rows.join('\n')
      }
    }
  }
  const expected = 'cluster,custom,{"workers":2,"answered":2,"missing":[],"relay":true}\nhits,int,3'
  t.equal(await view.scrape(csv, { log }), expected)
  t.equal(await view.scrape(csv, { log }), expected)
  t.same(lines, [['paths', 'expvar: "paths" is left out of the cluster\'s scrape until it recovers']], 'logged once over two scrapes')
  refuse = false
  t.equal(await view.scrape(csv, { log }), expected + '\npaths,map,{"/a":3}', 'written again once it can be')
  refuse = true
  await view.scrape(csv, { log })
  t.equal(lines.length, 2, 'a new failure after it recovered is logged again')
  for (const m of members) m.stop()
})

test('two instances in one worker each get their own answers; stray answers are ignored', async (t) => {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const channel = cluster.fork(1)
  const sent: { id?: string }[] = []
  const spied: MemberChannel = { ...channel, send: (message, callback) => { sent.push(message as { id?: string }); channel.send(message, callback) } }
  const a = member(spied, counting(1))
  const b = member(channel, counting(10))
  const sibling = member(cluster.fork(2), counting(100), 200)
  await tick(); await tick()
  const [fromA, fromB] = await Promise.all([a.collect('document', ['hits']), b.collect('document', ['hits'])])
  t.equal(fromA.answers.get(1), '{\n"hits": 1\n}\n')
  t.equal(fromB.answers.get(1), '{\n"hits": 10\n}\n')
  t.equal(fromA.answers.get(2), '{\n"hits": 100\n}\n')
  // While a collection waits: an answer from a worker it did not ask changes nothing.
  const pending = a.collect('values', undefined)
  const id = (sent.at(-1) as { id: string }).id
  channel.channel.emit('message', { [TAG]: 'gone', id, worker: 9 })
  t.same((await pending).missing, [])
  for (const m of [a, b, sibling]) m.stop()
})

test('no listener or pending request is left behind after many scrapes', async (t) => {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  const channels = [1, 2].map((id) => cluster.fork(id))
  const members = channels.map((channel, i) => member(channel, counting(i + 1)))
  await tick(); await tick()
  for (let i = 0; i < 50; i++) await Promise.all(members.map((m) => m.collect('values', undefined)))
  t.same(channels.map((channel) => channel.channel.listenerCount('message')), [1, 1])
  t.equal(cluster.listenerCount('message'), 1)
  t.equal(cluster.listenerCount('exit'), 1)
  aggregator.stop()
  aggregator.stop()
  t.equal(cluster.listenerCount('message'), 0, 'stop removes the relay\'s listeners')
  t.equal(cluster.listenerCount('exit'), 0)
  await tick(); await tick()
  const alone = await (members[0] as ClusterMember).collect('values', undefined)
  t.same({ workers: alone.workers, relay: alone.relay }, { workers: 1, relay: false }, 'after stop the workers answer alone')
  for (const m of members) m.stop()
  t.same(channels.map((channel) => channel.channel.listenerCount('message')), [0, 0])
})

test('a silent worker is missing after the timeout, a dead one at once, one without the plugin without waiting', async (t) => {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const asker = member(cluster.fork(1), counting(1), 100)
  const silentChannel = cluster.fork(2)
  // Says hello but never answers: a blocked event loop, seen from outside.
  silentChannel.send({ [TAG]: 'hello' }, () => {})
  const dying = member(cluster.fork(3), counting(3))
  cluster.fork(4)
  const answering = member(cluster.fork(5), counting(5))
  await tick(); await tick()
  const collected = asker.collect('values', undefined)
  await tick()
  dying.stop()
  cluster.kill(3)
  const result = await collected
  t.same(result.missing, [2, 3, 4])
  t.same([...result.answers.keys()], [1, 5])
  t.equal(result.workers, 5, 'the live workers when asked')
  answering.stop()
  // A late answer for a forgotten request, and one from a worker not asked, are ignored.
  cluster.emit('message', cluster.workers[2], { [TAG]: 'reading', key: '1:1', answer: [] })
  cluster.emit('message', cluster.workers[2], { [TAG]: 'reading', id: '1', worker: 2, answer: [] })
  cluster.emit('message', cluster.workers[2], 'not ours')
  const channel = (cluster.workers[1] as { channel: EventEmitter }).channel
  for (const message of ['not ours', { [TAG]: 'asked', id: '99', workers: 1, asked: [], missing: [] }, { [TAG]: 'reading', key: 'k', answer: [] }, { [TAG]: 'gone', id: '99', worker: 2 }]) {
    channel.emit('message', message)
  }
  // Stopping the relay and the member while a collection waits ends it with what came.
  const waiting = asker.collect('values', undefined)
  await tick(); await tick()
  aggregator.stop()
  asker.stop()
  t.same([...(await waiting).answers.keys()], [1])
  t.same(relay(new EventEmitter() as unknown as RelayCluster).stop(), undefined, 'a cluster without workers')
})

test('an asker that exits is forgotten; a collection with nobody else to ask ends at once', async (t) => {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const asker = member(cluster.fork(1), counting(1), 100)
  const other = member(cluster.fork(2), counting(2))
  await tick(); await tick()
  t.same((await asker.collect('document', undefined, 2)).answers.get(2), '{\n"hits": 2,\n"paths": {"/a": 2}\n}\n')
  const pending = asker.collect('values', undefined)
  await tick()
  cluster.kill(1)
  t.same([...(await pending).answers.keys()], [1], 'the asker answers with its own when its channel goes')
  // The last worker waited for exits: the collection ends at once.
  const silentChannel = cluster.fork(3)
  silentChannel.send({ [TAG]: 'hello' }, () => {})
  const asker2 = member(cluster.fork(4), counting(4), 5000)
  await tick(); await tick()
  const waiting = asker2.collect('values', undefined, 3)
  await tick(); await tick()
  cluster.kill(3)
  t.same((await waiting).missing, [3])
  asker2.stop()
  other.stop()
  const solo = new FakeCluster()
  const soloRelay = relay(solo as unknown as RelayCluster)
  const only = member(solo.fork(7), counting(1))
  await tick(); await tick()
  t.same((await only.collect('values', undefined)).relay, true)
  soloRelay.stop()
  only.stop()
  asker.stop()
})

test('without a relay a worker answers alone, logged once, until a relay starts', async (t) => {
  const cluster = new FakeCluster()
  const warnings: unknown[] = []
  const log = { ...silent, warn: (obj: unknown) => { warnings.push(obj) } }
  const channel = cluster.fork(1)
  const m = member(channel, counting(5), 50, log)
  t.teardown(() => m.stop())
  const first = await m.collect('values', undefined)
  t.same({ workers: first.workers, missing: first.missing, relay: first.relay }, { workers: 1, missing: [], relay: false })
  await m.collect('values', undefined)
  t.equal(warnings.length, 1, 'logged once')
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  await tick(); await tick(); await tick()
  t.equal((await m.collect('values', undefined)).relay, true, 'a relay that starts later is heard')
  // A channel that fails to send is logged, not thrown.
  ;(cluster.workers[1] as { connected: boolean }).connected = false
  await m.collect('values', undefined)
  t.ok(warnings.length >= 2)
})

test('aggregateWorkers() runs in a primary and refuses a worker', async (t) => {
  const aggregator = aggregateWorkers()
  aggregator.stop()
  const isPrimary = Object.getOwnPropertyDescriptor(nodeCluster, 'isPrimary') as PropertyDescriptor
  Object.defineProperty(nodeCluster, 'isPrimary', { value: false, configurable: true })
  t.teardown(() => Object.defineProperty(nodeCluster, 'isPrimary', isPrimary))
  t.throws(() => aggregateWorkers(), { code: 'FST_EXPVAR_NOT_PRIMARY' })
})

test('cluster: true outside a cluster answers for this process alone, and says so', async (t) => {
  const { app, logs } = await build({ cluster: true })
  app.expvar.int('hits').add(2)
  t.same(await scrape(app), { cluster: { workers: 1, answered: 1, missing: [], relay: false }, hits: 2 })
  t.same(await scrape(app, '?worker=0'), { hits: 2 })
  t.equal((await app.inject('/debug/vars?worker=3')).statusCode, 404)
  t.equal((await app.inject('/debug/vars?worker=-1')).statusCode, 400)
  // Digits only: what a number parser would also read (non-finite, exponents, hex, signs, spaces) is no worker id.
  for (const worker of ['Infinity', '-Infinity', '1e400', '1e0', '0x0', '+0', '0.0', '%200', '', '12345678901']) {
    const res = await app.inject(`/debug/vars?worker=${worker}`)
    t.equal(res.statusCode, 400, `?worker=${worker}`)
    t.match(JSON.parse(res.body).message, /^querystring\/worker must match pattern/, `?worker=${worker}: the schema says why`)
  }
  t.same(await scrape(app, '?worker=00'), { hits: 2 }, 'leading zeros are digits')
  t.ok(logs.some((line) => /not a node:cluster worker/.test(line.msg)))
  await app.close()
})

test('with the default builtins on, cluster mode serves memstats and cmdline in their usual shape', async (t) => {
  const app = Fastify()
  await app.register(expvar, { cluster: true })
  const doc = await scrape(app)
  t.same(Object.keys(doc), ['cluster', 'cmdline', 'memstats'])
  t.equal(Object.keys(doc.memstats as object).length, 32)
  t.ok(Array.isArray(doc.cmdline))
  await app.close()
})

test('in a worker, the plugin joins through the process\' IPC channel and leaves on close', async (t) => {
  const proc = new EventEmitter() as EventEmitter & { send: (...args: unknown[]) => boolean, sent: unknown[] }
  proc.sent = []
  proc.send = (message, _h, _o, callback) => { proc.sent.push(message); (callback as (err: null) => void)(null); return true }
  const app = Fastify()
  await app.register(expvar, { cmdline: false, memstats: false, url: false })
  const { member: m } = joinCluster(app, app.expvar as LibRegistry, { timeout: 50 }, new Map(), { worker: { id: 4 } }, proc)
  t.equal(m.id, 4)
  t.match(proc.sent, [{ [TAG]: 'hello', v: VERSION, instance: String }], 'it says hello, naming this instance')
  t.equal(proc.listenerCount('message'), 1)
  await app.close()
  t.equal(proc.listenerCount('message'), 0)
  t.match(proc.sent.at(-1), { [TAG]: 'leave', v: VERSION, instance: (proc.sent[0] as { instance: string }).instance }, 'and says it leaves')
})

test('the cluster option: true, false or { timeout }; anything else a coded error', async (t) => {
  for (const cluster of [{ timeout: 0 }, { timeout: '1' }, { other: 1 }, 'yes', null]) {
    await t.rejects(build({ cluster: cluster as never }), { code: 'FST_EXPVAR_INVALID_OPTION' }, JSON.stringify(cluster))
  }
  const { app } = await build({ cluster: { timeout: 10 } })
  t.ok('cluster' in await scrape(app))
  const { app: off } = await build({ cluster: false })
  t.notOk('cluster' in await scrape(off))
  t.equal((await off.inject('/debug/vars?worker=x')).statusCode, 200, 'without cluster mode worker is no parameter')
})

test('aggregation: numbers summed, objects key by key, the rest from the lowest worker; meta.aggregate', async (t) => {
  const w = (worker: number, value: unknown, meta?: { aggregate?: 'sum' | 'max' | 'min' | 'avg' | 'first' }): { worker: number, readings: { name: string, value: unknown, meta?: typeof meta }[] } =>
    ({ worker, readings: [{ name: 'v', value, ...(meta === undefined ? {} : { meta }) }] })
  const one = (workers: ReturnType<typeof w>[]): unknown => (aggregate(workers)[0] as { value: unknown }).value
  t.equal(one([w(2, 3), w(1, 4)]), 7)
  t.equal(one([w(2, 'b'), w(1, 'a')]), 'a', 'the lowest-numbered worker')
  t.same(one([w(1, { a: 1, s: 'x', n: { b: 2 } }), w(2, { a: 2, c: 1, s: 'y', n: { b: 3 } })]), { a: 3, s: 'x', n: { b: 5 }, c: 1 })
  t.same(one([w(1, [1]), w(2, [2])]), [1])
  t.equal(one([w(1, 2n), w(2, 3n)]), 5n)
  t.equal(one([w(1, 2n), w(2, 3)]), 5)
  t.equal(one([w(1, 2, { aggregate: 'max' }), w(2, 5)]), 5)
  t.equal(one([w(1, 2, { aggregate: 'min' }), w(2, 5)]), 2)
  t.equal(one([w(1, 2, { aggregate: 'avg' }), w(2, 5)]), 3.5)
  t.equal(one([w(1, 2, { aggregate: 'first' }), w(2, 5)]), 2)
  t.same(aggregate([w(1, 1, { aggregate: 'max' })]), [{ name: 'v', value: 1, meta: { aggregate: 'max' } }])
  t.same(aggregate([{ worker: 1, readings: [{ name: 'b', value: 1 }, { name: 'a', value: 1 }] }]).map((r) => r.name), ['a', 'b'], 'sorted')
  const proto = combine([JSON.parse('{"__proto__": {"n": 1}}'), JSON.parse('{"__proto__": {"n": 2}}')], 'sum') as Record<string, unknown>
  t.same(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value, { n: 3 }, '__proto__ is a key like any other')
  t.equal(Object.getPrototypeOf(proto), Object.prototype)
  t.equal(({} as Record<string, unknown>).n, undefined, 'nothing polluted')
})

test('aggregation of the builtins: each by its rule', async (t) => {
  const one = (name: string, values: unknown[]): Record<string, unknown> =>
    (aggregate(values.map((value, i) => ({ worker: i + 1, readings: [{ name, value }] })), BUILTINS)[0] as { value: Record<string, unknown> }).value
  t.same(one('http', [{ requests: 2, responses: { '2xx': 2 } }, { requests: 3, responses: { '2xx': 1 } }]), { requests: 5, responses: { '2xx': 3 } })
  t.same(one('process', [{ pid: 1 }, { pid: 2 }]), { pid: 1 })
  t.same(one('cmdline', [['a'], ['b']]), ['a'])
  t.same(one('resource', [{ utime: 1, maxrss: 10 }, { utime: 2, maxrss: 30 }]), { utime: 3, maxrss: 30 })
  t.equal(one('resource', ['x', 'y']), 'x', 'a value of another shape is taken from the first')
  const loop = { min: 5, max: 10, mean: 6, stddev: 1, p50: 6, p90: 8, p99: 9, samples: 10, utilization: 0.2 }
  const merged = one('eventloop', [loop, { ...loop, min: 3, max: 20, mean: 10, p99: 19, samples: 30, utilization: 0.4 }, { ...loop, min: 0, max: 0, samples: 0, utilization: 0 }])
  t.same({ min: merged.min, max: merged.max, p99: merged.p99, mean: merged.mean, samples: merged.samples }, { min: 3, max: 20, p99: 19, mean: 9, samples: 40 })
  t.ok(Math.abs((merged.utilization as number) - 0.2) < 1e-9, 'utilization averaged over every worker')
  t.ok((merged.stddev as number) > 1, 'pooled: the means differ')
  t.same(one('eventloop', [{ ...loop, samples: 0, utilization: 0.1 }, { ...loop, samples: 0, utilization: 0.3 }]).samples, 0)
  // memstats: two workers with 300 and 2 GCs; worker 2's pauses are the newest.
  const ring = (n: number, endOf: (k: number) => number): { PauseNs: number[], PauseEnd: number[] } => {
    const PauseNs = new Array(RING_SIZE).fill(0)
    const PauseEnd = new Array(RING_SIZE).fill(0)
    for (let k = 0; k < n; k++) { PauseNs[k % RING_SIZE] = k + 1; PauseEnd[k % RING_SIZE] = endOf(k) }
    return { PauseNs, PauseEnd }
  }
  const a = { Alloc: 10, NumGC: 300, LastGC: 300, GCCPUFraction: 0.1, EnableGC: true, BySize: [1], ...ring(300, (k) => k + 1) }
  const b = { Alloc: 5, NumGC: 2, LastGC: 1000, GCCPUFraction: 0.3, EnableGC: true, BySize: [1], ...ring(2, (k) => 1000 + k) }
  const m = one('memstats', [a, b, { NumGC: 0, PauseNs: 'x' }])
  t.equal(m.Alloc, 15)
  t.equal(m.NumGC, 302)
  t.equal(m.LastGC, 1000)
  t.ok(Math.abs((m.GCCPUFraction as number) - 0.4 / 3) < 1e-9 || Math.abs((m.GCCPUFraction as number) - 0.2) < 1e-9)
  t.same(m.BySize, [1])
  const newest = (302 + 255) % 256
  t.equal((m.PauseEnd as number[])[newest], 1001, 'the newest pause at (NumGC+255)%256')
  t.equal((m.PauseEnd as number[])[(newest + 255) % 256], 1000)
  t.equal((m.PauseEnd as number[])[(newest + 254) % 256], 300)
  t.equal(Math.min(...(m.PauseEnd as number[])), 47, 'the newest 256 are kept')
  t.same(one('memstats', [a]), a, 'one worker: as it is')
})

/** A worker's app on the fake cluster, joined as the plugin joins node:cluster's IPC channel. */
async function workerApp (t: Test, cluster: FakeCluster, id: number, options: FastifyExpvarOptions = {}, timeout = 200): Promise<{ app: FastifyInstance, logs: LogLine[], view: Cluster }> {
  const { app, logs } = await build({ url: false, ...options })
  t.teardown(() => app.close())
  const channel = cluster.fork(id)
  const proc: IpcProcess = {
    send: (message, _handle, _options, callback) => { channel.send(message as never, callback); return true },
    on: (event, listener) => channel.on(event, listener),
    off: (event, listener) => channel.off(event, listener)
  }
  const builtins = builtinsOf({ cmdline: false, memstats: options.memstats === true, builtins: options.builtins ?? [] })
  const view = joinCluster(app, app.expvar as LibRegistry, { timeout }, builtins, { worker: { id } }, proc)
  return { app, logs, view }
}

/** Values JSON cannot carry as they are, and values the document writer normalises. */
function publishAwkward (registry: Registry): void {
  // A `__proto__` key is data, here holding a bigint.
  const proto = JSON.parse('{"__proto__": {"n": 9}}')
  ;(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value as { n: unknown }).n = 9n
  registry.func('big', () => 2n ** 70n)
  registry.register('specials', () => ({ nan: NaN, inf: Infinity, minus: -Infinity, list: [1n, NaN, { deep: -5n }], n: 1 }))
  registry.register('shapes', () => ({
    map: new Map<unknown, unknown>([['b', 1], ['a', new Set([1, 2])], [3, 'x']]),
    date: new Date(0),
    // eslint-disable-next-line no-new-wrappers -- boxed primitives are what the writer unboxes
    boxed: [new Number(2), new String('s'), new Boolean(false)],
    replaced: { toJSON: () => ({ by: 'toJSON', big: 3n }) },
    primitive: { toJSON: () => 7 },
    gone: undefined,
    none: null,
    method: () => 1,
    symbol: Symbol('s'),
    holes: [undefined, () => 1, Symbol('t')],
    proto
  }))
  let deep: Record<string, unknown> = { leaf: 1n }
  for (let i = 0; i < 40; i++) deep = { next: deep }
  registry.register('deep', () => deep)
  registry.register('plain', () => ({ a: [1, 'two', true, null], b: { c: 2 } }))
  registry.register('nothing', () => undefined)
}

test('one worker\'s values make the same document as its own: bigints exact, Maps, Sets, toJSON, non-finite numbers as null', async (t) => {
  const { app } = await build({ cluster: true })
  publishAwkward(app.expvar)
  const names = app.expvar.names()
  const own = await app.expvar.document()
  const whole = (await app.inject(`/debug/vars?vars=${names.join(',')}`)).body
  t.equal(whole, own)
  t.match(whole, /"big": 1180591620717411303424/, 'a bigint beyond 2^53 keeps every digit')
  t.match(whole, /"proto":\{"__proto__":\{"n":9\}\}/)
  await app.close()
})

test('the workers\' values are summed exactly and combined by their metadata\'s aggregate', async (t) => {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const apps = await Promise.all([1, 2, 3].map((id) => workerApp(t, cluster, id, { cluster: true })))
  for (const [i, { app }] of apps.entries()) {
    app.expvar.func('big', () => 2n ** 60n + BigInt(i))
    app.expvar.int('peak', { aggregate: 'max' }).set(10 * (i + 1))
    app.expvar.int('low', { aggregate: 'min' }).set(10 * (i + 1))
    app.expvar.register('ratio', () => i + 1, { aggregate: 'avg' })
    app.expvar.register('first', () => ({ at: i + 1, nan: NaN }), { aggregate: 'first' })
    app.expvar.register('specials', () => ({ list: [1n, NaN], n: i }))
  }
  await tick(); await tick()
  const text = await (apps[1] as { view: Cluster }).view.document(undefined, undefined) as string
  t.match(text, /"big": 3458764513820540931,/, '3 × 2^60 + 3, every digit')
  const doc = JSON.parse(text)
  t.same({ peak: doc.peak, low: doc.low, ratio: doc.ratio, first: doc.first }, { peak: 30, low: 10, ratio: 2, first: { at: 1, nan: null } })
  t.same(doc.specials, { list: [1, null], n: 3 }, 'arrays from the lowest worker, numbers summed')
  t.same(doc.cluster, { workers: 3, answered: 3, missing: [], relay: true })
  t.equal(await (apps[0] as { view: Cluster }).view.document(['peak'], 3), '{\n"peak": 30\n}\n', '?worker= is that worker\'s own document')
})

test('a worker\'s var that cannot be sent as values is left out and logged there once, as in its document', async (t) => {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const [asker, sibling] = await Promise.all([1, 2].map((id) => workerApp(t, cluster, id, { cluster: true }, 30_000))) as [Awaited<ReturnType<typeof workerApp>>, Awaited<ReturnType<typeof workerApp>>]
  asker.app.expvar.int('hits').add(1)
  sibling.app.expvar.int('hits').add(2)
  sibling.app.expvar.register('cycle', () => { const o: Record<string, unknown> = {}; o.self = o; return o })
  sibling.app.expvar.register('nested', () => ({ p: Promise.resolve(1) }))
  // Past the bound on a value's nodes (docs/document.md): copied by the full walker (depth 40), or refused by the plain-data check (depth 24).
  const dag = (depth: number): unknown => { let v: unknown = 1; for (let i = 0; i < depth; i++) v = { a: v, b: v }; return v }
  sibling.app.expvar.register('deep', () => dag(40))
  sibling.app.expvar.register('wide', () => dag(24))
  await tick(); await tick()
  for (let i = 0; i < 2; i++) t.same(JSON.parse(await asker.view.document(undefined, undefined) as string), { cluster: { workers: 2, answered: 2, missing: [], relay: true }, hits: 3 })
  t.same(logsFor(sibling.logs, 'cycle', ERROR).length, 1, 'logged once, by the worker whose var it is')
  t.match(logsFor(sibling.logs, 'nested', ERROR)[0]?.err?.message, /Promise/)
  for (const name of ['deep', 'wide']) t.match(logsFor(sibling.logs, name, ERROR).map((line) => line.err?.message), [/^the value has more than 1048576 nodes/], `${name}: logged once`)
})

test('cluster metrics: every worker\'s samples under one family each, labelled worker, valid for promtool', async (t) => {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const apps = await Promise.all([1, 2, 3].map((id) => workerApp(t, cluster, id, { cluster: true, prometheus: true, memstats: true, builtins: ['http'] })))
  for (const [i, { app }] of apps.entries()) {
    app.expvar.int('hits', { type: 'counter', help: 'Hits.' }).add(i + 1)
    app.expvar.map('paths', { label: 'route' }).add('/a', 10 * (i + 1))
    app.expvar.register('nan', () => NaN)
    app.expvar.func('big', () => 2n ** 70n)
    app.expvar.register('cluster', () => 99)
  }
  await tick(); await tick()
  const view = (apps[0] as { view: Cluster }).view
  const text = await view.metrics({ openmetrics: false, namespace: '', log: silent })
  const samples = (name: string): string[] => text.split('\n').filter((line) => line.startsWith(name + '{') || line.startsWith(name + ' '))
  t.same(samples('hits_total'), ['hits_total{worker="1"} 1', 'hits_total{worker="2"} 2', 'hits_total{worker="3"} 3'])
  t.same(samples('paths'), ['paths{route="/a",worker="1"} 10', 'paths{route="/a",worker="2"} 20', 'paths{route="/a",worker="3"} 30'])
  t.same(samples('nan'), ['nan{worker="1"} NaN', 'nan{worker="2"} NaN', 'nan{worker="3"} NaN'], 'NaN crosses the IPC channel')
  t.same(samples('big'), [1, 2, 3].map((w) => `big{worker="${w}"} 1180591620717411303424`))
  t.same(samples('nodejs_heap_size_used_bytes').map((line) => /worker="(\d)"/.exec(line)?.[1]), ['1', '2', '3'], 'builtins too')
  t.equal(samples('http_requests_total').length, 3)
  t.same([samples('cluster_workers'), samples('cluster_answered'), samples('cluster_relay')], [['cluster_workers 3'], ['cluster_answered 3'], ['cluster_relay 1']], 'the cluster var as gauges, a user var of its name replaced')
  const types = text.split('\n').filter((line) => line.startsWith('# TYPE '))
  t.same(types.filter((line, i) => types.indexOf(line) !== i), [], 'one family per name')
  t.ok(text.split('\n').filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('cluster_')).every((line) => /worker="\d"/.test(line)), 'every sample but the cluster\'s has a worker label')
  const om = await view.metrics({ openmetrics: true, namespace: 'shop', log: silent })
  t.match(om, /^shop_hits_total\{worker="2"\} 2$/m)
  t.match(om, /^shop_cluster_workers 3$/m)
  t.match(om, /# EOF\n$/)
  // promtool reads text 0.0.4 only; e2e/cluster.test.ts has a Prometheus server scrape the OpenMetrics.
  if (haveTool(t, 'promtool')) {
    const { code, output } = await promtoolCheck(text)
    t.equal(code, 0, output)
    t.equal(output, '', 'promtool has nothing to say')
  }
})

test('cluster metrics: a missing worker has no samples; a var that cannot be written is left out and logged once until it recovers', async (t) => {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const [a, b] = await Promise.all([1, 2].map((id) => workerApp(t, cluster, id, { cluster: true, prometheus: true }, 100))) as Awaited<ReturnType<typeof workerApp>>[] as [Awaited<ReturnType<typeof workerApp>>, Awaited<ReturnType<typeof workerApp>>]
  // Says hello but never answers.
  cluster.fork(3).send({ [TAG]: 'hello' }, () => {})
  a.app.expvar.int('x', { type: 'counter' }).add(1)
  b.app.expvar.int('x', { type: 'gauge' }).add(2)
  b.app.expvar.map('m', { label: 'worker' }).add('k', 1)
  await tick(); await tick()
  const errors: unknown[] = []
  const log = { ...silent, error: (obj: unknown) => { errors.push(obj) } }
  const scrapeMetrics = (): Promise<string> => a.view.metrics({ openmetrics: false, namespace: '', log })
  const first = await scrapeMetrics()
  t.notMatch(first, /worker="3"/, 'the silent worker is absent')
  t.match(first, /^cluster_answered 2$/m)
  t.match(first, /^cluster_workers 3$/m)
  t.match(first, /^x_total\{worker="1"\} 1$/m)
  t.notMatch(first, /^x\{worker="2"\}/m, 'another worker\'s x of another type is left out')
  t.notMatch(first, /^m\{/m, 'a Map whose label is worker is left out')
  await scrapeMetrics()
  t.same(errors.map((e) => (e as { var: string }).var).sort(), ['m', 'x'], 'logged once each')
  b.app.expvar.delete('x')
  await scrapeMetrics()
  b.app.expvar.int('x', { type: 'gauge' })
  await scrapeMetrics()
  t.same(errors.map((e) => (e as { var: string }).var).sort(), ['m', 'x', 'x'], 'logged again after it recovered and failed anew')
})

test('GET /metrics with cluster and prometheus on answers for the cluster, labelled by worker', async (t) => {
  const { app } = await build({ cluster: true, prometheus: true })
  app.expvar.int('hits').add(2)
  const res = await app.inject({ url: '/metrics', headers: { accept: 'application/openmetrics-text; version=1.0.0' } })
  t.equal(res.headers['content-type'], 'application/openmetrics-text; version=1.0.0; charset=utf-8')
  t.match(res.body, /^hits\{worker="0"\} 2$/m)
  t.match(res.body, /^cluster_relay 0$/m)
  const text = await app.inject('/metrics')
  t.match(text.body, /^# TYPE hits untyped\nhits\{worker="0"\} 2$/m)
  await app.close()
})

test('an answer that cannot be sent is logged by its worker, and the asker counts that worker missing', async (t) => {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const asker = member(cluster.fork(1), counting(1), 100)
  const channel = cluster.fork(2)
  const warnings: unknown[] = []
  // As process.send throws when a message is too long to serialize.
  const refusing: MemberChannel = {
    ...channel,
    send: (message, callback) => {
      if ((message as { [TAG]: string })[TAG] === 'reading') throw new RangeError('Invalid string length')
      channel.send(message, callback)
    }
  }
  const sibling = member(refusing, counting(2), 200, { ...silent, warn: (obj: unknown) => { warnings.push(obj) } })
  await tick(); await tick()
  const collected = await asker.collect('values', undefined)
  t.same(collected.missing, [2])
  t.same([...collected.answers.keys()], [1])
  t.match(warnings, [{ worker: 2, err: { message: 'Invalid string length' } }])
  asker.stop()
  sibling.stop()
})

test('histograms: the workers\' buckets, sums and counts added per label set, the quantiles estimated again; other bounds left out, warned once', async (t) => {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const apps = await Promise.all([1, 2, 3].map((id) => workerApp(t, cluster, id, { cluster: true, prometheus: true })))
  for (const [i, { app }] of apps.entries()) {
    // Worker 3 was deployed with other bounds: its counts cannot be added to the others'.
    const latency = app.expvar.histogram('latency', { buckets: i === 2 ? [1, 5] : [1, 2] })
    for (let k = 0; k <= i; k++) latency.observe(k + 0.5)
    const sizes = app.expvar.histogram('sizes', { buckets: [10], labels: ['kind'] })
    sizes.observe({ kind: 'a' }, 4)
    if (i === 1) sizes.observe({ kind: 'b' }, 40)
    // Worker 1's has a label, worker 2's none: their values nest differently, and worker 2's is left out.
    if (i < 2) app.expvar.histogram('mixed', { buckets: [1], labels: i === 0 ? ['kind'] : [] }).observe(i === 0 ? { kind: 'a' } : {}, 0.5)
    const waits = app.expvar.map('waits')
    const wait = new HistogramVar({ buckets: [1] })
    wait.observe(i)
    waits.set('q', wait)
    // A fractional bound before integer ones, and label values that sort apart as strings and as numbers.
    app.expvar.histogram('order', { buckets: [0.5, 1], labels: ['code', 'method'] }).observe({ code: i === 0 ? '99' : '100', method: 'GET' }, 0.7)
  }
  await tick(); await tick()
  const { view, logs } = apps[0] as Awaited<ReturnType<typeof workerApp>>
  const ordered = new HistogramVar({ buckets: [0.5, 1], labels: ['code', 'method'] })
  for (const code of ['99', '100', '100']) ordered.observe({ code, method: 'GET' }, 0.7)
  const documentText = await view.document(undefined, undefined) as string
  t.ok(documentText.includes(`\n"order": ${ordered.string()},\n`), 'the cluster writes a histogram byte for byte as one process does: buckets in bound order, label values sorted')
  t.match(ordered.string(), /"buckets":\{"0\.5":0,"1":1,"\+Inf":1\}/)
  // A format of one's own scraping the cluster gets the same histogram as a var, as a process's registry hands it one.
  const own = await view.scrape({
    id: 'own',
    open: () => {
      const seen: string[] = []
      return { add: (reading: { name: string, var?: { value: () => unknown, string: () => string } }) => { if (reading.var !== undefined) seen.push(reading.name, JSON.stringify(reading.var.value()) === JSON.stringify(ordered.value()) ? 'value' : 'other', reading.var.string()) }, end: () => seen }
    }
  }, { vars: ['order'], log: silent })
  t.same(own, ['order', 'value', ordered.string()])
  // The cluster's is the histogram of every counted worker's observations, as one process would have it.
  const one = (buckets: number[], labels: string[], observed: [Record<string, string>, number][]): unknown => {
    const h = new HistogramVar({ buckets, labels })
    for (const [set, value] of observed) h.observe(set, value)
    return h.value()
  }
  for (let i = 0; i < 2; i++) {
    const doc = JSON.parse(await view.document(undefined, undefined) as string)
    t.same(doc.latency, one([1, 2], [], [[{}, 0.5], [{}, 0.5], [{}, 1.5]]), 'workers 1 and 2 added; 3 left out')
    t.equal(doc.latency.buckets['+Inf'], doc.latency.count)
    t.same(doc.sizes, one([10], ['kind'], [[{ kind: 'a' }, 4], [{ kind: 'a' }, 4], [{ kind: 'a' }, 4], [{ kind: 'b' }, 40]]), 'label sets added where they meet, kept where one worker has them')
    t.same(doc.waits, { q: one([1], [], [[{}, 0], [{}, 1], [{}, 2]]) }, 'a Map of histograms, key by key')
    t.same(doc.mixed, one([1], ['kind'], [[{ kind: 'a' }, 0.5]]), 'the lowest worker\'s nesting wins')
  }
  const warned = logsFor(logs, 'latency', WARN)
  t.equal(warned.length, 1, 'warned once')
  t.same(warned[0]?.workers, [3])
  t.match(warned[0]?.msg, /other bucket bounds/)
  t.same(logsFor(logs, 'mixed', WARN).map((line) => line.workers), [[2]])

  // The metrics keep each worker's own series, its bounds its own: Prometheus sums them.
  const text = await view.metrics({ openmetrics: false, namespace: '', log: silent })
  t.match(text, /^latency_bucket\{le="5",worker="3"\} 3$/m)
  t.match(text, /^latency_bucket\{le="2",worker="1"\} 1$/m)
  t.match(text, /^sizes_count\{kind="b",worker="2"\} 1$/m)
  t.match(text, /^waits_sum\{key="q",worker="3"\} 2$/m)
  if (haveTool(t, 'promtool')) {
    const { code, output } = await promtoolCheck(text)
    t.equal(code, 0, output)
  }
})

test('cluster metrics: a histogram labelled worker is left out, logged once', async (t) => {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const [{ app, view }] = await Promise.all([1].map((id) => workerApp(t, cluster, id, { cluster: true, prometheus: true }))) as [Awaited<ReturnType<typeof workerApp>>]
  app.expvar.histogram('jobs', { buckets: [1], labels: ['worker'] }).observe({ worker: 'w' }, 1)
  app.expvar.int('hits').add(1)
  await tick(); await tick()
  const errors: unknown[] = []
  const log = { ...silent, error: (obj: unknown) => { errors.push(obj) } }
  const text = await view.metrics({ openmetrics: false, namespace: '', log })
  t.notMatch(text, /^jobs/m)
  t.match(text, /^hits\{worker="1"\} 1$/m)
  t.match((errors[0] as { err: Error }).err.message, /"worker" is also a constant label/)
})
