// The http builtin: requests, in flight, aborted and responses by status class, from the instance's hooks.
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify'
import { connect } from 'node:net'
import { once } from 'node:events'
import { test } from 'tap'
import expvar, { HistogramVar } from '../index.js'
import { BUILTINS } from '../lib/builtins/index.js'
import { aggregate } from '../lib/cluster/aggregate.js'
import { WARN, build, scrape, waitFor } from './helpers.js'

interface HttpVar {
  requests: number
  inFlight: number
  aborted: number
  responses: Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', number>
}

/** The http var's counters, without its durations. */
async function httpVar (app: Parameters<typeof scrape>[0]): Promise<HttpVar> {
  const { duration, ...counters } = (await scrape(app, '?vars=http')).http as HttpVar & { duration: unknown }
  return counters
}

interface Leaf { count: number, sum: number, buckets: Record<string, number>, p50: number | null, p90: number | null, p99: number | null }
type Durations = Record<string, Record<string, Record<string, Leaf>>>

/** The http var's durations: method, route, status code, leaf. */
async function durations (app: Parameters<typeof scrape>[0]): Promise<Durations> {
  return ((await scrape(app, '?vars=http')).http as { duration: Durations }).duration
}

/** Sends the requests one after another, each answered before the next: the counters then hold exactly these. */
async function send (app: FastifyInstance, requests: ReadonlyArray<string | InjectOptions>): Promise<void> {
  for (const request of requests) await app.inject(request)
}

/** The counts of each timed series, as method route status: count. */
function counts (timed: Durations): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [method, routes] of Object.entries(timed)) {
    for (const [route, codes] of Object.entries(routes)) {
      for (const [code, leaf] of Object.entries(codes)) out[`${method} ${route} ${code}`] = leaf.count
    }
  }
  return out
}

test('http is opt-in', async (t) => {
  const { app } = await build()
  t.teardown(() => app.close())
  t.notOk('http' in await scrape(app))
})

test('responses are counted by status class; the scrape itself is in flight', async (t) => {
  const { app } = await build({ builtins: ['http'] })
  t.teardown(() => app.close())
  app.get('/ok', async () => 'ok')
  app.get('/continue', async (_request, reply) => reply.code(103).send())
  app.get('/moved', async (_request, reply) => reply.redirect('/ok'))
  app.get('/boom', async () => { throw new Error('boom') })
  await send(app, ['/ok', '/ok', '/continue', '/moved', '/missing', '/boom'])
  t.same(await httpVar(app), {
    requests: 7,
    inFlight: 1,
    aborted: 0,
    responses: { '1xx': 1, '2xx': 2, '3xx': 1, '4xx': 1, '5xx': 1 }
  })
  t.same((await httpVar(app)).responses['2xx'], 3, 'the first scrape was answered 200')
})

test('a request waiting in its handler is in flight until it is answered', async (t) => {
  const { app } = await build({ builtins: ['http'] })
  t.teardown(() => app.close())
  let release = (): void => {}
  const entered = new Promise<void>((resolve) => {
    app.get('/slow', async () => {
      resolve()
      await new Promise<void>((resolve) => { release = resolve })
      return 'done'
    })
  })
  const slow = app.inject('/slow')
  await entered
  t.equal((await httpVar(app)).inFlight, 2, 'the slow request and the scrape')
  release()
  t.equal((await slow).statusCode, 200)
  t.equal((await httpVar(app)).inFlight, 1, 'only the scrape')
})

