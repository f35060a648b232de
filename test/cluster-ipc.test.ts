// Cluster mode in one process: the relay and the workers' side over a fake IPC pair, the
// aggregation rules, and the cluster option (the real node:cluster is in cluster.test.ts).
import { EventEmitter } from 'node:events'
import nodeCluster from 'node:cluster'
import Fastify from 'fastify'
import { test } from 'tap'
import expvar, { aggregateWorkers, Registry } from '../index.js'
import { aggregate, combine, RING_SIZE } from '../lib/cluster/aggregate.js'
import { clusterBody, joinCluster } from '../lib/cluster/index.js'
import { relay, type RelayCluster, type RelayWorker } from '../lib/cluster/primary.js'
import { TAG } from '../lib/cluster/protocol.js'
import { ClusterMember, type MemberChannel, type MemberOptions } from '../lib/cluster/worker.js'
import { build, scrape } from './helpers.js'

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** A fake cluster: workers whose channels deliver asynchronously, as IPC does. */
class FakeCluster extends EventEmitter {
  workers: Record<number, RelayWorker & { channel: EventEmitter, connected: boolean } | undefined> = {}

  fork (id: number): MemberChannel & { channel: EventEmitter } {
    const channel = new EventEmitter()
    const worker = {
      id,
      channel,
      connected: true,
      isConnected: () => worker.connected,
      send: (message: unknown, callback: (err: Error | null) => void) => {
        setImmediate(() => { if (worker.connected) channel.emit('message', message) })
        callback(null)
        return true
      }
    }
    this.workers[id] = worker
    const cluster = this
    return {
      id,
      channel,
      send: (message, callback) => {
        setImmediate(() => { if (worker.connected) cluster.emit('message', worker, message) })
        callback(worker.connected ? null : new Error('channel closed'))
      },
      on: (event, listener) => channel.on(event, listener),
      off: (event, listener) => channel.off(event, listener)
    }
  }

  kill (id: number): void {
    const worker = this.workers[id]
    if (worker === undefined) return
    worker.connected = false
    delete this.workers[id]
    this.emit('exit', worker)
  }
}

const silent: MemberOptions['log'] = { warn: () => {}, error: () => {}, info: () => {} }

function member (channel: MemberChannel | undefined, registry: Registry, timeout = 200, log = silent): ClusterMember {
  const m = new ClusterMember(channel, { timeout, local: (vars) => registry.document({ vars }), log })
  m.start()
  return m
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
  const doc = JSON.parse(await clusterBody(members[1] as ClusterMember, new Set(), undefined, undefined) as string)
  t.same(doc, { cluster: { workers: 3, answered: 3, missing: [], relay: true }, hits: 6, paths: { '/a': 6 } })
  t.same(JSON.parse(await clusterBody(members[0] as ClusterMember, new Set(), ['hits'], 3) as string), { hits: 3 })
  t.same(JSON.parse(await clusterBody(members[0] as ClusterMember, new Set(), undefined, 1) as string), { hits: 1, paths: { '/a': 1 } }, 'its own')
  t.equal(await clusterBody(members[0] as ClusterMember, new Set(), undefined, 9), undefined, 'an unknown worker')
  t.same(JSON.parse(await clusterBody(members[0] as ClusterMember, new Set(), ['hits'], undefined) as string), { hits: 6 }, '?vars= without cluster')
  for (const m of members) m.stop()
  t.equal(cluster.listenerCount('message'), 1)
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
  const [fromA, fromB] = await Promise.all([a.collect(['hits']), b.collect(['hits'])])
  t.equal(fromA.texts.get(1), '{\n"hits": 1\n}\n')
  t.equal(fromB.texts.get(1), '{\n"hits": 10\n}\n')
  t.equal(fromA.texts.get(2), '{\n"hits": 100\n}\n')
  // While a collection waits: an answer from a worker it did not ask changes nothing.
  const pending = a.collect(undefined)
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
  for (let i = 0; i < 50; i++) await Promise.all(members.map((m) => m.collect(undefined)))
  t.same(channels.map((channel) => channel.channel.listenerCount('message')), [1, 1])
  t.equal(cluster.listenerCount('message'), 1)
  t.equal(cluster.listenerCount('exit'), 1)
  aggregator.stop()
  aggregator.stop()
  t.equal(cluster.listenerCount('message'), 0, 'stop removes the relay\'s listeners')
  t.equal(cluster.listenerCount('exit'), 0)
  await tick(); await tick()
  const alone = await (members[0] as ClusterMember).collect(undefined)
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
  const collected = asker.collect(undefined)
  await tick()
  dying.stop()
  cluster.kill(3)
  const result = await collected
  t.same(result.missing, [2, 3, 4])
  t.same([...result.texts.keys()], [1, 5])
  t.equal(result.workers, 5, 'the live workers when asked')
  answering.stop()
  // A late answer for a forgotten request, and one from a worker not asked, are ignored.
  cluster.emit('message', cluster.workers[2], { [TAG]: 'reading', key: '1:1', text: '{}' })
  cluster.emit('message', cluster.workers[2], { [TAG]: 'reading', id: '1', worker: 2, text: '{}' })
  cluster.emit('message', cluster.workers[2], 'not ours')
  const channel = (cluster.workers[1] as { channel: EventEmitter }).channel
  for (const message of ['not ours', { [TAG]: 'asked', id: '99', workers: 1, asked: [], missing: [] }, { [TAG]: 'reading', key: 'k', text: '' }, { [TAG]: 'gone', id: '99', worker: 2 }]) {
    channel.emit('message', message)
  }
  // Stopping the relay and the member while a collection waits ends it with what came.
  const waiting = asker.collect(undefined)
  await tick(); await tick()
  aggregator.stop()
  asker.stop()
  t.same([...(await waiting).texts.keys()], [1])
  t.same(relay(new EventEmitter() as unknown as RelayCluster).stop(), undefined, 'a cluster without workers')
})

