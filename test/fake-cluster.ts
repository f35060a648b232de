// A fake node:cluster for the in-process cluster tests: workers whose channels deliver asynchronously, as IPC does.
import { EventEmitter } from 'node:events'
import type { RelayWorker } from '../lib/cluster/primary.js'
import type { MemberChannel } from '../lib/cluster/worker.js'
import { waitFor } from './helpers.js'

export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** A fake cluster: workers whose channels deliver asynchronously, as IPC does. */
export class FakeCluster extends EventEmitter {
  workers: Record<number, RelayWorker & { channel: EventEmitter, connected: boolean } | undefined> = {}
  /** Messages sent and not yet delivered, either way. */
  pending = 0

  /** Resolves once every message sent so far, and every answer to it, has been delivered. */
  async settled (): Promise<void> {
    await waitFor('the fake cluster\'s messages delivered', () => this.pending === 0)
  }

  private deliver (send: () => void): void {
    this.pending++
    setImmediate(() => {
      try { send() } finally { this.pending-- }
    })
  }

  fork (id: number): MemberChannel & { channel: EventEmitter } {
    const cluster = this
    const channel = new EventEmitter()
    const worker = {
      id,
      channel,
      connected: true,
      isConnected: () => worker.connected,
      send: (message: unknown, callback: (err: Error | null) => void) => {
        cluster.deliver(() => { if (worker.connected) channel.emit('message', message) })
        callback(null)
        return true
      }
    }
    this.workers[id] = worker
    return {
      id,
      channel,
      send: (message, callback) => {
        cluster.deliver(() => { if (worker.connected) cluster.emit('message', worker, message) })
        callback(worker.connected ? null : new Error('channel closed'))
      },
      on: (event, listener) => channel.on(event, listener),
      off: (event, listener) => channel.off(event, listener)
    }
  }

  kill (id: number): void {
    const worker = this.workers[id]
    if (worker === undefined) return
    worker.connected = false
    delete this.workers[id]
    this.emit('exit', worker)
  }
}
