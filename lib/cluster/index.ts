// Cluster mode in a worker: joins the relay, and turns the workers' documents into the cluster's.
import nodeCluster from 'node:cluster'
import type { FastifyInstance } from 'fastify'
import { frame } from '../formats/expvar.js'
import { quote, writeJSON } from '../json.js'
import type { Registry } from '../../types/index.js'
import { aggregate, type WorkerReadings } from './aggregate.js'
import { ClusterMember, type Collected, type MemberChannel } from './worker.js'

/** The cluster's own var: how many workers there are and which did not answer. */
export const CLUSTER_VAR = 'cluster'

export interface ClusterOptions {
  readonly timeout: number
}

/**
 * This instance's member of the cluster, answering its siblings from `registry`. Outside a
 * cluster worker it answers for this process alone (said once, at info level).
 */
export function joinCluster (fastify: FastifyInstance, registry: Registry, options: ClusterOptions, cluster: { readonly worker?: { readonly id: number } } = nodeCluster, proc: IpcProcess = process): ClusterMember {
  const channel = processChannel(cluster, proc)
  if (channel === undefined) fastify.log.info('expvar: cluster is on but this process is not a node:cluster worker; it answers for itself alone')
  const member = new ClusterMember(channel, {
    timeout: options.timeout,
    local: (vars) => registry.document({ vars }),
    log: fastify.log
  })
  member.start()
  fastify.addHook('onClose', async () => member.stop())
  return member
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

function readingsOf (worker: number, text: string): WorkerReadings {
  const document = JSON.parse(text) as Record<string, unknown>
  return { worker, readings: Object.keys(document).map((name) => ({ name, value: document[name] })) }
}

/**
 * The cluster's document: every answering worker's values combined by the aggregation rules, in
 * the single-process shape, with the `cluster` var (unless `vars` leaves it out).
 */
export function clusterDocument (collected: Collected, vars: readonly string[] | undefined, builtins: ReadonlySet<string>): string {
  const workers = [...collected.texts].map(([worker, text]) => readingsOf(worker, text))
  const readings = aggregate(workers, builtins).filter((reading) => reading.name !== CLUSTER_VAR)
  if (vars === undefined || vars.includes(CLUSTER_VAR)) {
    const value = { workers: collected.workers, answered: collected.texts.size, missing: collected.missing, relay: collected.relay }
    readings.push({ name: CLUSTER_VAR, value })
    readings.sort((a, b) => a.name < b.name ? -1 : 1)
  }
  return frame(readings.map((reading) => quote(reading.name) + ': ' + writeJSON(reading.value)))
}

/**
 * What the route sends in cluster mode: the cluster's document, or with `worker` that worker's
 * own document as it wrote it; undefined when that worker did not answer.
 */
export async function clusterBody (member: ClusterMember, builtins: ReadonlySet<string>, vars: readonly string[] | undefined, worker: number | undefined): Promise<string | undefined> {
  const collected = await member.collect(vars, worker)
  if (worker !== undefined) return collected.texts.get(worker)
  return clusterDocument(collected, vars, builtins)
}
