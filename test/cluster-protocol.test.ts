// The cluster's IPC protocol in one process: every message checked against its version's schema,
// versions 1 and 2 side by side, instance addressing, deadlines, and a relay retried after a timeout.
import nodeCluster from 'node:cluster'
import { test, type Test } from 'tap'
import { aggregateWorkers, Registry } from '../index.js'
import { answersOf, Cluster } from '../lib/cluster/index.js'
import { relay, type RelayCluster } from '../lib/cluster/primary.js'
import { TAG, VERSION } from '../lib/cluster/protocol.js'
import { ClusterMember, type MemberChannel, type MemberOptions } from '../lib/cluster/worker.js'
import { BUILTIN } from '../lib/families.js'
import { fromWire, type WireReading } from '../lib/formats/values.js'
import { FuncVar } from '../lib/vars.js'
import type { Registry as LibRegistry } from '../lib/registry.js'
import { FakeCluster, tick } from './fake-cluster.js'
import { waitFor } from './helpers.js'

interface Line { obj: Record<string, unknown>, msg: string }

/** A logger that keeps its lines. */
function recorder (): MemberOptions['log'] & { lines: Line[] } {
  const lines: Line[] = []
  const keep = (obj: object, msg: string): void => { lines.push({ obj: obj as Record<string, unknown>, msg }) }
  return { lines, warn: keep, error: keep, info: keep }
}

function counting (n: number): Registry {
  const registry = new Registry()
  registry.int('hits').add(n)
  return registry
}

function member (channel: MemberChannel, registry: Registry, timeout = 200, log: MemberOptions['log'] = recorder()): ClusterMember {
  const m = new ClusterMember(channel, { timeout, local: answersOf(registry as LibRegistry), log })
  m.start()
  return m
}

/** What a channel sends, kept, and passed on. */
function spied (channel: MemberChannel): MemberChannel & { sent: Record<string, unknown>[] } {
  const sent: Record<string, unknown>[] = []
  return { ...channel, sent, send: (message, callback) => { sent.push(message as Record<string, unknown>); channel.send(message, callback) } }
}

/** What the relay sends a worker, kept. */
function received (channel: { channel: NodeJS.EventEmitter }): Record<string, unknown>[] {
  const got: Record<string, unknown>[] = []
  channel.channel.on('message', (message: Record<string, unknown>) => got.push(message))
  return got
}

async function ticks (n = 4): Promise<void> {
  for (let i = 0; i < n; i++) await tick()
}

const hits = (collected: { answers: ReadonlyMap<number, unknown> }): number[] =>
  [...collected.answers.values()].map((answer) => ((answer as { name: string, value: number }[]).find((r) => r.name === 'hits') as { value: number }).value)

/**
 * A relay with worker 1 asking (hits 1, a 5 s timeout, its lines kept) and worker 2 a bare channel
 * that answers each read with the version and answer `reply` gives for it; stopped with the test.
 */
function askerAndBareSibling (t: Test, reply: (read: Record<string, unknown>) => { v: number, answer: unknown }): { log: ReturnType<typeof recorder>, asker: ClusterMember, bare: ReturnType<FakeCluster['fork']> } {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const log = recorder()
  const asker = member(cluster.fork(1), counting(1), 5000, log)
  t.teardown(() => asker.stop())
  const bare = cluster.fork(2)
  bare.channel.on('message', (message: Record<string, unknown>) => {
    if (message[TAG] !== 'read') return
    const { v, answer } = reply(message)
    bare.send({ [TAG]: 'reading', v, key: message.key, answer } as never, () => {})
  })
  return { log, asker, bare }
}

