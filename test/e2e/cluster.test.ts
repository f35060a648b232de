// Cluster mode with a real node:cluster: a primary started by the test forks workers on one port;
// every scrape answers for the whole cluster, whichever worker gets it.
import { type ChildProcess, spawn } from 'node:child_process'
import { request } from 'node:http'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import t, { test, type Test } from 'tap'
import { packedPlugin } from '../packed.js'
import { waitFor } from '../helpers.js'
import { haveTool, promtoolCheck, startPrometheus } from '../prometheus-tools.js'

const primaryScript = join(import.meta.dirname, '..', 'fixtures', 'cluster', 'primary.mjs')
// The children run the packed plugin, not lib/ under tap's loader: their coverage is not collected
// (the worker and relay logic is covered in-process by cluster-ipc.test.ts).
const childEnv: NodeJS.ProcessEnv = { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0' }
const unpacked = packedPlugin('cluster')
t.teardown(async () => { await (await unpacked).remove() })
// Seven real clusters of 2-4 processes each: ~95 s alone on two busy cores, more beside other files.
t.setTimeout(300_000)

interface Cluster {
  readonly port: number
  readonly workers: number[]
  command (line: string): void
  /** Resolves once the primary has seen the worker exit (so no new connection is handed to it). */
  exited (id: number): Promise<void>
  /** Every line the primary and the workers printed since the start: exits, acknowledgements, logs. */
  readonly lines: readonly Record<string, unknown>[]
  /** Resolves with the first line (from the start on) for which `is` holds; bounded (10 s by default). */
  line (is: (line: Record<string, unknown>) => boolean, seconds?: number): Promise<Record<string, unknown>>
}

async function startCluster (t: Test, env: Record<string, string> = {}): Promise<Cluster> {
  const { entry } = await unpacked
  const child: ChildProcess = spawn(process.execPath, [primaryScript], {
    env: { ...childEnv, EXPVAR_PLUGIN: entry, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true
  })
  // The primary and its workers are one process group: killed together, whatever happens.
  t.teardown(() => { try { process.kill(-(child.pid as number), 'SIGKILL') } catch {} })
  const bounded = setTimeout(() => child.kill('SIGKILL'), 60_000)
  t.teardown(() => clearTimeout(bounded))
  const input = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const lines: Record<string, unknown>[] = []
  input.on('line', (text: string) => { lines.push(JSON.parse(text) as Record<string, unknown>) })
  const line = async (is: (line: Record<string, unknown>) => boolean, seconds = 10): Promise<Record<string, unknown>> =>
    waitFor(`a line of the cluster's matching ${is.toString()}`, () => lines.find(is), { within: seconds * 1000, every: 50 })
  // The first start waits for the packed tarball's build.
  const { port, workers } = await line((l) => l.port !== undefined, 50) as { port: number, workers: number[] }
  return {
    port,
    workers,
    lines,
    line,
    command: (text) => (child.stdin as NodeJS.WritableStream).write(text + '\n'),
    exited: async (id) => { await line((l) => l.exit === id) }
  }
}

interface Answer { status: number, worker: number, body: string }

/** One request on a fresh connection, so that the primary hands it to the next worker. */
function get (port: number, path: string, headers: Record<string, string> = {}): Promise<Answer & { type: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { ...headers, connection: 'close' } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode as number, worker: Number(res.headers['x-worker']), type: String(res.headers['content-type']), body }))
    })
    req.on('error', reject)
    // Bounded: a request that hangs fails the test with a message rather than its timeout.
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path} got no answer in 10 s`)))
    req.end()
  })
}

async function scrape (port: number, query = ''): Promise<Answer & { doc: Record<string, unknown> }> {
  const answer = await get(port, '/debug/vars' + query)
  return { ...answer, doc: answer.status === 200 ? JSON.parse(answer.body) : {} }
}

async function hit (port: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await get(port, '/hit')
}

interface Leaf { count: number, sum: number, buckets: Record<string, number> }

test('request durations over 2 workers: the cluster\'s buckets, sums and counts are the workers\' added, count the +Inf bucket', async (t) => {
  const c = await startCluster(t, { WORKERS: '2' })
  await hit(c.port, 10)
  for (let i = 0; i < 2; i++) await get(c.port, '/nowhere')
  const own = await Promise.all([...c.workers].sort((a, b) => a - b).map(async (id) => (await scrape(c.port, `?worker=${id}`)).doc))
  const leaves = (doc: Record<string, unknown>, route: string, status: string): Leaf | undefined =>
    ((doc.http as { duration: Record<string, Record<string, Record<string, Leaf>>> }).duration.GET?.[route]?.[status])
  t.ok(own.every((doc) => leaves(doc, '/hit', '200') !== undefined), 'both workers timed /hit')
  // The scrapes themselves are not timed: the cluster's document after them still has the same counts.
  for (let i = 0; i < 2; i++) {
    const { doc } = await scrape(c.port)
    for (const [route, status, expected] of [['/hit', '200', 10], ['__unknown__', '404', 2]] as const) {
      const leaf = leaves(doc, route, status) as Leaf
      const workers = own.map((w) => leaves(w, route, status)).filter((l): l is Leaf => l !== undefined)
      t.equal(leaf.count, expected, `${route}: every request counted once`)
      t.equal(leaf.buckets['+Inf'], leaf.count, `${route}: count is the +Inf bucket`)
      t.equal(leaf.sum, workers.reduce((a, w) => a + w.sum, 0), `${route}: the sum is the workers' sums`)
      for (const le of Object.keys(leaf.buckets)) {
        t.equal(leaf.buckets[le], workers.reduce((a, w) => a + (w.buckets[le] as number), 0), `${route}: le=${le} added`)
      }
      // JSON.parse puts integer keys first: in bound order again, +Inf last.
      const counts = Object.keys(leaf.buckets).sort((a, b) => (a === '+Inf' ? Infinity : Number(a)) - (b === '+Inf' ? Infinity : Number(b))).map((le) => leaf.buckets[le] as number)
      t.ok(counts.every((n, k) => k === 0 || n >= (counts[k - 1] as number)), `${route}: cumulative`)
    }
  }
})

