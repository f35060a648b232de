// Cluster mode in a worker: joins the relay, and turns the workers' values into the cluster's document and metrics.
import nodeCluster from 'node:cluster'
import type { FastifyInstance } from 'fastify'
import type { ExpvarLogger } from '../../types/index.js'
import { type BuiltinFaces, type MetricFamily, single } from '../families.js'
import { type ExpositionReading, writeExposition } from '../formats/exposition/writer.js'
import { frame } from '../formats/expvar.js'
import { fromWire, VALUES_FORMAT, type ValueReading, type WireReading } from '../formats/values.js'
import { quote, writeJSON } from '../json.js'
import { safeLog, WARNING_LOGGER } from '../log.js'
import { NO_META } from '../meta.js'
import type { Registry } from '../registry.js'
import { aggregate, type Skipped } from './aggregate.js'
import { ClusterMember, type Collected, type MemberChannel, type MemberOptions } from './worker.js'

/** The cluster's own var: how many workers there are and which did not answer. */
export const CLUSTER_VAR = 'cluster'

export interface ClusterOptions {
  readonly timeout: number
}

/** The `cluster` var's value. */
interface ClusterInfo {
  readonly workers: number
  readonly answered: number
  readonly missing: readonly number[]
  readonly relay: boolean
}

function infoOf (collected: Collected): ClusterInfo {
  return { workers: collected.workers, answered: collected.answers.size, missing: collected.missing, relay: collected.relay }
}

/** A worker's reading in the cluster's metrics: its samples carry the worker's id. */
interface LabelledReading extends ValueReading {
  readonly labels?: ExpositionReading['labels']
  readonly builtin: ExpositionReading['builtin']
}

/**
 * The `cluster` var in the exposition formats: gauges of the workers and of those that answered,
 * so that a missing worker (its samples absent) shows; `missing` is a list and has no sample.
 */
function clusterFamilies (namespace: string, info: ClusterInfo): MetricFamily[] {
  const name = namespace === '' ? CLUSTER_VAR : `${namespace}_${CLUSTER_VAR}`
  return [
    single(`${name}_workers`, 'gauge', 'The live workers of the cluster.', info.workers),
    single(`${name}_answered`, 'gauge', 'The workers whose samples are in this scrape.', info.answered),
    single(`${name}_relay`, 'gauge', '1 when the primary relays (aggregateWorkers()), 0 when this worker answers alone.', info.relay ? 1 : 0)
  ]
}

/** This instance in cluster mode: its member of the relay, and the cluster's document and metrics. */
export class Cluster {
  readonly member: ClusterMember
  readonly #builtins: ReadonlyMap<string, BuiltinFaces>
  // The exposition's sanitised names, kept across scrapes as the registry's formats keep theirs.
  readonly #names = new Map<string, string>()
  // The vars left out of the cluster's metrics: logged once, until a scrape writes them again.
  readonly #failing = new Set<string>()
  readonly #log: ExpvarLogger
  // The histograms some worker's values of were left out of the document (other bounds): warned once each.
  readonly #skipWarned = new Set<string>()

  constructor (member: ClusterMember, builtins: ReadonlyMap<string, BuiltinFaces>, log: ExpvarLogger = WARNING_LOGGER) {
    this.member = member
    this.#builtins = builtins
    this.#log = log
  }