test('the relay drops every message that does not fit its version, says so once per worker, and relays on', async (t) => {
  const cluster = new FakeCluster()
  const log = recorder()
  const aggregator = relay(cluster as unknown as RelayCluster, log)
  t.teardown(() => aggregator.stop())
  const asker = recorder()
  const a = member(cluster.fork(1), counting(1), 200, asker)
  member(cluster.fork(2), counting(2))
  const hostile = cluster.fork(3)
  await ticks()
  const huge = 'x'.repeat(1 << 20)
  const unfit: unknown[] = [
    { [TAG]: 5 }, { [TAG]: 'nope' }, { [TAG]: 'a kind whose name is longer than 32 characters' }, { [TAG]: 'leave', v: 2, instance: 'never said hello' }, { [TAG]: 'hello', v: null }, { [TAG]: 'hello', v: 'x' }, { [TAG]: 'hello', v: 2 }, { [TAG]: 'hello', v: 2, instance: huge },
    { [TAG]: 'leave', instance: 'i' },
    { [TAG]: 'collect', v: 2, instance: 'h', id: 'x', want: 'values', vars: 'hits', timeout: 100 },
    { [TAG]: 'collect', v: 2, instance: 'h', id: 'x', want: 'values', vars: [{}], timeout: 100 },
    { [TAG]: 'collect', v: 2, instance: 'h', id: huge, want: 'values', timeout: 100 },
    { [TAG]: 'collect', id: 'x', want: 'all', timeout: 100 },
    { [TAG]: 'collect', id: 'x', want: 'values', timeout: -1 },
    { [TAG]: 'reading', v: 2, key: 7, answer: [] },
    { [TAG]: 'reading', v: 2, key: huge, answer: [] },
    { [TAG]: 'reading', v: 2, key: '1', answer: [{ name: 'x', kind: 'int', value: 1, exact: [[['a'], '12a']] }] },
    { [TAG]: 'reading', v: 2, key: '1', answer: [{ name: 'x', kind: 'int', value: 1, meta: { help: 5 } }] },
    { [TAG]: 'reading', v: 2, key: '1', answer: [{ name: 'x', kind: 'int', value: 1, exact: [[[], '9'.repeat(5000)]] }] },
    { [TAG]: 'reading', v: 2, key: '1', answer: { 0: 'x' } }
  ]
  // Not the plugin's at all: ignored without a word.
  for (const message of ['text', null, [1], { other: 1 }, ...unfit]) hostile.send(message as never, () => {})
  await ticks()
  t.equal(log.lines.length, 1, 'said once for the worker')
  t.match(log.lines[0], { obj: { worker: 3 }, msg: /a message from worker 3 was dropped: 5 is no message of protocol version 1/ })
  for (let i = 0; i < 2; i++) {
    const collected = await a.collect('values', undefined)
    t.same(hits(collected), [1, 2], 'the others answer')
    t.same(collected.missing, [3])
  }
  t.match(asker.lines, [{ obj: { sibling: 3 }, msg: /worker 3 is missing .*: it speaks protocol version "x"; this primary speaks 1, 2/ }], 'the asker is told why, once')
  // Once the worker exits, its successor under another id is said once again.
  cluster.kill(3)
  cluster.fork(4).send({ [TAG]: 'hello', v: huge } as never, () => {})
  await ticks()
  t.equal(log.lines.length, 2)
  const collected = await a.collect('values', undefined)
  t.same({ relay: collected.relay, missing: collected.missing }, { relay: true, missing: [4] }, 'a version of 1 MB is named within the reason\'s bound')
  t.match(asker.lines[1]?.msg, /worker 4 .*protocol version "x{32}…"; this primary/)
})

test('a worker drops what does not fit from the primary, says so once, and collects on', async (t) => {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const log = recorder()
  const channel = cluster.fork(1)
  const a = member(channel, counting(1), 200, log)
  member(cluster.fork(2), counting(2))
  await ticks()
  for (const message of [{ [TAG]: 'asked', v: 2, id: 5 }, { [TAG]: 'relay', v: 9, up: true }, { [TAG]: 'read', v: 2, key: 'k', want: 'values', vars: 'hits' }, { [TAG]: 'collect', v: 2 }, { [TAG]: 'gone', id: 'x', worker: -1 }]) {
    channel.channel.emit('message', message)
  }
  t.same(hits(await a.collect('values', undefined)), [1, 2])
  t.equal(log.lines.length, 1, 'said once')
  t.match(log.lines[0]?.msg, /a message from the primary was dropped: .*"asked"/)
})

