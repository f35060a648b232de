// The primary's relay: forwards a worker's request for its siblings' values, and their answers.
import nodeCluster from 'node:cluster'
import type { AggregateWorkersOptions, ExpvarLogger, WorkerAggregator } from '../../types/index.js'
import { FST_EXPVAR_INVALID_OPTION, FST_EXPVAR_NOT_PRIMARY } from '../errors.js'
import { safeLog, WARNING_LOGGER } from '../log.js'
import { describe, MAX_ID, receiveFromWorker, TAG, type ToPrimary, VERSION, versioned, VERSIONS } from './protocol.js'

/** What the relay uses of a worker (node:cluster's Worker). */
export interface RelayWorker {
  readonly id: number
  /** A message of the protocol (protocol.ts); checked by the worker, so typed loosely here. */
  send (message: object, callback: (err: Error | null) => void): boolean
  isConnected (): boolean
}

/** What the relay uses of node:cluster in the primary: its live workers and their events. */
export interface RelayCluster {
  readonly workers?: NodeJS.Dict<RelayWorker>
  on (event: 'message', listener: (worker: RelayWorker, message: unknown) => void): unknown
  on (event: 'exit', listener: (worker: RelayWorker) => void): unknown
  off (event: 'message', listener: (worker: RelayWorker, message: unknown) => void): unknown
  off (event: 'exit', listener: (worker: RelayWorker) => void): unknown
}

/** The plugin instances of one worker that said hello, in the order they did; a version-1 worker has one, unnamed. */
interface Serving {
  /** A version this relay does not speak is kept to say so. */
  readonly version: unknown
  readonly instances: (string | undefined)[]
}

/** Who asked: a worker, the version it speaks, and its instance (undefined in version 1). */
interface Asker {
  readonly worker: RelayWorker
  readonly version: number
  readonly instance: string | undefined
}

/** A relay in flight: who asked, and who has not answered yet. */
interface Pending {
  readonly asker: Asker
  readonly id: string
  readonly waiting: Set<number>
  readonly timer: NodeJS.Timeout
}

type Collect = Extract<ToPrimary, { [TAG]: 'collect' }>

/** A worker's channel closed: its exit event reports it. A message too long to serialize: the asker times out. */
function send (worker: RelayWorker, message: object): void {
  try {
    worker.send(message, () => {})
  } catch {}
}

/**
 * The relay over any cluster-like object; aggregateWorkers() runs it over node:cluster. Every
 * message is checked against its protocol version's schema: one that does not fit is dropped
 * and logged once per worker, so no worker, old or hostile, can stop the relay. The answers are
 * passed on as they came (node:cluster's JSON carries them), checked but not rewritten.
 */
export function relay (cluster: RelayCluster, log: ExpvarLogger = WARNING_LOGGER): WorkerAggregator {
  return new Relay(cluster, log)
}

class Relay implements WorkerAggregator {
  readonly #serving = new Map<number, Serving>()
  readonly #pending = new Map<string, Pending>()
  // The workers whose unfit messages were logged: once each, forgotten when they exit.
  readonly #reported = new Set<number>()
  readonly #cluster: RelayCluster
  readonly #log: ExpvarLogger
  #nextKey = 0
  #stopped = false