test('a client that goes away before its answer is counted as aborted, not in flight', async (t) => {
  const app = Fastify()
  await app.register(expvar, { cmdline: false, memstats: false, builtins: ['http'] })
  let release = (): void => {}
  const entered = new Promise<void>((resolve) => {
    app.get('/slow', async () => {
      resolve()
      await new Promise<void>((resolve) => { release = resolve })
      return 'late'
    })
  })
  // When the late answer has been handed to the gone socket (its onSend hooks ran).
  const answered = new Promise<void>((resolve) => {
    app.addHook('onSend', async (request, _reply, payload) => {
      if (request.url === '/slow') setImmediate(resolve)
      return payload
    })
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const { port } = app.server.address() as { port: number }
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  socket.write('GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n')
  await entered
  socket.destroy()
  const counted = await waitFor('the abort counted', async () => {
    const now = await httpVar(app)
    return now.aborted > 0 && now
  })
  release()
  t.equal(counted.aborted, 1)
  t.equal(counted.inFlight, 1, 'only the scrape')
  t.equal(counted.requests, counted.responses['2xx'] + 1 + 1, 'every other request was a scrape, answered 200')
  // The late answer goes nowhere: it must not be counted as a response on top of the abort.
  await answered
  const after = await httpVar(app)
  t.equal(after.inFlight, 1, 'still only the scrape')
  t.equal(after.requests, after.responses['2xx'] + 1 + 1)
})

test('routes of every context under the plugin are counted, whether declared before or after it', async (t) => {
  const app = Fastify()
  app.get('/root-before', async () => 'a')
  await app.register(async (child) => { child.get('/child-before', async () => 'b') })
  await app.register(expvar, { cmdline: false, memstats: false, builtins: ['http'] })
  app.get('/root-after', async () => 'c')
  app.register(async (child) => { child.get('/child-after', async () => 'd') })
  t.teardown(() => app.close())
  await send(app, ['/root-before', '/child-before', '/root-after', '/child-after'])
  t.equal((await httpVar(app)).responses['2xx'], 4)
})

test('registered inside an encapsulated context, it counts only that context\'s routes', async (t) => {
  const app = Fastify()
  app.get('/outside', async () => 'a')
  await app.register(async (child) => {
    await child.register(expvar, { cmdline: false, memstats: false, builtins: ['http'] })
    child.get('/inside', async () => 'b')
  })
  t.teardown(() => app.close())
  await send(app, ['/outside', '/inside'])
  const counted = (await scrape(app)).http as HttpVar
  t.same(counted.responses, { '1xx': 0, '2xx': 1, '3xx': 0, '4xx': 0, '5xx': 0 })
  t.equal(counted.requests, 2, '/inside and the scrape')
})

test('every request is timed by method, route pattern and status code; unmatched ones share __unknown__', async (t) => {
  const { app } = await build({ builtins: ['http'], prometheus: true, ui: true })
  t.teardown(() => app.close())
  app.get('/users/:id', async () => 'user')
  app.post('/users', async (_request, reply) => reply.code(201).send('made'))
  app.get('/boom', async () => { throw new Error('boom') })
  app.get('/quiet', { config: { expvar: false } }, async () => 'not timed')
  await send(app, ['/users/1', '/users/2', '/users/3?x=1', '/boom', '/missing', '/missing/too', '/quiet', { method: 'POST', url: '/users' }, { method: 'HEAD', url: '/users/4' }])
  // The plugin's own routes are not timed.
  for (const url of ['/metrics', '/debug/vars/ui', '/debug/vars']) t.equal((await app.inject(url)).statusCode, 200, url)
  const timed = await durations(app)
  t.same(counts(timed), {
    'GET /users/:id 200': 3,
    'GET /boom 500': 1,
    'GET __unknown__ 404': 2,
    'POST /users 201': 1,
    'HEAD /users/:id 200': 1
  })
  const leaf = timed.GET?.['/users/:id']?.['200'] as Leaf
  t.same(Object.keys(leaf.buckets).sort(), ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'].sort(), 'fastify-metrics\' buckets: prom-client\'s defaults')
  t.equal(leaf.buckets['+Inf'], leaf.count)
  t.ok(leaf.sum > 0, 'durations in seconds')
  t.equal(typeof leaf.p99, 'number')
})

test('a request whose client went away is not timed', async (t) => {
  const app = Fastify()
  await app.register(expvar, { cmdline: false, memstats: false, builtins: ['http'] })
  let release = (): void => {}
  const entered = new Promise<void>((resolve) => {
    app.get('/slow', async () => {
      resolve()
      await new Promise<void>((resolve) => { release = resolve })
      return 'late'
    })
  })
  app.get('/fast', async () => 'fast')
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const { port } = app.server.address() as { port: number }
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  socket.write('GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n')
  await entered
  socket.destroy()
  await waitFor('the abort counted', async () => (await httpVar(app)).aborted > 0)
  release()
  await fetch(`http://127.0.0.1:${port}/fast`)
  t.same(counts(await durations(app)), { 'GET /fast 200': 1 })
})

test('the durations are one histogram family in Prometheus text and OpenMetrics, count equal to the +Inf bucket', async (t) => {
  const { app } = await build({ builtins: ['http'], prometheus: true })
  t.teardown(() => app.close())
  app.get('/a/:id', async () => 'a')
  await send(app, ['/a/1', '/a/1', '/a/1'])
  for (const headers of [{}, { accept: 'application/openmetrics-text; version=1.0.0' }]) {
    const text = (await app.inject({ url: '/metrics', headers })).body
    t.match(text, /^# TYPE http_request_duration_seconds histogram$/m)
    const lines = text.split('\n').filter((line) => line.startsWith('http_request_duration_seconds'))
    const series = '{method="GET",route="/a/:id",status_code="200"'
    t.ok(lines.includes(`http_request_duration_seconds_bucket${series},le="+Inf"} 3`))
    t.ok(lines.includes(`http_request_duration_seconds_count${series}} 3`))
    t.match(lines.find((line) => line.startsWith(`http_request_duration_seconds_sum${series}}`)), /} \d/)
    t.equal(lines.filter((line) => line.includes('_bucket')).length, 12, 'eleven bounds and +Inf')
    t.notOk(lines.some((line) => line.includes('/metrics')), 'the scrapes themselves are not timed')
  }
})

test('past 2000 label sets the durations go to the overflow series, with one warning', async (t) => {
  const { app, logs } = await build({ builtins: ['http'] })
  t.teardown(() => app.close())
  const routes = Array.from({ length: 2002 }, (_, i) => `/r${i}`)
  for (const route of routes) app.get(route, async () => 'r')
  await send(app, routes)
  const timed = await durations(app)
  t.equal(Object.keys(timed.GET ?? {}).length, 2000, 'the first 2000 routes')
  t.same(counts({ __overflow__: timed.__overflow__ ?? {} }), { '__overflow__ __overflow__ __overflow__': 2 }, 'the last two in one series')
  const warnings = logs.filter((line) => line.var === 'http' && line.level === WARN)
  t.equal(warnings.length, 1)
  t.match(warnings[0]?.msg, /histogram "http" has 2000 label sets/)
})

test('in a cluster, the workers\' durations are added per bucket and their quantiles estimated again', async (t) => {
  const worker = (observations: readonly number[]): unknown => {
    const h = new HistogramVar({ labels: ['method', 'route', 'status_code'] })
    for (const seconds of observations) h.observe({ method: 'GET', route: '/a', status_code: '200' }, seconds)
    h.observe({ method: 'GET', route: '/b', status_code: '404' }, 0.001)
    return { requests: observations.length + 1, duration: JSON.parse(h.string()) }
  }
  const [{ value }] = aggregate([1, 2].map((id) => ({ worker: id, readings: [{ name: 'http', value: worker(id === 1 ? [0.003, 0.2] : [0.2, 0.2, 3]) }] })), BUILTINS) as unknown as [{ value: { requests: number, duration: Durations } }]
  t.equal(value.requests, 7)
  const leaf = value.duration.GET?.['/a']?.['200'] as Leaf
  t.same([leaf.count, leaf.buckets['+Inf'], leaf.buckets['0.005'], leaf.buckets['0.25'], leaf.buckets['5']], [5, 5, 1, 4, 5])
  t.equal(leaf.sum, 0.003 + 0.2 + (0.2 + 0.2 + 3))
  t.equal(leaf.p50, 0.1 + 0.15 * (1.5 / 3), 'rank 2.5 of 5, from the added buckets')
  t.equal(value.duration.GET?.['/b']?.['404']?.count, 2)
  t.same(aggregate([{ worker: 1, readings: [{ name: 'http', value: { requests: 1 } }] }], BUILTINS)[0]?.value, { requests: 1 }, 'a value without durations')
})
