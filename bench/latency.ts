// The latency rows of `npm run bench`: HistogramVar.observe() against prom-client's
// Histogram.observe(), and the http builtin's per-route timing against fastify-metrics' route
// metrics, as requests per second of server CPU. Each server runs in a process of its own
// (fastify-metrics registers into prom-client's global registry: one app per process), forked
// from this file with LATENCY_SERVER set.
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import Fastify, { type FastifyInstance } from 'fastify'
import { Histogram } from 'prom-client'
import type * as FastifyExpvar from '../index.js'
import { compareCpu, type CpuTarget, report } from './measure.js'

const shipped = await import(new URL('../dist/index.js', import.meta.url).href) as typeof FastifyExpvar

const OBSERVE_CALLS = 2_000_000
const MICRO_ROUNDS = 7
const LOAD_ROUNDS = 9
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 2)
const ROUTES = 50
const LABELS = { method: 'GET', route: '/users/:id', status_code: '200' }

type App = 'bare' | 'ours' | 'theirs' | 'ours50' | 'theirs50'

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number
const ratio = (x: number): string => x.toFixed(2) + '×'
const count = (x: number): string => Math.round(x).toLocaleString('en-US')

function nanos (run: () => void): number {
  const start = process.hrtime.bigint()
  run()
  return Number(process.hrtime.bigint() - start)
}

/** Median calls per second of two loops, measured alternately after one warm-up each. */
function compareLoops (ours: (n: number) => void, theirs: (n: number) => void): { ours: number, theirs: number, ratio: number } {
  ours(OBSERVE_CALLS / 10)
  theirs(OBSERVE_CALLS / 10)
  const a: number[] = []
  const b: number[] = []
  const ratios: number[] = []
  for (let r = 0; r < MICRO_ROUNDS; r++) {
    const x = OBSERVE_CALLS / nanos(() => ours(OBSERVE_CALLS)) * 1e9
    const y = OBSERVE_CALLS / nanos(() => theirs(OBSERVE_CALLS)) * 1e9
    a.push(x)
    b.push(y)
    ratios.push(x / y)
  }
  return { ours: median(a), theirs: median(b), ratio: median(ratios) }
}

function benchObserve (): void {
  for (const labelled of [false, true]) {
    const ours = new shipped.HistogramVar(labelled ? { labels: Object.keys(LABELS) } : {})
    const theirs = new Histogram({ name: 'x', help: 'x', registers: [], ...(labelled ? { labelNames: Object.keys(LABELS) } : {}) })
    // The values spread over the default buckets, the same sequence for both.
    const values = Array.from({ length: 1024 }, (_, i) => (i % 97) / 10)
    const result = labelled
      ? compareLoops((n) => { for (let i = 0; i < n; i++) ours.observe(LABELS, values[i & 1023] as number) }, (n) => { for (let i = 0; i < n; i++) theirs.observe(LABELS, values[i & 1023] as number) })
      : compareLoops((n) => { for (let i = 0; i < n; i++) ours.observe(values[i & 1023] as number) }, (n) => { for (let i = 0; i < n; i++) theirs.observe(values[i & 1023] as number) })
    report({
      name: `HistogramVar.observe() vs prom-client Histogram.observe(), ${labelled ? '3 labels' : 'no labels'}, default buckets`,
      measured: `${ratio(result.ratio)} (median ${count(result.ours)} vs ${count(result.theirs)} calls/s)`,
      target: '≥ 2.00×',
      verdict: result.ratio >= 2 ? 'PASS' : 'MISS'
    })
  }
}

interface Server {
  readonly url: string
  /** The server process's CPU time so far (user + system), in microseconds. */
  cpu: () => Promise<number>
  stop: () => void
}

async function start (app: App): Promise<Server> {
  const child = fork(fileURLToPath(import.meta.url), { stdio: 'inherit', env: { ...process.env, LATENCY_SERVER: app } })
  const [url] = await once(child, 'message') as [string]
  return {
    url,
    cpu: async () => {
      child.send('cpu')
      const [{ user, system }] = await once(child, 'message') as [NodeJS.CpuUsage]
      return user + system
    },
    stop: () => child.kill()
  }
}

