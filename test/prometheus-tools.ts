// Test helpers for the real Prometheus tools: finding promtool/prometheus, running a Prometheus server, a free loopback port.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import type { Registry } from '../index.js'
import { waitFor } from './helpers.js'

export const INSTALL = 'apt-get install -y --no-install-recommends prometheus'

/**
 * Whether the tool is on PATH. When it is not: one line naming it and its install, and the test is
 * skipped; under CI=true the test fails instead, since CI installs it (.ci/run).
 */
export function haveTool (t: Test, tool: 'promtool' | 'prometheus'): boolean {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0) return true
  const line = `${tool} not found: ${INSTALL}`
  if (process.env.CI === 'true') t.fail(line)
  else t.skip(line, () => {})
  return false
}

/** promtool check metrics on a text: its exit code and what it printed. */
export async function promtoolCheck (text: string): Promise<{ code: number | null, output: string }> {
  const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stdin.end(text)
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { code, output }
}

/** A port nothing listens on at 127.0.0.1, for a server a test starts. */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * Publishes one var of every kind, with every metadata variant, weird names, label values and
 * numbers: whatever the plugin can emit, including vars that must be left out.
 */
export function publishEverything (registry: Registry): void {
  registry.int('requests', { type: 'counter', help: 'Requests served, with "quotes", a \\ backslash\nand a newline.' }).add(7)
  registry.int('jobs_total', { type: 'counter' }).add(2)
  registry.int('queueDepth', { type: 'gauge' }).set(-3)
  registry.float('temperature', { type: 'gauge', help: 'Ünïcödé help ✓' }).set(21.5)
  registry.float('tiny').set(1e-7)
  // A Float refuses non-finite numbers; a function may return them.
  registry.register('not_a_number', () => NaN)
  registry.register('plus_inf', () => Infinity)
  registry.register('minus_inf', () => -Infinity)
  registry.string('build').set('v1 "quoted"')
  const hits = registry.map('hits', { type: 'counter', label: 'route' })
  hits.add('/a', 3)
  hits.add('/quote"back\\slash\nnewline', 1)
  hits.add('ünïcödé ✓', 2)
  hits.add('', 5)
  hits.addFloat('/float', 0.25)
  registry.map('plain_map').add('x', 1)
  registry.func('big', () => 2n ** 70n)
  registry.register('exact', () => 2 ** 60)
  registry.register('pool', () => ({ idle: 2, busy: 1, healthy: true, down: false, name: 'main', list: [1, 2], none: null, nested: { deep: { depth: 3 } } }))
  registry.register({ name: '9lives', value: () => 9 })
  registry.register({ name: 'dotted.name-with spaces', value: () => 1 })
  registry.register({ name: 'colon:name', value: () => 1 })
  registry.register({ name: 'HTTPServerErrors', value: () => 1 })
  registry.register({ name: '__dunder', value: () => 1 })
  registry.register({ name: 'ünïcödé', value: () => 1 })
  // Clashes with dotted.name-with spaces once sanitised: left out, never a second family.
  registry.register({ name: 'dotted_name_with_spaces', value: () => 2 })
  registry.register({ name: 'broken', value: () => { throw new Error('down') } })
  registry.register({ name: 'cycle', value: () => { const o: Record<string, unknown> = { n: 1 }; o.self = o; return o } })
}

// How long a test waits for Prometheus to start, scrape and store before it gives up.
const DEADLINE_MS = 60_000
const POLL_MS = 250

export interface Target { labels: { job: string }, health: string, lastError: string }
export interface Sample { metric: Record<string, string>, value: [number, string] }

export interface PrometheusServer {
  /** The server's HTTP API, `http://127.0.0.1:PORT/api/v1`. */
  readonly api: string
  /** Polls fn until it answers something other than undefined; throws, with the server's log, after the deadline. */
  until: <T>(what: string, fn: () => Promise<T | undefined>) => Promise<T>
  /** The active targets, once every job has been scraped (healthy or not). */
  targets: () => Promise<Target[]>
  /** An instant query's samples, once it has some. */
  query: (q: string) => Promise<Sample[]>
}

/**
 * A real Prometheus server, scraping every second each job's target (`host:port`, at `path`,
 * default /metrics). Killed, and its data removed, at the end of the test.
 */
export async function startPrometheus (t: Test, jobs: readonly { name: string, target: string, path?: string }[]): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'fastify-expvar-prometheus-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const port = await freePort()
  await writeFile(join(dir, 'prometheus.yml'), [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    'scrape_configs:',
    ...jobs.flatMap((job) => [
      `  - job_name: ${job.name}`,
      `    metrics_path: ${job.path ?? '/metrics'}`,
      `    static_configs: [{ targets: ['${job.target}'] }]`
    ])
  ].join('\n'))
  const server = spawn('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn'
  ], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  server.stderr.on('data', (chunk: Buffer) => { log += chunk.toString() })
  t.teardown(() => { server.kill('SIGKILL') })
  const api = `http://127.0.0.1:${port}/api/v1`

  // A try that throws (not listening yet) is tried again.
  const until = async <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> =>
    waitFor(what, fn, { within: DEADLINE_MS, every: POLL_MS, stop: () => server.exitCode === null ? undefined : `prometheus exited ${server.exitCode}` })
      .catch((err: Error) => { throw new Error(`${err.message}; prometheus said: ${log}`) })
  return {
    api,
    until,
    targets: () => until('every target scraped', async () => {
      const body = await (await fetch(`${api}/targets`)).json() as { data: { activeTargets: Target[] } }
      const active = body.data.activeTargets
      return active.length === jobs.length && active.every((a) => a.health !== 'unknown') ? active : undefined
    }),
    query: (q) => until(q, async () => {
      const body = await (await fetch(`${api}/query?query=${encodeURIComponent(q)}`)).json() as { data: { result: Sample[] } }
      return body.data.result.length > 0 ? body.data.result : undefined
    })
  }
}
