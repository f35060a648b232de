// Cluster mode in a worker: joins the relay, and scrapes the whole cluster in any format.
import nodeCluster from 'node:cluster'
import type { FastifyInstance } from 'fastify'
import type { ExpvarLogger } from '../../types/index.js'
import type { CoreFormat, Fail, PerWorker, Reading, Share } from '../format.js'
import { type BuiltinFaces, type MetricFamily, single } from '../families.js'
import { expositionFormat, expositionId } from '../formats/exposition/format.js'
import { ExpvarDocument, ExpvarFormat } from '../formats/expvar.js'
import { fromWire, VALUES_FORMAT, type WireReading } from '../formats/values.js'
import { safeLog, WARNING_LOGGER } from '../log.js'
import { NO_META } from '../meta.js'
import type { Registry } from '../registry.js'
import { aggregate, type Skipped } from './aggregate.js'
import { ClusterMember, type Collected, type MemberChannel, type MemberOptions } from './worker.js'

/** The cluster's own var: how many workers there are and which did not answer. */
const CLUSTER_VAR = 'cluster'

interface ClusterOptions {
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

/** The options of one scrape of the cluster: the registry's, and `worker` for one worker's own document. */
interface ClusterScrapeOptions {
  readonly vars?: readonly string[] | undefined
  readonly log: ExpvarLogger
  /** A worker's id: that worker's own document as it wrote it, whatever the format (undefined when it did not answer). */
  readonly worker?: number | undefined
}

/**
 * This instance in cluster mode: its member of the relay, and the cluster as a second scraper.
 * `scrape(format)` gathers every worker's readings and feeds them to the format's own writer, as
 * the registry feeds its own: combined as the format says (the document aggregates, the
 * exposition labels each worker's samples), a reading the writer fails logged once.
 */
export class Cluster {
  readonly member: ClusterMember
  readonly #builtins: ReadonlyMap<string, BuiltinFaces>
  // The vars left out of the cluster's scrapes, by format: logged once, until a scrape writes them again.
  readonly #failing = new Map<string, Set<string>>()
  // The formats of document() and metrics(), kept as the registry keeps its own.
  readonly #document = new ExpvarFormat()
  readonly #expositions = new Map<string, CoreFormat<string>>()
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

  /** One scrape of the whole cluster in a format; with `worker`, that worker's own document. Rejects, never throws. */
  async scrape<T> (format: CoreFormat<T>, options: ClusterScrapeOptions): Promise<T | string | undefined> {
    const { vars, log, worker } = options
    if (worker !== undefined) return (await this.member.collect('document', vars, worker)).answers.get(worker)
    const failing = this.#failing.get(format.id) ?? new Set<string>()
    this.#failing.set(format.id, failing)
    const failed = new Set<string>()
    const fail: Fail = (reading, err) => {
      failed.add(reading.name)
      if (failing.has(reading.name)) return
      if (safeLog(log, 'error', { var: reading.name, worker: (reading as Reading).labels?.worker, err }, `expvar: "${reading.name}" is left out of the cluster's scrape until it recovers`)) failing.add(reading.name)
    }
    const body = format.perWorker === undefined ? await this.#aggregatedBody(format, vars, fail) : await this.#combined(format.id, format.perWorker, vars, fail, log)
    for (const name of failing) if (!failed.has(name)) failing.delete(name)
    return body
  }

  /** The workers' values aggregated, one reading per name, and fed to the format's writer. */
  async #aggregatedBody<T> (format: CoreFormat<T>, vars: readonly string[] | undefined, fail: Fail): Promise<T> {
    const readings = this.#aggregated(await this.member.collect('values', vars), vars)
    const writer = format.open(fail)
    for (const reading of readings) {
      try {
        writer.add(reading)
      } catch (err) {
        fail(reading, err)
      }
    }
    return writer.end()
  }