test('counts are summed whichever worker answers, and the per-worker documents add up', async (t) => {
  const c = await startCluster(t, { WORKERS: '3' })
  await hit(c.port, 12)
  const answeredBy = new Set<number>()
  for (let i = 0; i < 6; i++) {
    const { status, worker, doc } = await scrape(c.port)
    t.equal(status, 200)
    answeredBy.add(worker)
    t.equal(doc.hits, 12, `worker ${worker} answers for all`)
    t.same(doc.cluster, { workers: 3, answered: 3, missing: [], relay: true })
    t.equal(Object.values(doc.byWorker as Record<string, number>).reduce((a, b) => a + b, 0), 12)
  }
  t.ok(answeredBy.size > 1, 'the scrapes reached more than one worker')
  // Concurrent scrapes, on whichever workers they reach, each answer for the whole cluster.
  const concurrent = await Promise.all(Array.from({ length: 6 }, () => scrape(c.port)))
  t.same(concurrent.map(({ doc }) => doc.hits), [12, 12, 12, 12, 12, 12])
  let sum = 0
  for (const id of c.workers) {
    const { status, doc } = await scrape(c.port, `?worker=${id}`)
    t.equal(status, 200)
    t.notOk('cluster' in doc, 'a worker\'s own document is the single-process one')
    sum += doc.hits as number
  }
  t.equal(sum, 12)
  t.equal((await scrape(c.port, '?worker=99')).status, 404)
  t.equal((await scrape(c.port, '?worker=x')).status, 400)
  const { doc } = await scrape(c.port, '?vars=hits')
  t.same(doc, { hits: 12 }, '?vars= keeps working')
  // A second app in each worker, with its own plugin instance: its cluster document is its own app's.
  const total = c.workers.reduce((a, b) => a + b, 0)
  for (let i = 0; i < 3; i++) {
    const admin = await get(c.port, '/admin/vars')
    t.same(JSON.parse(admin.body), { adminId: total, cluster: { workers: 3, answered: 3, missing: [], relay: true } }, `worker ${admin.worker}'s admin app answers for every admin app`)
  }
  t.same(JSON.parse((await get(c.port, `/admin/vars?worker=${c.workers[1] as number}`)).body), { adminId: c.workers[1] })
  t.notOk('adminId' in (await scrape(c.port)).doc, 'the public app\'s document has no admin var')
})