test('an asker that exits is forgotten; a collection with nobody else to ask ends at once', async (t) => {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const asker = member(cluster.fork(1), counting(1), 100)
  const other = member(cluster.fork(2), counting(2))
  await tick(); await tick()
  t.same((await asker.collect(undefined, 2)).texts.get(2), '{\n"hits": 2,\n"paths": {"/a": 2}\n}\n')
  const pending = asker.collect(undefined)
  await tick()
  cluster.kill(1)
  t.same([...(await pending).texts.keys()], [1], 'the asker answers with its own when its channel goes')
  // The last worker waited for exits: the collection ends at once.
  const silentChannel = cluster.fork(3)
  silentChannel.send({ [TAG]: 'hello' }, () => {})
  const asker2 = member(cluster.fork(4), counting(4), 5000)
  await tick(); await tick()
  const waiting = asker2.collect(undefined, 3)
  await tick(); await tick()
  cluster.kill(3)
  t.same((await waiting).missing, [3])
  asker2.stop()
  other.stop()
  const solo = new FakeCluster()
  const soloRelay = relay(solo as unknown as RelayCluster)
  const only = member(solo.fork(7), counting(1))
  await tick(); await tick()
  t.same((await only.collect(undefined)).relay, true)
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
  const first = await m.collect(undefined)
  t.same({ workers: first.workers, missing: first.missing, relay: first.relay }, { workers: 1, missing: [], relay: false })
  await m.collect(undefined)
  t.equal(warnings.length, 1, 'logged once')
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  await tick(); await tick(); await tick()
  t.equal((await m.collect(undefined)).relay, true, 'a relay that starts later is heard')
  // A channel that fails to send is logged, not thrown.
  ;(cluster.workers[1] as { connected: boolean }).connected = false
  await m.collect(undefined)
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
  const m = joinCluster(app, app.expvar, { timeout: 50 }, { worker: { id: 4 } }, proc)
  t.equal(m.id, 4)
  t.same(proc.sent, [{ [TAG]: 'hello' }])
  t.equal(proc.listenerCount('message'), 1)
  await app.close()
  t.equal(proc.listenerCount('message'), 0)
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
    (aggregate(values.map((value, i) => ({ worker: i + 1, readings: [{ name, value }] })), new Set([name]))[0] as { value: Record<string, unknown> }).value
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