  /**
   * Every worker's share of the format, combined by the format: a share that does not fit is
   * left out, its worker counted missing and warned once; an older worker's values are written
   * as its share here. Then the `cluster` var's families.
   */
  async #combined (id: string, perWorker: PerWorker, vars: readonly string[] | undefined, fail: Fail, log: ExpvarLogger): Promise<string> {
    const collected = await this.member.collect('share', vars, undefined, id)
    const shares: Share[] = []
    const missing = [...collected.missing]
    for (const [worker, answer] of [...collected.answers].sort((a, b) => a[0] - b[0])) {
      const label = String(worker)
      const share = typeof answer === 'string'
        ? perWorker.read(label, answer)
        : perWorker.labelled(label, answer.filter((wire) => wire.name !== CLUSTER_VAR).map((wire) => ({ ...fromWire(wire), builtin: this.#builtins.get(wire.name) })))
      if (share !== undefined) {
        shares.push(share)
      } else {
        missing.push(worker)
        if (!this.#skipWarned.has(`share ${worker}`) && safeLog(log, 'warn', { sibling: worker }, `expvar: worker ${worker}'s share of the scrape does not fit the format: it is missing from the scrapes it answers so (said once)`)) this.#skipWarned.add(`share ${worker}`)
      }
    }
    const value = infoOf({ ...collected, missing: missing.sort((a, b) => a - b) })
    const answered = { ...value, answered: shares.length }
    const families = (): MetricFamily[] => clusterFamilies(perWorker.namespace, answered)
    return perWorker.combine(shares, [{ name: CLUSTER_VAR, kind: 'custom', meta: NO_META, value: answered, builtin: { families } }], fail)
  }

  /**
   * The cluster's document as text: every answering worker's values combined by the aggregation
   * rules, in the single-process shape, with the `cluster` var (unless `vars` leaves it out); with
   * `worker`, that worker's own document, undefined when it did not answer.
   */
  async document (vars: readonly string[] | undefined, worker: number | undefined, log: ExpvarLogger = this.#log): Promise<string | undefined> {
    const body = await this.scrape(this.#document, { vars, worker, log })
    return body instanceof ExpvarDocument ? body.text() : body
  }

  /**
   * The whole cluster in Prometheus text or OpenMetrics: every worker's samples with a `worker`
   * label, not summed (Prometheus sums, and sees each worker's counter resets), one family per
   * name; then the `cluster` var's gauges. A worker that did not answer has no samples.
   */
  async metrics (options: { readonly openmetrics: boolean, readonly namespace: string, readonly log: ExpvarLogger }): Promise<string> {
    const { openmetrics, namespace, log } = options
    const id = `${openmetrics ? 'openmetrics' : 'prometheus'}:${namespace}`
    let format = this.#expositions.get(id)
    if (format === undefined) {
      format = expositionFormat(openmetrics, namespace)
      this.#expositions.set(id, format)
    }
    return await this.scrape(format, { log }) as string
  }

  /** One reading per name, combined from the workers that have it, and the `cluster` var. */
  #aggregated (collected: Collected<readonly WireReading[]>, vars: readonly string[] | undefined): Reading[] {
    const workers = [...collected.answers].map(([worker, wire]) => ({ worker, readings: wire.map(fromWire) }))
    const readings: Reading[] = []
    for (const { name, kind, meta, value, text } of aggregate(workers, this.#builtins, this.#skipped)) {
      if (name !== CLUSTER_VAR) {
        // A histogram's text is a HistogramVar's, byte for byte: the document pastes it as it pastes a var's own.
        const own = text === undefined ? undefined : { value: () => value, string: () => text }
        readings.push({ name, kind, meta, value, builtin: this.#builtins.get(name), var: own })
      }
    }
    if (vars === undefined || vars.includes(CLUSTER_VAR)) {
      readings.push({ name: CLUSTER_VAR, kind: 'custom', meta: NO_META, value: infoOf(collected), builtin: undefined })
      readings.sort((a, b) => a.name < b.name ? -1 : 1)
    }
    return readings
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

/**
 * What a worker answers from registry: values for the cluster's document, its share of an
 * exposition format for the metrics (its values for a format it does not know), its document
 * itself for `?worker=`. The formats asked for are kept, so that each share reuses its last text.
 */
export function answersOf (registry: Registry): MemberOptions['local'] {
  const formats = new Map<string, PerWorker>()
  const shareOf = (id: string, worker: number): CoreFormat<string> | undefined => {
    let perWorker = formats.get(id)
    if (perWorker === undefined) {
      const known = expositionId(id)
      if (known === undefined) return undefined
      // Ids come from siblings' requests: a few formats in practice, never more than a handful kept.
      if (formats.size >= 16) formats.clear()
      perWorker = expositionFormat(known.openmetrics, known.namespace).perWorker as PerWorker
      formats.set(id, perWorker)
    }
    return perWorker.share(String(worker))
  }
  return (vars, want, format, worker) => {
    if (want === 'document') return registry.document({ vars })
    const share = want === 'share' && format !== undefined ? shareOf(format, worker) : undefined
    return share === undefined ? registry.scrape(VALUES_FORMAT, { vars }) : registry.scrape(share, { vars })
  }
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