test('a worker that stalls past the timeout and one that was killed are missing, not a failed scrape', async (t) => {
  const c = await startCluster(t, { WORKERS: '3', CLUSTER_TIMEOUT: '1000' })
  await hit(c.port, 9)
  const [, second, third] = c.workers as [number, number, number]
  c.command(`stall ${second} 3000`)
  // The command reaches the worker a little later: scrape until a scrape sees it (bounded). A
  // scrape that lands on the stalled worker itself waits the stall out, so the stall is renewed.
  let stalled = await scrape(c.port)
  for (let i = 0; i < 20 && !(stalled.doc.cluster as { missing: number[] } | undefined)?.missing.includes(second); i++) {
    c.command(`stall ${second} 3000`)
    stalled = await scrape(c.port)
  }
  t.equal(stalled.status, 200)
  t.same((stalled.doc.cluster as { missing: number[] }).missing, [second])
  t.ok((stalled.doc.hits as number) < 9, 'the stalled worker\'s share is left out')
  // A connection the primary hands to a worker in the instant it dies is lost by node:cluster
  // itself (the client waits forever), so the scrapes start once the primary has seen the exit.
  c.command(`kill ${third}`)
  await c.exited(third)
  let killed = await scrape(c.port)
  for (let i = 0; i < 20 && (killed.doc.cluster as { workers: number }).workers !== 2; i++) killed = await scrape(c.port)
  t.equal((killed.doc.cluster as { workers: number }).workers, 2, 'a dead worker is not counted')
  t.equal(killed.status, 200)
})

test('a worker without the plugin is missing at once; a primary without aggregateWorkers() leaves each worker alone', async (t) => {
  const plain = await startCluster(t, { WORKERS: '3', PLAIN: '3' })
  let answer
  do answer = await scrape(plain.port); while (answer.status !== 200)
  t.same(answer.doc.cluster, { workers: 3, answered: 2, missing: [plain.workers[2]], relay: true })
  const alone = await startCluster(t, { WORKERS: '2', RELAY: 'none', CLUSTER_TIMEOUT: '200' })
  await hit(alone.port, 4)
  const { doc } = await scrape(alone.port)
  t.same(doc.cluster, { workers: 1, answered: 1, missing: [], relay: false })
  t.ok((doc.hits as number) < 4)
})

test('a relay started after the workers were forked serves them', async (t) => {
  const c = await startCluster(t, { WORKERS: '2', RELAY: 'after' })
  await hit(c.port, 4)
  const { doc } = await scrape(c.port)
  t.equal(doc.hits, 4)
})

/** The `hits` samples of an exposition, by their worker label. */
function hitsByWorker (body: string): Map<number, number> {
  return new Map([...body.matchAll(/^hits\{worker="(\d+)"\} (\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])]))
}

