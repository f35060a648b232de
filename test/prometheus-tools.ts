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

/** One line naming what is missing and its install: the test is skipped, or fails under CI=true, since CI installs it (.ci/run). */
export function missing (t: Test, line: string): false {
  if (process.env.CI === 'true') t.fail(line)
  else t.skip(line, () => {})
  return false
}

/** Whether the tool is on PATH; when it is not, said as `missing` says. */
export function haveTool (t: Test, tool: 'promtool' | 'prometheus'): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0 || missing(t, `${tool} not found: ${INSTALL}`)
}

// Debian's python3, not whatever python3 is first on PATH (a pyenv shim, say, without the module).
const PYTHON = '/usr/bin/python3'
export const PARSER_INSTALL = 'apt-get install -y --no-install-recommends python3-prometheus-client'

/** Whether the Python reference parsers (prometheus_client, Debian's python3-prometheus-client) can run; when not, said as `missing` says. */
export function haveParser (t: Test): boolean {
  return spawnSync(PYTHON, ['-c', 'import prometheus_client.openmetrics.parser']).status === 0 ||
    missing(t, `${PYTHON} with prometheus_client not found: ${PARSER_INSTALL}`)
}

// Reads stdin with the strict OpenMetrics parser (or the text format's), every family to the end,
// and prints what it read as JSON; a body it refuses is a traceback and exit 1. Bytes decoded as a
// scraper decodes them (sys.stdin's text mode would read a \r in a label as a line break). A value
// as a string that Number() reads: an integer's digits exact, NaN and ±Infinity spelled as JS does.
const PARSE = `
import json, math, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
from prometheus_client.parser import text_string_to_metric_families as text
parse = openmetrics if sys.argv[1] == 'openmetrics' else text
def number(v):
  if isinstance(v, int): return str(v)
  if math.isnan(v): return 'NaN'
  if math.isinf(v): return 'Infinity' if v > 0 else '-Infinity'
  return repr(v)
print(json.dumps([{'name': f.name, 'type': f.type, 'help': f.documentation,
  'samples': [{'name': s.name, 'labels': s.labels, 'value': number(s.value)} for s in f.samples]}
  for f in parse(sys.stdin.buffer.read().decode('utf-8'))]))
`

export interface ParsedFamily {
  name: string
  type: string
  help: string
  samples: { name: string, labels: Record<string, string>, value: string }[]
}

/** A body as the Python reference parser reads it: its families, or what it said when it refused the body. */
export async function parseExposition (body: string, format: 'openmetrics' | 'text'): Promise<{ families: ParsedFamily[], error: string }> {
  const child = spawn(PYTHON, ['-c', PARSE, format], { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let error = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { error += chunk.toString() })
  child.stdin.end(body)
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return code === 0 ? { families: JSON.parse(out) as ParsedFamily[], error } : { families: [], error: error === '' ? `exit ${code}` : error }
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
