// The primary's relay: forwards a worker's request for its siblings' values, and their answers.
import nodeCluster from 'node:cluster'
import type { WorkerAggregator } from '../../types/index.js'
import { FST_EXPVAR_NOT_PRIMARY } from '../errors.js'
import { isMessage, type Message, TAG } from './protocol.js'

/** What the relay uses of a worker (node:cluster's Worker). */
export interface RelayWorker {
  readonly id: number
  send (message: Message, callback: (err: Error | null) => void): boolean
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

/** A relay in flight: who asked, and who has not answered yet. */
interface Pending {
  readonly asker: RelayWorker
  readonly id: string
  readonly waiting: Set<number>
  readonly timer: NodeJS.Timeout
}

// A failed send means the worker's channel closed: its exit event reports it.
function ignore (): void {}

/**
 * The relay over any cluster-like object; aggregateWorkers() runs it over node:cluster. It passes
 * answers on without looking into them: node:cluster's JSON serialization carries the workers'
 * values (formats/values.ts makes them JSON-safe), so the primary needs no setup of its own.
 */
export function relay (cluster: RelayCluster): WorkerAggregator {
  // The workers that said hello: those with the plugin. A worker without it is never asked.
  const serving = new Set<number>()
  const pending = new Map<string, Pending>()
  const live = (): RelayWorker[] => Object.values(cluster.workers ?? {})
    .filter((worker): worker is RelayWorker => worker !== undefined && worker.isConnected())

  const finish = (key: string): void => {
    // Called only for a request still pending.
    clearTimeout((pending.get(key) as Pending).timer)
    pending.delete(key)
  }

  const collect = (asker: RelayWorker, message: Extract<Message, { [TAG]: 'collect' }>): void => {
    const workers = live()
    const siblings = workers.filter((worker) => worker.id !== asker.id && (message.only === undefined || worker.id === message.only))
    const asked = siblings.filter((worker) => serving.has(worker.id))
    const missing = siblings.filter((worker) => !serving.has(worker.id)).map((worker) => worker.id)
    asker.send({ [TAG]: 'asked', id: message.id, workers: workers.length, asked: asked.map((worker) => worker.id), missing }, ignore)
    if (asked.length === 0) return
    const key = `${asker.id}:${message.id}`
    // The asker stops waiting at its timeout; after it, the relay forgets the request.
    const timer = setTimeout(() => finish(key), message.timeout).unref()
    pending.set(key, { asker, id: message.id, waiting: new Set(asked.map((worker) => worker.id)), timer })
    for (const worker of asked) worker.send({ [TAG]: 'read', key, want: message.want, vars: message.vars }, ignore)
  }

  const onMessage = (worker: RelayWorker, message: unknown): void => {
    if (!isMessage(message)) return
    switch (message[TAG]) {
      case 'hello':
        serving.add(worker.id)
        worker.send({ [TAG]: 'relay', up: true, known: true }, ignore)
        return
      case 'collect':
        collect(worker, message)
        return
      case 'reading': {
        if (!('key' in message)) return
        const relayed = pending.get(message.key)
        if (relayed === undefined || !relayed.waiting.delete(worker.id)) return
        relayed.asker.send({ [TAG]: 'reading', id: relayed.id, worker: worker.id, answer: message.answer }, ignore)
        if (relayed.waiting.size === 0) finish(message.key)
      }
    }
  }

  const onExit = (worker: RelayWorker): void => {
    serving.delete(worker.id)
    for (const [key, relayed] of pending) {
      if (relayed.asker.id === worker.id) {
        finish(key)
      } else if (relayed.waiting.delete(worker.id)) {
        relayed.asker.send({ [TAG]: 'gone', id: relayed.id, worker: worker.id }, ignore)
        if (relayed.waiting.size === 0) finish(key)
      }
    }
  }

  cluster.on('message', onMessage)
  cluster.on('exit', onExit)
  // Workers forked before this call said hello to nobody: tell them a relay runs now.
  for (const worker of live()) worker.send({ [TAG]: 'relay', up: true }, ignore)

  let stopped = false
  return {
    stop () {
      if (stopped) return
      stopped = true
      cluster.off('message', onMessage)
      cluster.off('exit', onExit)
      for (const key of [...pending.keys()]) finish(key)
      for (const worker of live()) {
        if (serving.has(worker.id)) worker.send({ [TAG]: 'relay', up: false }, ignore)
      }
      serving.clear()
    }
  }
}

/**
 * Call once in the cluster's primary: relays between the workers that run the plugin with
 * `cluster: true`, over the cluster's IPC channels (no port). Works for workers forked before
 * and after the call.
 */
export function aggregateWorkers (): WorkerAggregator {
  if (!nodeCluster.isPrimary) throw new FST_EXPVAR_NOT_PRIMARY()
  return relay(nodeCluster as unknown as RelayCluster)
}
