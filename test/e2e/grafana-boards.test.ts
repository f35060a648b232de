// Two public Grafana boards for Node.js against a real Prometheus that scrapes the plugin, one process and a node:cluster: every PromQL expression they hold has data.
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import Fastify from 'fastify'
import { test } from 'tap'
import expvar from '../../index.js'
import { get, startCluster, traffic } from '../cluster-fixture.js'
import { packedPlugin, root } from '../packed.js'
import { haveTool, missing, type PrometheusServer, startPrometheus } from '../prometheus-tools.js'

// Where CI (and every checkout beside ../shared) has the boards; read at run time, never copied here.
const BOARDS = join(root, '..', 'shared', 'grafana-dashboards')
// Scrapes of each target before the expressions are evaluated: irate() and rate() over
// $__rate_interval (4 scrapes, below) need two samples in their window.
const SCRAPES = 6

// Grafana's interval variables, for a Prometheus data source whose scrape interval is 1 s (as the
// server below): $__interval is never below it, $__rate_interval is max($__interval + 1 s, 4 × 1 s).
const INTERVAL = '1s'
const RATE_INTERVAL = '4s'

/**
 * The expressions broken in the boards themselves, each with the reason: they return nothing
 * against any exporter (prom-client's collectDefaultMetrics() included). Each is asserted to
 * return nothing, and its reason is checked against the board.
 */
const BROKEN: readonly { board: string, where: string, undefinedVariable: string, reason: string }[] = [
  {
    board: 'nodejs-mixin-overview.json',
    where: 'panel "Node.js Restarts"',
    undefinedVariable: 'hostname',
    reason: 'it filters on hostname=~"$hostname", and the board defines no hostname variable: Grafana leaves "$hostname" as it is, a regex no label value matches'
  }
]

interface Expression {
  readonly board: string
  readonly where: string
  readonly expr: string
  readonly variable?: true
}

interface Board {
  readonly file: string
  readonly variables: ReadonlyMap<string, { readonly multi: boolean }>
  readonly expressions: readonly Expression[]
}

interface GrafanaPanel { title?: string, targets?: { expr?: unknown }[], panels?: GrafanaPanel[] }
interface GrafanaBoard {
  panels?: GrafanaPanel[]
  annotations?: { list?: { name?: string, expr?: unknown }[] }
  templating?: { list?: { name: string, type: string, query?: unknown, multi?: boolean, includeAll?: boolean }[] }
}

/** Every PromQL expression of a board: panel targets (rows' nested panels too), annotations, query variables. */
function readBoard (file: string, board: GrafanaBoard): Board {
  const expressions: Expression[] = []
  const visit = (panels: readonly GrafanaPanel[]): void => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (typeof target.expr === 'string' && target.expr !== '') expressions.push({ board: file, where: `panel "${panel.title ?? ''}"`, expr: target.expr })
      }
      visit(panel.panels ?? [])
    }
  }
  visit(board.panels ?? [])
  for (const annotation of board.annotations?.list ?? []) {
    if (typeof annotation.expr === 'string') expressions.push({ board: file, where: `annotation "${annotation.name ?? ''}"`, expr: annotation.expr })
  }
  const variables = new Map<string, { multi: boolean }>()
  for (const variable of board.templating?.list ?? []) {
    variables.set(variable.name, { multi: variable.multi === true || variable.includeAll === true })
    if (variable.type !== 'query') continue
    const query = typeof variable.query === 'string' ? variable.query : (variable.query as { query?: string } | undefined)?.query
    if (typeof query === 'string') expressions.push({ board: file, where: `variable $${variable.name}`, expr: query, variable: true })
  }
  return { file, variables, expressions }
}

async function readBoards (): Promise<Board[]> {
  const files = (await readdir(BOARDS)).filter((file) => file.endsWith('.json')).sort()
  return Promise.all(files.map(async (file) => readBoard(file, JSON.parse(await readFile(join(BOARDS, file), 'utf8')) as GrafanaBoard)))
}