/** A path of a server, with its process' CPU time. */
const at = (server: Server, path: string): CpuTarget => ({ url: server.url + path, cpu: server.cpu })

function figures ({ ratio: x, ours, theirs }: { ratio: number, ours: number, theirs: number }): string {
  return `${ratio(x)} (median ${count(ours)} vs ${count(theirs)} requests per CPU-second, ${(1e6 / ours).toFixed(1)} vs ${(1e6 / theirs).toFixed(1)} µs a request)`
}

async function benchRoutes (): Promise<void> {
  const servers = new Map<App, Server>()
  try {
    for (const app of ['bare', 'ours', 'theirs', 'ours50', 'theirs50'] as const) servers.set(app, await start(app))
    const to = (app: App): Server => servers.get(app) as Server
    const vsTheirs = await compareCpu(at(to('ours'), '/hello'), at(to('theirs'), '/hello'), LOAD_ROUNDS, LOAD_SECONDS)
    report({
      name: 'hello route timed by the http builtin vs by fastify-metrics\' route metrics (histogram + summary), requests per second of server CPU',
      measured: figures(vsTheirs),
      target: '≥ 1.20×',
      verdict: vsTheirs.ratio >= 1.2 ? 'PASS' : 'MISS'
    })
    const vsBare = await compareCpu(at(to('ours'), '/hello'), at(to('bare'), '/hello'), LOAD_ROUNDS, LOAD_SECONDS)
    report({
      name: 'hello route timed by the http builtin vs the same app without the plugin, requests per second of server CPU',
      measured: figures(vsBare),
      target: '≥ 0.95×',
      verdict: vsBare.ratio >= 0.95 ? 'PASS' : 'MISS'
    })
    // The same traffic on both 50-route apps first: every route has its series.
    for (const app of ['ours50', 'theirs50'] as const) {
      for (let i = 0; i < ROUTES; i++) {
        for (let k = 0; k < 20; k++) await (await fetch(`${to(app).url}/r${i}/${k}`)).text()
      }
    }
    const metrics = await compareCpu(at(to('ours50'), '/metrics'), at(to('theirs50'), '/metrics'), LOAD_ROUNDS, LOAD_SECONDS)
    report({
      name: `/metrics of an app with ${ROUTES} timed routes, ours vs fastify-metrics' (route metrics only), requests per second of server CPU`,
      measured: figures(metrics),
      target: '≥ 3.00×',
      verdict: metrics.ratio >= 3 ? 'PASS' : 'MISS'
    })
  } finally {
    for (const server of servers.values()) server.stop()
  }
}

/** Every latency row. */
export async function benchLatency (): Promise<void> {
  benchObserve()
  await benchRoutes()
}

/** One app of the comparison, listening; resolves to its origin. */
async function serve (app: App): Promise<string> {
  const server: FastifyInstance = Fastify()
  if (app === 'ours' || app === 'ours50') {
    await server.register(shipped.default, { builtins: ['http'], cmdline: false, memstats: false, prometheus: true })
  } else if (app === 'theirs' || app === 'theirs50') {
    // Imported by a name the type checker does not follow: its types augment Fastify's route config for every file.
    const name = 'fastify-metrics'
    const { default: metrics } = await import(name) as { default: Parameters<FastifyInstance['register']>[0] }
    await server.register(metrics, { endpoint: '/metrics', defaultMetrics: { enabled: false } })
  }
  server.get('/hello', async () => ({ hello: 'world' }))
  if (app === 'ours50' || app === 'theirs50') {
    for (let i = 0; i < ROUTES; i++) server.get(`/r${i}/:id`, async () => ({ route: i }))
  }
  return await server.listen({ host: '127.0.0.1', port: 0 })
}

if (process.env.LATENCY_SERVER !== undefined) {
  process.send?.(await serve(process.env.LATENCY_SERVER as App))
  process.on('disconnect', () => process.exit(0))
  process.on('message', (message) => { if (message === 'cpu') process.send?.(process.cpuUsage()) })
}