  constructor (cluster: RelayCluster, log: ExpvarLogger) {
    this.#cluster = cluster
    this.#log = log
    cluster.on('message', this.#onMessage)
    cluster.on('exit', this.#onExit)
    // Workers forked before this call said hello to nobody: tell them a relay runs now.
    for (const worker of this.#live()) send(worker, { [TAG]: 'relay', v: VERSION, up: true })
  }

  stop (): void {
    if (this.#stopped) return
    this.#stopped = true
    this.#cluster.off('message', this.#onMessage)
    this.#cluster.off('exit', this.#onExit)
    for (const key of [...this.#pending.keys()]) this.#finish(key)
    for (const worker of this.#live()) {
      if (this.#serving.has(worker.id)) send(worker, { [TAG]: 'relay', v: VERSION, up: false })
    }
    this.#serving.clear()
  }

  #live (): RelayWorker[] {
    return Object.values(this.#cluster.workers ?? {})
      .filter((worker): worker is RelayWorker => worker !== undefined && worker.isConnected())
  }

  #finish (key: string): void {
    // Called only for a request still pending.
    clearTimeout((this.#pending.get(key) as Pending).timer)
    this.#pending.delete(key)
  }

  /** A message to the asker in its version, to its instance. */
  #reply (asker: Asker, message: object): void {
    send(asker.worker, versioned(asker.version, asker.instance === undefined ? message : { ...message, to: asker.instance }))
  }

  #drop (worker: RelayWorker, reason: string): void {
    if (this.#reported.has(worker.id)) return
    if (safeLog(this.#log, 'warn', { worker: worker.id, reason }, `expvar: a message from worker ${worker.id} was dropped: ${reason} (said once per worker)`)) this.#reported.add(worker.id)
  }

  #hello (worker: RelayWorker, version: number, instance: string | undefined): void {
    const known = this.#serving.get(worker.id)
    if (known === undefined || known.version !== version) this.#serving.set(worker.id, { version, instances: [instance] })
    else if (!known.instances.includes(instance)) known.instances.push(instance)
  }

  #collect (asker: Asker, message: Collect): void {
    // The asker has given up (this primary was busy): relaying would be work for nobody.
    if (message.deadline !== undefined && Date.now() > message.deadline) return
    this.#hello(asker.worker, asker.version, asker.instance)
    // Instances pair up by the order they joined their worker: the first of each, the second of each, …
    const ordinal = (this.#serving.get(asker.worker.id) as Serving).instances.indexOf(asker.instance)
    const workers = this.#live()
    const siblings = workers.filter((worker) => worker.id !== asker.worker.id && (message.only === undefined || worker.id === message.only))
    const asked: { worker: RelayWorker, version: number, instance: string | undefined }[] = []
    const missing: number[] = []
    const why: [number, string][] = []
    for (const worker of siblings) {
      const sibling = this.#serving.get(worker.id)
      const reason = unable(sibling, ordinal)
      if (reason === undefined) {
        asked.push({ worker, version: (sibling as Serving).version as number, instance: (sibling as Serving).instances[ordinal] })
      } else {
        missing.push(worker.id)
        // Every live worker without the plugin is the usual case, said by `missing` alone.
        if (sibling !== undefined) why.push([worker.id, reason])
      }
    }
    this.#reply(asker, { [TAG]: 'asked', id: message.id, workers: workers.length, asked: asked.map(({ worker }) => worker.id), missing, ...(why.length > 0 && asker.version > 1 ? { why } : {}) })
    if (asked.length === 0) return
    const key = String(++this.#nextKey)
    // The asker stops waiting at its timeout; after it, the relay forgets the request.
    const timer = setTimeout(() => this.#finish(key), message.timeout).unref()
    this.#pending.set(key, { asker, id: message.id, waiting: new Set(asked.map(({ worker }) => worker.id)), timer })
    for (const { worker, version, instance } of asked) {
      // A sibling of an older version has no shares: asked for its values, which the asker writes as its share.
      const share = message.want === 'share' ? (version < 3 ? { want: 'values' as const } : { want: message.want, format: message.format }) : { want: message.want }
      const read = { [TAG]: 'read' as const, key, ...share, vars: message.vars }
      send(worker, versioned(version, version === 1 ? read : { ...read, to: instance, deadline: message.deadline }))
    }
  }

  /** A sibling's answer (or why it has none) to the request `key`, passed to its asker. */
  #answered (worker: RelayWorker, key: string, message: (id: string) => object): void {
    const relayed = this.#pending.get(key)
    if (relayed === undefined || !relayed.waiting.delete(worker.id)) return
    this.#reply(relayed.asker, message(relayed.id))
    if (relayed.waiting.size === 0) this.#finish(key)
  }

  readonly #onMessage = (worker: RelayWorker, raw: unknown): void => {
    const received = receiveFromWorker(raw)
    if (received === undefined) return
    if (!received.fit) {
      this.#drop(worker, received.reason)
      // A worker of a version this relay cannot read is reported to askers, with the reason.
      if ((raw as Record<string, unknown>)[TAG] === 'hello' && (typeof received.version !== 'number' || !VERSIONS.includes(received.version))) this.#serving.set(worker.id, { version: received.version, instances: [] })
      // An unfit answer to a pending read: the asker need not wait for it until the timeout.
      const key = (raw as { key?: unknown }).key
      if (typeof key === 'string' && key.length <= MAX_ID) this.#answered(worker, key, (id) => ({ [TAG]: 'gone', id, worker: worker.id, reason: `its answer did not fit: ${received.reason}` }))
      return
    }
    const { message, version } = received
    const instance = 'instance' in message ? message.instance : undefined
    switch (message[TAG]) {
      case 'hello':
        this.#hello(worker, version, instance)
        send(worker, versioned(version, instance === undefined ? { [TAG]: 'relay', up: true, known: true } : { [TAG]: 'relay', up: true, known: true, to: instance }))
        return
      case 'leave': {
        const known = this.#serving.get(worker.id)
        const at = known?.instances.indexOf(instance) ?? -1
        if (at >= 0) (known as Serving).instances.splice(at, 1)
        if (known?.instances.length === 0) this.#serving.delete(worker.id)
        return
      }
      case 'collect':
        this.#collect({ worker, version, instance }, message)
        return
      default:
        this.#answered(worker, message.key, (id) => ({ [TAG]: 'reading', id, worker: worker.id, answer: message.answer }))
    }
  }

  readonly #onExit = (worker: RelayWorker): void => {
    this.#serving.delete(worker.id)
    this.#reported.delete(worker.id)
    for (const [key, relayed] of this.#pending) {
      if (relayed.asker.worker.id === worker.id) {
        this.#finish(key)
      } else if (relayed.waiting.delete(worker.id)) {
        this.#reply(relayed.asker, { [TAG]: 'gone', id: relayed.id, worker: worker.id })
        if (relayed.waiting.size === 0) this.#finish(key)
      }
    }
  }
}

/** Why a sibling cannot answer the asker's instance: no plugin, another version, or fewer instances. */
function unable (sibling: Serving | undefined, ordinal: number): string | undefined {
  if (sibling === undefined) return 'it has not said hello (no plugin with cluster: true, or not yet started)'
  if (typeof sibling.version !== 'number' || !VERSIONS.includes(sibling.version)) return `it speaks protocol version ${describe(sibling.version)}; this primary speaks ${VERSIONS.join(', ')}`
  if (ordinal >= sibling.instances.length) return `it runs ${sibling.instances.length} plugin instance(s), and the asking one is number ${ordinal + 1} of its worker`
  return undefined
}

const OPTION_KEYS = ['log']

/**
 * Call once in the cluster's primary: relays between the workers that run the plugin with
 * `cluster: true`, over the cluster's IPC channels (no port). Works for workers forked before
 * and after the call. Messages that do not fit the protocol are logged to `log` (default: as
 * process warnings), once per worker.
 */
export function aggregateWorkers (options: AggregateWorkersOptions = {}): WorkerAggregator {
  if (!nodeCluster.isPrimary) throw new FST_EXPVAR_NOT_PRIMARY()
  if (typeof options !== 'object' || options === null) throw new FST_EXPVAR_INVALID_OPTION('aggregateWorkers', 'an object { log }')
  for (const key of Object.keys(options)) if (!OPTION_KEYS.includes(key)) throw new FST_EXPVAR_INVALID_OPTION(`aggregateWorkers.${key}`, 'no such option (it takes { log })')
  const { log = WARNING_LOGGER } = options
  if (typeof log?.warn !== 'function') throw new FST_EXPVAR_INVALID_OPTION('aggregateWorkers.log', 'a logger with warn() (pino, or the app\'s fastify.log)')
  return relay(nodeCluster as unknown as RelayCluster, log)
}