/** Grafana's escape of a value put into a regex matcher by a multi-value or include-all variable. */
function regexEscape (value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}]/g, '\\\\$&')
}

/**
 * The expression as Grafana sends it for one target picked in the dropdowns: $job and $instance
 * its labels, the interval variables as above, $__range the time since the apps started; a
 * variable the board does not define is left as it is, as Grafana leaves it.
 */
function substitute (board: Board, expr: string, picked: Readonly<Record<string, string>>, rangeSeconds: number): string {
  const builtins: Record<string, string> = { __interval: INTERVAL, __rate_interval: RATE_INTERVAL, __range: `${rangeSeconds}s` }
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (text, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string
    if (Object.hasOwn(builtins, name)) return builtins[name] as string
    const variable = board.variables.get(name)
    const value = picked[name]
    if (variable === undefined || value === undefined) return text
    return variable.multi ? regexEscape(value) : value
  })
}

interface Target { readonly job: string, readonly instance: string }

/** Whether an expression has data for the target, as the panel (a range query) or the dropdown (label values) would show it. */
async function hasData (server: PrometheusServer, board: Board, expression: Expression, target: Target, start: number): Promise<boolean> {
  const now = Date.now() / 1000
  if (expression.variable === true) {
    // Grafana's label_values(metric, label): the label's values among the metric's series.
    const [, metric, label] = /^label_values\((\w+),\s*(\w+)\)$/.exec(expression.expr.trim()) ?? []
    if (metric === undefined || label === undefined) throw new Error(`${board.file} ${expression.where}: not a label_values() query: ${expression.expr}`)
    const body = await (await fetch(`${server.api}/label/${label}/values?match[]=${encodeURIComponent(metric)}&start=${start}&end=${now}`)).json() as { data: string[] }
    return body.data.includes(label === 'job' ? target.job : target.instance)
  }
  const query = substitute(board, expression.expr, { job: target.job, instance: target.instance }, Math.ceil(now - start))
  const body = await (await fetch(`${server.api}/query_range?query=${encodeURIComponent(query)}&start=${start}&end=${now}&step=${INTERVAL}`)).json() as { status: string, error?: string, data?: { result: { values: [number, string][] }[] } }
  if (body.status !== 'success') throw new Error(`${board.file} ${expression.where}: ${query}: ${body.error ?? body.status}`)
  return (body.data?.result ?? []).some((series) => series.values.some(([, value]) => Number.isFinite(Number(value))))
}