test('GET /metrics on any worker has every worker\'s samples, labelled worker, adding up to the total; promtool and Prometheus accept it', async (t) => {
  const c = await startCluster(t, { WORKERS: '3', PROMETHEUS: '1' })
  await hit(c.port, 12)
  const answeredBy = new Set<number>()
  for (let i = 0; i < 4; i++) {
    const { status, worker, type, body } = await get(c.port, '/metrics')
    t.equal(status, 200)
    t.equal(type, 'text/plain; version=0.0.4; charset=utf-8')
    answeredBy.add(worker)
    const hits = hitsByWorker(body)
    t.same([...hits.keys()].sort((a, b) => a - b), [...c.workers].sort((a, b) => a - b), `worker ${worker}: one hits sample per worker`)
    t.equal([...hits.values()].reduce((a, b) => a + b, 0), 12, `worker ${worker}: the labelled samples add up to every hit`)
    // Each worker counts its own hits under its own id: the label is the worker the sample came from.
    const keyed = [...body.matchAll(/^by_worker\{key="(\d+)",worker="(\d+)"\} (\d+)$/gm)]
    t.ok(keyed.length === 3 && keyed.every((m) => m[1] === m[2]), 'a Map\'s samples carry their key and their worker')
    t.same(keyed.map((m) => Number(m[3])), [...hits.values()])
    t.equal(body.split('\n').filter((line) => line === '# TYPE hits untyped').length, 1, 'one family for every worker\'s samples')
    t.match(body, /^cluster_workers 3$/m)
    t.match(body, /^cluster_answered 3$/m)
    t.match(body, /^http_requests_total\{worker="\d+"\} \d+$/m, 'builtins too')
    if (i === 0 && haveTool(t, 'promtool')) {
      const { code, output } = await promtoolCheck(body)
      t.equal(code, 0, output)
      t.equal(output, '', 'promtool has nothing to say')
    }
  }
  t.ok(answeredBy.size > 1, 'the scrapes reached more than one worker')
  const om = await get(c.port, '/metrics', { accept: 'application/openmetrics-text; version=1.0.0' })
  t.equal(om.type, 'application/openmetrics-text; version=1.0.0; charset=utf-8')
  t.equal([...hitsByWorker(om.body).values()].reduce((a, b) => a + b, 0), 12)
  t.match(om.body, /# EOF\n$/)
  // Prometheus asks for OpenMetrics first: its parser is the check of that format.
  if (!haveTool(t, 'prometheus')) return
  const server = await startPrometheus(t, [{ name: 'cluster', target: `127.0.0.1:${c.port}` }])
  const [target] = await server.targets()
  t.equal(target?.health, 'up', 'the cluster is a healthy target')
  t.equal(target?.lastError, '', 'no scrape error')
  const stored = await server.query('hits')
  t.same(stored.map((s) => Number(s.metric.worker)).sort((a, b) => a - b), [...c.workers].sort((a, b) => a - b), 'one series per worker')
  t.equal(stored.reduce((a, s) => a + Number(s.value[1]), 0), 12, 'sum(hits) is every hit')
})

const WHOLE = { workers: 3, answered: 3, missing: [], relay: true }

/** Scrapes until one answers for the whole cluster (bounded), then asserts the next three do too. */
async function wholeAgain (t: Test, c: Cluster, hits: number, what: string): Promise<void> {
  let answer = await scrape(c.port)
  for (let i = 0; i < 20 && JSON.stringify(answer.doc.cluster) !== JSON.stringify(WHOLE); i++) answer = await scrape(c.port)
  for (let i = 0; i < 3; i++) {
    const { status, doc } = await scrape(c.port)
    t.equal(status, 200)
    t.same(doc.cluster, WHOLE, `${what}: the scrapes are whole again`)
    t.equal(doc.hits, hits)
  }
}

/** The log lines a worker printed (pino, one JSON object a line) whose message matches. */
function logged (c: Cluster, pattern: RegExp): Record<string, unknown>[] {
  return c.lines.filter((line) => typeof line.msg === 'string' && pattern.test(line.msg))
}

test('a worker that alters every message the plugin sends kills no process and fails no scrape; once it behaves, the scrapes are whole again', async (t) => {
  const c = await startCluster(t, { WORKERS: '3', HOSTILE: '3', CLUSTER_TIMEOUT: '1000', PROMETHEUS: '1' })
  const hostile = c.workers[2] as number
  await hit(c.port, 9)
  const statuses = new Set<number>()
  let fromOthers = 0
  for (let i = 0; i < 12; i++) {
    for (const path of ['/debug/vars', '/metrics', `/debug/vars?worker=${hostile}`, `/debug/vars?worker=${c.workers[0] as number}`, '/admin/vars']) {
      const answer = await get(c.port, path)
      statuses.add(answer.status)
      if (answer.worker === hostile || answer.status !== 200 || path === '/metrics') continue
      fromOthers++
      // Whatever the hostile worker sent, another worker's document is well formed and counts every live worker.
      const doc = JSON.parse(answer.body) as Record<string, unknown>
      if (path !== `/debug/vars?worker=${c.workers[0] as number}`) t.equal((doc.cluster as { workers: number }).workers, 3)
    }
  }
  t.same([...statuses].filter((status) => status !== 200 && status !== 404), [], 'no scrape failed (404: the hostile worker\'s own document did not fit)')
  t.ok(fromOthers > 10, 'the other workers answered scrapes meanwhile')
  c.command('ping')
  t.same((await c.line((line) => line.pong === true)).workers, c.workers, 'the primary and every worker live')
  t.notOk(c.lines.some((line) => line.exit !== undefined), 'no process exited')
  const dropped = c.lines.filter((line) => typeof line.relayLog === 'string' && /was dropped/.test(line.relayLog))
  t.same(dropped.map((line) => line.worker), [hostile], 'the relay said once that it dropped the hostile worker\'s messages')
  c.command(`tell ${hostile} {"behave":true}`)
  await c.line((line) => line.ack === hostile)
  await wholeAgain(t, c, 9, 'after the hostile worker behaves')
})

test('a primary busy past the timeout, and an asking worker blocked past it, cost that scrape its siblings only', async (t) => {
  const c = await startCluster(t, { WORKERS: '3', CLUSTER_TIMEOUT: '500' })
  await hit(c.port, 6)
  await wholeAgain(t, c, 6, 'at the start')
  // The primary's event loop is busy for 1.5 s from the moment the next scrape's request reaches it.
  c.command('block-next-collect 1500')
  // The primary reads its commands in order: once it answers the ping, the block is set.
  c.command('ping')
  await c.line((line) => line.pong === true)
  const blocked = await scrape(c.port)
  t.equal(blocked.status, 200, 'the scrape is answered')
  t.same(blocked.doc.cluster, { workers: 1, answered: 1, missing: [], relay: false }, 'by its worker alone')
  await wholeAgain(t, c, 6, 'after the primary was busy')
  const busy = logged(c, /the relay did not answer within 500 ms/)
  t.equal(busy.length, 1, 'the asking worker said what happened')
  t.match(busy[0]?.msg, /primary's event loop was busy/)
  t.notMatch(busy[0]?.msg, /aggregateWorkers/, 'without blaming a missing aggregateWorkers()')
  // Each worker's event loop is busy for 1.5 s after the next scrape it gets has asked the relay.
  c.command('tell all {"stallNextScrape":1500}')
  for (const id of c.workers) await c.line((line) => line.ack === id && line.what === 'stallNextScrape')
  const stalled = await scrape(c.port)
  t.equal(stalled.status, 200)
  t.same(stalled.doc.cluster, { workers: 1, answered: 1, missing: [], relay: false }, 'the blocked asker answers alone')
  c.command('tell all {"stallNextScrape":0}')
  await c.line(() => c.lines.filter((line) => line.what === 'stallNextScrape').length === 6)
  await wholeAgain(t, c, 6, 'after the asking worker was blocked')
  t.match(logged(c, /the relay did not answer within 500 ms/).map((line) => line.msg), [/busy/, /this worker's event loop was blocked/])
  t.notOk(c.lines.some((line) => line.exit !== undefined), 'no process exited')
})
