// A real Prometheus scrapes the http builtin's histogram (OpenMetrics) and answers histogram_quantile()
// over it per route: the buckets mean to Prometheus what they say.
import Fastify from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'tap'
import expvar from '../../index.js'
import { haveTool, startPrometheus } from '../prometheus-tools.js'

test('a real Prometheus answers histogram_quantile(0.99, …) over the http builtin\'s durations per route', async (t) => {
  if (!haveTool(t, 'prometheus')) return
  const app = Fastify()
  await app.register(expvar, { prometheus: true, builtins: ['http'] })
  // A route that sleeps 300 ms lands every request in the (0.25, 0.5] bucket; one that answers at once is below 0.25.
  app.get('/slow', async () => { await sleep(300); return 'slow' })
  app.get('/fast', async () => 'fast')
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const port = (app.server.address() as { port: number }).port
  // A little traffic on both routes while Prometheus scrapes, until the test ends.
  const run = { stopped: false }
  const traffic = (async () => {
    while (!run.stopped) {
      await Promise.all([fetch(`http://127.0.0.1:${port}/slow`).then((res) => res.text()), fetch(`http://127.0.0.1:${port}/fast`).then((res) => res.text())])
    }
  })()
  t.teardown(async () => { run.stopped = true; await traffic })

  const server = await startPrometheus(t, [{ name: 'app', target: `127.0.0.1:${port}` }])
  const [target] = await server.targets()
  t.equal(target?.health, 'up')
  t.equal(target?.lastError, '', 'OpenMetrics with histograms parses')
  const q = 'histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket[1m])))'
  // rate() needs two scrapes in the window with requests between them: polled until both routes have a number.
  const answer = await server.until('a quantile per route', async () => {
    const samples = await server.query(q)
    const byRoute = Object.fromEntries(samples.map((sample) => [sample.metric.route, Number(sample.value[1])]))
    return Number.isFinite(byRoute['/slow']) && Number.isFinite(byRoute['/fast']) ? byRoute : undefined
  })
  const slow = answer['/slow'] as number
  const fast = answer['/fast'] as number
  t.ok(slow > 0.25 && slow <= 0.5, `/slow's p99 ${slow} is in its bucket (0.25, 0.5]`)
  t.ok(fast >= 0 && fast <= 0.25, `/fast's p99 ${fast} is below /slow's bucket`)
  const [count] = await server.query('sum(http_request_duration_seconds_count{route="/slow"})')
  const [inf] = await server.query('sum(http_request_duration_seconds_bucket{route="/slow",le="+Inf"})')
  t.equal(count?.value[1], inf?.value[1], '_count is the +Inf bucket')
})