test('a version-1 worker and a version-1 asker are served by this relay in version 1', async (t) => {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const current = member(cluster.fork(1), counting(1))
  const old = cluster.fork(2)
  const got = received(old)
  old.channel.on('message', (message: Record<string, unknown>) => {
    if (message[TAG] === 'read') old.send({ [TAG]: 'reading', key: message.key, answer: [{ name: 'hits', kind: 'int', value: 20 }] } as never, () => {})
  })
  old.send({ [TAG]: 'hello' } as never, () => {})
  await ticks()
  t.same(got[0], { [TAG]: 'relay', up: true, known: true }, 'its hello answered in version 1')
  const doc = JSON.parse(await new Cluster(current, new Map()).document(undefined, undefined) as string)
  t.same(doc, { cluster: { workers: 2, answered: 2, missing: [], relay: true }, hits: 21 }, 'a version-2 asker gets the version-1 worker\'s values')
  t.same(Object.keys(got[1] as object).sort(), [TAG, 'key', 'vars', 'want'].sort(), 'asked in version 1')
  old.send({ [TAG]: 'collect', id: 'old-1', want: 'values', timeout: 200 } as never, () => {})
  await ticks(6)
  t.same(got.slice(2).map((message) => Object.keys(message).sort()), [[TAG, 'asked', 'id', 'missing', 'workers'].sort(), [TAG, 'answer', 'id', 'worker'].sort()], 'a version-1 asker hears version 1')
  t.match(got.slice(2), [{ [TAG]: 'asked', id: 'old-1', workers: 2, asked: [1], missing: [] }, { [TAG]: 'reading', id: 'old-1', worker: 1, answer: [{ name: 'hits', value: 1 }] }])
})

test('a version-2 worker answers a version-1 relay in version 1, whichever instance it asks', async (t) => {
  const cluster = new FakeCluster()
  const channel = cluster.fork(1)
  const spy = spied(channel)
  const m = member(spy, counting(1), 1000)
  t.teardown(() => m.stop())
  // A version-1 relay's messages carry no version and address no instance.
  channel.channel.emit('message', { [TAG]: 'relay', up: true })
  t.match(spy.sent.at(-1), { [TAG]: 'hello', v: VERSION }, 'a relay that has not heard this instance is told hello')
  channel.channel.emit('message', { [TAG]: 'read', key: '1:7', want: 'document', vars: ['hits'] })
  await ticks()
  t.same(spy.sent.at(-1), { [TAG]: 'reading', key: '1:7', answer: '{\n"hits": 1\n}\n' }, 'answered in version 1')
  const pending = m.collect('values', undefined)
  const { id } = spy.sent.at(-1) as { id: string }
  channel.channel.emit('message', { [TAG]: 'asked', id, workers: 2, asked: [5], missing: [] })
  channel.channel.emit('message', { [TAG]: 'reading', id, worker: 5, answer: [{ name: 'hits', kind: 'int', value: 5 }] })
  t.same(hits(await pending), [1, 5])
})

test('each plugin instance of a worker answers for itself; a worker of another version or with fewer instances is missing, with the reason', async (t) => {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const one = cluster.fork(1)
  const [publicLog, adminLog] = [recorder(), recorder()]
  const publicApp = member(one, counting(1), 200, publicLog)
  const adminApp = member(one, counting(1000), 200, adminLog)
  member(cluster.fork(2), counting(2))
  const four = cluster.fork(4)
  const others = [member(four, counting(4)), member(four, counting(4000))]
  cluster.fork(3).send({ [TAG]: 'hello', v: 4 } as never, () => {})
  await ticks()
  for (let i = 0; i < 2; i++) {
    const [ofPublic, ofAdmin] = await Promise.all([publicApp.collect('values', undefined), adminApp.collect('values', undefined)])
    t.same(hits(ofPublic), [1, 2, 4], 'the first instances answer each other')
    t.same(ofPublic.missing, [3])
    t.same(hits(ofAdmin), [1000, 4000], 'the second instances answer each other')
    t.same(ofAdmin.missing, [2, 3])
  }
  t.match(adminLog.lines.map((line) => line.msg).sort(), [/worker 2 .*: it runs 1 plugin instance\(s\), and the asking one is number 2/, /worker 3 .*protocol version 4/], 'once each')
  others[1]?.stop()
  await ticks()
  t.same((await adminApp.collect('values', undefined)).missing, [2, 3, 4], 'an instance that left is not asked')
  others[0]?.stop()
  await ticks()
  t.same((await publicApp.collect('values', undefined)).missing, [3, 4], 'a worker whose instances all left has no plugin')
})