test('every expression of the public Node.js boards has data from prometheus: true alone, in one process and in a 2-worker cluster', async (t) => {
  if (!existsSync(BOARDS)) {
    missing(t, `the Grafana boards are not at ${BOARDS} (../shared/grafana-dashboards beside the checkout)`)
    return
  }
  if (!haveTool(t, 'prometheus')) return
  const boards = await readBoards()
  const start = Date.now() / 1000

  const app = Fastify()
  await app.register(expvar, { prometheus: true })
  app.get('/work', async () => ({ ok: true }))
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const single = `127.0.0.1:${(app.server.address() as { port: number }).port}`
  const unpacked = await packedPlugin('boards')
  t.teardown(() => unpacked.remove())
  const clusterPort = await startCluster(t, unpacked.entry)
  const targets: Target[] = [{ job: 'single', instance: single }, { job: 'cluster', instance: `127.0.0.1:${clusterPort}` }]
  await traffic(Number(single.split(':')[1]), '/work')
  await traffic(clusterPort, '/hit')

  const server = await startPrometheus(t, targets.map(({ job, instance }) => ({ name: job, target: instance })))
  for (const scraped of await server.targets()) {
    t.equal(scraped.health, 'up', `${scraped.labels.job}: target up`)
    t.equal(scraped.lastError, '', `${scraped.labels.job}: no scrape error`)
  }
  for (const { job } of targets) {
    await server.until(`${SCRAPES} scrapes of ${job}`, async () => {
      const [sample] = await server.query(`count_over_time(up{job="${job}"}[1m])`)
      return Number(sample?.value[1]) >= SCRAPES ? true : undefined
    })
  }

  const all = boards.flatMap((board) => board.expressions.map((expression) => ({ board, expression })))
  const filled = new Map<string, number>(targets.map(({ job }) => [job, 0]))
  for (const { board, expression } of all) {
    const broken = BROKEN.find((b) => b.board === board.file && b.where === expression.where && expression.expr.includes('$' + b.undefinedVariable))
    for (const target of targets) {
      const data = await hasData(server, board, expression, target, start)
      if (data) filled.set(target.job, (filled.get(target.job) as number) + 1)
      if (broken === undefined) {
        t.ok(data, `${target.job}: ${board.file} ${expression.where}: ${expression.expr}`)
      } else {
        t.notOk(data, `${target.job}: ${board.file} ${expression.where} has no data: ${broken.reason}`)
        t.notOk(board.variables.has(broken.undefinedVariable), `${board.file} defines no $${broken.undefinedVariable}`)
        // What the panel means to show, without the filter on the undefined variable, has data.
        const meant = { ...expression, expr: expression.expr.replace(new RegExp(`,?\\s*\\w+=~"\\$${broken.undefinedVariable}"`), '') }
        t.ok(await hasData(server, board, meant, target, start), `${target.job}: ${meant.expr}`)
      }
    }
  }
  t.equal(all.length, 42, 'the boards hold 42 expressions')
  t.equal(BROKEN.length, 1)
  for (const [job, count] of filled) t.equal(count, all.length - BROKEN.length, `${job}: ${count} of ${all.length} expressions have data`)

  // The GC histogram has finite buckets by kind: a quantile over them is a number (it was NaN with +Inf alone).
  for (const { job } of targets) {
    const [sample] = await server.query(`histogram_quantile(0.9, sum by (le) (nodejs_gc_duration_seconds_bucket{job="${job}"}))`)
    const kinds = (await server.query(`nodejs_gc_duration_seconds_count{job="${job}"}`)).map((r) => r.metric.kind)
    t.ok(Number.isFinite(Number(sample?.value[1])), `${job}: the 0.9 quantile of GC pauses is a number (${sample?.value[1]} s; kinds ${kinds.join(', ')})`)
  }

  // The cluster's document adds the workers' GC pauses kind by kind: between the workers' sums read before it and after it.
  const pausesOf = async (query: string): Promise<Record<string, { count: number }>> => (JSON.parse(await get(clusterPort, `/debug/vars?vars=gc${query}`)) as { gc: Record<string, { count: number }> }).gc
  const counted = (docs: Record<string, { count: number }>[], kind: string): number => docs.reduce((n, doc) => n + (doc[kind]?.count ?? 0), 0)
  const before = [await pausesOf('&worker=1'), await pausesOf('&worker=2')]
  const cluster = await pausesOf('')
  const after = [await pausesOf('&worker=1'), await pausesOf('&worker=2')]
  t.ok(Object.keys(cluster).length > 0, `the cluster's document has GC kinds: ${Object.keys(cluster).join(', ')}`)
  for (const [kind, { count }] of Object.entries(cluster)) {
    t.ok(counted(before, kind) <= count && count <= counted(after, kind), `cluster: ${kind} pauses ${count}, the workers' ${counted(before, kind)} before and ${counted(after, kind)} after`)
  }

  // No restart seen where there was none: process_start_time_seconds never changes in a process's life.
  for (const { job } of targets) {
    const body = await (await fetch(`${server.api}/query?query=${encodeURIComponent(`changes(process_start_time_seconds{job="${job}"}[1m])`)}`)).json() as { data: { result: { value: [number, string] }[] } }
    const changes = body.data.result.map((sample) => sample.value[1])
    t.ok(changes.length > 0 && changes.every((value) => value === '0'), `${job}: process_start_time_seconds did not change (changes: ${changes.join(', ')})`)
  }
})