  /** A histogram's workers whose bounds differ from the lowest worker's: warned once per var. */
  readonly #skipped: Skipped = (name, workers) => {
    if (this.#skipWarned.has(name)) return
    if (safeLog(this.#log, 'warn', { var: name, workers }, `expvar: histogram "${name}" has other bucket bounds in worker ${workers.join(', ')} than in the lowest-numbered worker; their counts are left out of the cluster's`)) this.#skipWarned.add(name)
  }

  /**
   * What the document route sends: the cluster's document, or with `worker` that worker's own
   * document as it wrote it; undefined when that worker did not answer.
   */
  async document (vars: readonly string[] | undefined, worker: number | undefined): Promise<string | undefined> {
    if (worker !== undefined) return (await this.member.collect('document', vars, worker)).answers.get(worker)
    return clusterDocument(await this.member.collect('values', vars), vars, this.#builtins, this.#skipped)
  }

  /**
   * The whole cluster in Prometheus text or OpenMetrics: every worker's samples with a `worker`
   * label, not summed (Prometheus sums, and sees each worker's counter resets), one family per
   * name; then the `cluster` var's gauges. A worker that did not answer has no samples.
   */
  async metrics (options: { readonly openmetrics: boolean, readonly namespace: string, readonly log: ExpvarLogger }): Promise<string> {
    const { openmetrics, namespace, log } = options
    const collected = await this.member.collect('values', undefined)
    const readings: LabelledReading[] = []
    for (const [worker, wire] of [...collected.answers].sort((a, b) => a[0] - b[0])) {
      const labels = { worker: String(worker) }
      for (const reading of wire) {
        if (reading.name !== CLUSTER_VAR) readings.push({ ...fromWire(reading), labels, builtin: this.#builtins.get(reading.name) })
      }
    }
    const value = infoOf(collected)
    const info: LabelledReading = { name: CLUSTER_VAR, kind: 'custom', meta: NO_META, value, builtin: { families: () => clusterFamilies(namespace, value) } }
    readings.push(info)
    // Stable: each name's readings stay in worker order, so its family lists the workers in order.
    readings.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    const failed = new Set<string>()
    const body = writeExposition(readings, {
      openmetrics,
      namespace,
      names: this.#names,
      fail: (reading, err) => {
        failed.add(reading.name)
        if (this.#failing.has(reading.name)) return
        if (safeLog(log, 'error', { var: reading.name, worker: reading.labels?.worker, err }, `expvar: "${reading.name}" is left out of the cluster's metrics until it recovers`)) this.#failing.add(reading.name)
      }
    })
    for (const name of this.#failing) if (!failed.has(name)) this.#failing.delete(name)
    return body
  }
}

/**
 * This instance's member of the cluster, answering its siblings from `registry`. Outside a
 * cluster worker it answers for this process alone (said once, at info level).
 */
export function joinCluster (fastify: FastifyInstance, registry: Registry, options: ClusterOptions, builtins: ReadonlyMap<string, BuiltinFaces>, cluster: { readonly worker?: { readonly id: number } } = nodeCluster, proc: IpcProcess = process): Cluster {
  const channel = processChannel(cluster, proc)
  if (channel === undefined) fastify.log.info('expvar: cluster is on but this process is not a node:cluster worker; it answers for itself alone')
  const member = new ClusterMember(channel, { timeout: options.timeout, local: answersOf(registry), log: fastify.log })
  member.start()
  fastify.addHook('onClose', async () => member.stop())
  return new Cluster(member, builtins, fastify.log)
}

/** What a worker answers from registry: values for the cluster's document and metrics, its document itself for `?worker=`. */
export function answersOf (registry: Registry): MemberOptions['local'] {
  return (vars, want) => want === 'values' ? registry.scrape(VALUES_FORMAT, { vars }) : registry.document({ vars })
}

/** This process's IPC channel to the cluster's primary; undefined outside a cluster worker. */
function processChannel (cluster: { readonly worker?: { readonly id: number } }, proc: IpcProcess): MemberChannel | undefined {
  const worker = cluster.worker
  if (worker === undefined) return undefined
  return {
    id: worker.id,
    send: (message, callback) => { proc.send?.(message, undefined, {}, callback) },
    on: (event, listener) => proc.on(event, listener),
    off: (event, listener) => proc.off(event, listener)
  }
}

/** What a worker uses of node:process: its IPC channel's send and message events. */
export interface IpcProcess {
  send?: (message: unknown, handle: undefined, options: object, callback: (err: Error | null) => void) => boolean
  on (event: 'message', listener: (message: unknown) => void): unknown
  off (event: 'message', listener: (message: unknown) => void): unknown
}

/**
 * The cluster's document: every answering worker's values combined by the aggregation rules, in
 * the single-process shape, with the `cluster` var (unless `vars` leaves it out).
 */
export function clusterDocument (collected: Collected<readonly WireReading[]>, vars: readonly string[] | undefined, builtins: ReadonlyMap<string, BuiltinFaces>, skipped?: Skipped): string {
  const workers = [...collected.answers].map(([worker, wire]) => ({ worker, readings: wire.map(fromWire) }))
  const readings = aggregate(workers, builtins, skipped).filter((reading) => reading.name !== CLUSTER_VAR)
  if (vars === undefined || vars.includes(CLUSTER_VAR)) {
    readings.push({ name: CLUSTER_VAR, value: infoOf(collected) })
    readings.sort((a, b) => a.name < b.name ? -1 : 1)
  }
  return frame(readings.map((reading) => quote(reading.name) + ': ' + writeJSON(reading.value)))
}