test('a relay that timed out is asked again at the next scrape, with a warning that says what happened', async (t) => {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const log = recorder()
  const a = member(cluster.fork(1), counting(1), 30, log)
  const sibling = cluster.fork(2)
  const reads = received(sibling)
  member(sibling, counting(2))
  await ticks()
  t.same((await a.collect('values', undefined)).relay, true)
  // The primary's event loop is busy: every message reaches it 300 ms late.
  const emit = cluster.emit.bind(cluster)
  let delayed = 0
  const slow = (event: string, ...args: unknown[]): boolean => {
    delayed++
    setTimeout(() => { delayed--; emit(event, ...args) }, 300)
    return true
  }
  const delivered = (): Promise<true> => waitFor('the late messages and what they set off delivered', () => delayed === 0 && cluster.pending === 0)
  cluster.emit = slow
  const late = await a.collect('values', undefined)
  t.same({ relay: late.relay, workers: late.workers, answered: late.answers.size }, { relay: false, workers: 1, answered: 1 }, 'this scrape is the asker\'s alone')
  await a.collect('values', undefined)
  t.equal(log.lines.length, 1, 'said once while it lasts')
  t.match(log.lines[0]?.msg, /the relay did not answer within 30 ms \(the primary's event loop was busy, or its relay stopped\); this scrape answers for this worker alone, and the next one asks again/)
  t.notMatch(log.lines[0]?.msg, /aggregateWorkers/)
  // The asker's own event loop blocked past the timeout, for a known time, while the primary is slow.
  cluster.emit = emit
  await delivered()
  const before = reads.filter((message) => message[TAG] === 'read').length
  t.same(hits(await a.collect('values', undefined)), [1, 2], 'the next scrape is whole again')
  t.equal(reads.filter((message) => message[TAG] === 'read').length, before + 1, 'the requests the asker gave up on were not relayed')
  cluster.emit = slow
  const blocked = a.collect('values', undefined)
  const until = Date.now() + 250
  while (Date.now() < until);
  t.same((await blocked).relay, false)
  t.match(log.lines[1]?.msg, /this worker's event loop was blocked: the wait took \d+ ms/, 'a new episode is said again')
  cluster.emit = emit
  await delivered()
  t.same(hits(await a.collect('values', undefined)), [1, 2])
})

test('a worker with no relay heard of answers alone and says hello at each scrape, until one answers', async (t) => {
  const cluster = new FakeCluster()
  const log = recorder()
  const spy = spied(cluster.fork(1))
  const m = member(spy, counting(1), 30, log)
  t.teardown(() => m.stop())
  t.same((await m.collect('values', undefined)).relay, false)
  t.match(log.lines, [{ msg: /no relay answered within 30 ms and none has said it runs \(does the primary call aggregateWorkers\(\)\?\)/ }])
  const hellos = spy.sent.filter((message) => message[TAG] === 'hello').length
  await m.collect('values', undefined)
  t.equal(spy.sent.filter((message) => message[TAG] === 'hello').length, hellos + 1, 'said hello again')
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  await ticks()
  t.same((await m.collect('values', undefined)).relay, true)
})

test('a request past its deadline costs the relay and the siblings nothing', async (t) => {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const raw = cluster.fork(1)
  const got = received(raw)
  const spy = spied(cluster.fork(2))
  const sibling = member(spy, counting(2))
  t.teardown(() => sibling.stop())
  await ticks()
  raw.send({ [TAG]: 'collect', v: 2, instance: 'i', id: 'late', want: 'values', timeout: 100, deadline: Date.now() - 1 } as never, () => {})
  await ticks()
  t.same(got, [], 'no answer to an asker that gave up')
  const answers = spy.sent.length
  ;(cluster.workers[2] as { channel: NodeJS.EventEmitter }).channel.emit('message', { [TAG]: 'read', v: 2, key: '9', want: 'values', deadline: Date.now() - 1 })
  await ticks()
  t.equal(spy.sent.length, answers, 'no values read for it')
})

test('a sibling\'s answer of the wrong shape, or one that does not fit, makes it missing at once, said once', async (t) => {
  let answer: unknown
  const { log, asker: a, bare: raw } = askerAndBareSibling(t, () => ({ v: 2, answer }))
  raw.send({ [TAG]: 'hello', v: 2, instance: 'r' } as never, () => {})
  await ticks()
  for (const [want, wrong] of [['values', '{\n}\n'], ['document', []], ['document', 'not a document'], ['values', [{ name: 'x', kind: 'int', value: 1, meta: { type: 'histogram!' } }]]] as const) {
    answer = wrong
    const collected = want === 'values' ? await a.collect('values', undefined) : await a.collect('document', undefined, 2)
    t.same(collected.missing, [2], `${want}: ${JSON.stringify(wrong)}`)
    t.notOk(collected.answers.has(2))
  }
  t.match(log.lines.map((line) => line.msg), [/worker 2's answer is not its values/, /worker 2 is missing .*its answer did not fit/], 'said once per worker and reason')
  answer = [{ name: 'hits', kind: 'int', value: 2 }]
  t.same(hits(await a.collect('values', undefined)), [1, 2], 'a fit answer counts again')
})

test('a worker that cannot read its own values for a sibling says so; a relay whose send throws relays on', async (t) => {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const log = recorder()
  const failing = new ClusterMember(cluster.fork(3), { timeout: 100, local: () => Promise.reject(new Error('unreadable')), log })
  failing.start()
  t.teardown(() => failing.stop())
  const a = member(cluster.fork(1), counting(1), 100)
  t.teardown(() => a.stop())
  member(cluster.fork(2), counting(2))
  await ticks()
  // As node:cluster's send throws on a message too long to serialize.
  ;(cluster.workers[2] as { send: unknown }).send = () => { throw new RangeError('Invalid string length') }
  const collected = await a.collect('values', undefined)
  t.same(collected.missing, [2, 3])
  t.match(log.lines, [{ obj: { err: { message: 'unreadable' } }, msg: /could not read its own values for a sibling/ }])
})

test('aggregateWorkers({ log }): a logger with warn(), or a coded error', async (t) => {
  const log = recorder()
  aggregateWorkers({ log }).stop()
  for (const options of [null, { other: 1 }, { log: {} }, { log: null }]) {
    t.throws(() => aggregateWorkers(options as never), { code: 'FST_EXPVAR_INVALID_OPTION' }, JSON.stringify(options))
  }
  t.ok(nodeCluster.isPrimary)
})

test('a var holding a bigint longer than the channel carries is left out of the cluster\'s scrape and logged once by its worker', async (t) => {
  const cluster = new FakeCluster()
  const aggregator = relay(cluster as unknown as RelayCluster)
  t.teardown(() => aggregator.stop())
  const log = recorder()
  const sibling = new Registry({ logger: log })
  sibling.int('hits').add(2)
  sibling.func('huge', () => 10n ** 5000n)
  sibling.func('fits', () => 10n ** 4000n)
  const a = member(cluster.fork(1), counting(1))
  t.teardown(() => a.stop())
  member(cluster.fork(2), sibling)
  await ticks()
  for (let i = 0; i < 2; i++) {
    const answer = (await a.collect('values', undefined)).answers.get(2) as readonly { name: string }[]
    t.same(answer.map((reading) => reading.name), ['fits', 'hits'])
  }
  t.match(log.lines, [{ obj: { var: 'huge' } }], 'logged once')
  t.match(log.lines[0]?.obj.err, { message: /a bigint of 5001 digits; the cluster carries at most 4096/ })
})

test('the metrics\' shares: a version-2 sibling is asked for its values, which the asker writes as its share; a share that does not fit makes its worker missing, said once', async (t) => {
  const reads: Record<string, unknown>[] = []
  let version = 2
  let answer: unknown = [{ name: 'hits', kind: 'int', value: 2 }]
  const { log, asker: a, bare: raw } = askerAndBareSibling(t, (read) => {
    reads.push(read)
    return { v: version, answer }
  })
  const view = new Cluster(a, new Map(), log)
  raw.send({ [TAG]: 'hello', v: version, instance: 'r' } as never, () => {})
  await ticks()
  const metrics = (): Promise<string> => view.metrics({ openmetrics: false, namespace: '', log })
  t.match(await metrics(), /^hits\{worker="1"\} 1\nhits\{worker="2"\} 2$/m, 'its values written as its share, in worker order')
  t.match(reads[0], { want: 'values', v: 2 })
  t.notOk('format' in (reads[0] as object), 'a version-2 sibling is not named a format')
  version = VERSION
  raw.send({ [TAG]: 'hello', v: version, instance: 'r' } as never, () => {})
  await ticks()
  for (const wrong of ['not JSON', '[["hits", "int", [["hits", "untyped", "", "h", 5]]]]', '{}']) {
    answer = wrong
    const text = await metrics()
    t.notMatch(text, /worker="2"/, JSON.stringify(wrong))
    t.match(text, /^cluster_answered 1$/m)
  }
  t.match(reads.at(-1), { want: 'share', format: 'prometheus:', v: VERSION }, 'a version-3 sibling is asked for its share of the format')
  t.same(log.lines.filter((line) => /share of the scrape does not fit/.test(line.msg)).length, 1, 'said once')
  answer = '[["hits","int",[["hits","untyped","","h","hits{worker=\\"2\\"} 7\\n"]]],["bad","int","its value is bad"]]'
  const text = await metrics()
  t.match(text, /^hits\{worker="1"\} 1\nhits\{worker="2"\} 7$/m, 'a fit share counts again')
  t.match(log.lines.at(-1), { obj: { var: 'bad', worker: '2', err: { message: 'its value is bad' } }, msg: /"bad" is left out of the cluster's scrape/ }, 'what its writer left out is logged by the asker')
})

test('a sibling answers a share of a format it does not know with its values; it keeps a few formats\' shares', async (t) => {
  const registry = counting(3)
  const local = answersOf(registry as LibRegistry)
  for (const id of ['csv:', 'prometheus:Not-A-Namespace', 'prometheus']) {
    t.same(await local(undefined, 'share', id, 3), [{ name: 'hits', kind: 'int', value: 3 }], id)
  }
  t.same(await local(undefined, 'share', undefined, 3), [{ name: 'hits', kind: 'int', value: 3 }], 'no format named')
  for (let i = 0; i < 20; i++) {
    const share = await local(undefined, 'share', `openmetrics:ns${i}`, 3) as string
    t.equal(share, `[["hits","int",[["ns${i}_hits","untyped","","expvar hits","ns${i}_hits{worker=\\"3\\"} 3\\n"]]]]`)
  }
})

test('a share says what its writer left out, whatever was thrown, for the asker to log', async (t) => {
  const registry = counting(3)
  const faces = { name: 'odd', families: () => { throw 'nope' }, aggregate: (values: readonly unknown[]) => values[0] } // eslint-disable-line no-throw-literal
  registry.register('odd', Object.assign(new FuncVar(() => 1), { [BUILTIN]: faces }))
  // Its family a_b takes the name the later var a_b needs.
  registry.register('a', () => ({ b: 1 }))
  registry.int('a_b')
  const share = await answersOf(registry as LibRegistry)(undefined, 'share', 'prometheus:', 3) as string
  t.match(share, /^\[\["odd","[a-z]+","nope"\],\["a_b","int","its Prometheus name a_b is taken by a.b"\],\["a",/)
  t.notMatch(share, /\["a_b","int",\[/, 'a reading whose name is taken has no families in the share')
})

test('the values copy charges a shared object once: a depth-40 DAG is refused after a few reads, logged once; a shared value within the bound keeps its exact leaves at every place', async (t) => {
  const log = recorder()
  const registry = new Registry({ logger: log })
  let reads = 0
  const dag = (depth: number): unknown => {
    let v: unknown = 1
    for (let i = 0; i < depth; i++) {
      const below = v
      v = { get a () { reads++; return below }, b: below }
    }
    return v
  }
  registry.register('deep', () => dag(40))
  // Not shared, and not plain data (bigints): copied, and refused at the bound's last node.
  registry.register('many', () => Array.from({ length: 600_000 }, () => [1n]))
  const shared = { big: 2n ** 70n, n: NaN }
  registry.register('shared', () => ({ x: shared, y: [shared, { z: shared }] }))
  const local = answersOf(registry as LibRegistry)
  for (let i = 0; i < 2; i++) {
    const answer = await local(undefined, 'values', undefined, 1) as readonly WireReading[]
    t.same(answer.map((reading) => reading.name), ['shared'], 'the DAG is left out, the rest served')
    const { value } = fromWire(answer[0] as WireReading) as { value: { x: typeof shared, y: [typeof shared, { z: typeof shared }] } }
    t.ok(value.x.big === 2n ** 70n && value.y[0].big === 2n ** 70n && value.y[1].z.big === 2n ** 70n, 'the bigint at every place')
    t.ok(Number.isNaN(value.x.n) && Number.isNaN(value.y[0].n) && Number.isNaN(value.y[1].z.n), 'NaN at every place')
  }
  t.ok(reads < 200, `each shared object read once, not at each of its 2^40 places (${reads} reads over two scrapes)`)
  t.match(log.lines.map((line) => [line.obj.var, (line.obj.err as Error).message]), [['deep', /^the value has more than 1048576 nodes/], ['many', /^the value has more than 1048576 nodes/]], 'logged once each')
})
