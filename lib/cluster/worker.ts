// A worker's side of cluster mode: asks the primary's relay for its siblings' values, answers theirs.
import { randomUUID } from 'node:crypto'
import type { ExpvarLogger } from '../../types/index.js'
import type { WireReading } from '../formats/values.js'
import { type Answer, isMessage, type Message, TAG, type Want } from './protocol.js'

/** The answer a request for `W` gets. */
export type AnswerOf<W extends Want> = W extends 'values' ? readonly WireReading[] : string

/** What a worker uses of its IPC channel to the primary (node:process in a cluster worker). */
export interface MemberChannel {
  /** This worker's id (node:cluster's `worker.id`). */
  readonly id: number
  send (message: Message, callback: (err: Error | null) => void): void
  on (event: 'message', listener: (message: unknown) => void): unknown
  off (event: 'message', listener: (message: unknown) => void): unknown
}

/** What one collection gathered: every answering worker's answer, this one's included. */
export interface Collected<A extends Answer = Answer> {
  /** Worker id -> its values, or its own document in Go's format. */
  readonly answers: ReadonlyMap<number, A>
  /** The live workers the relay knows of (1 without a relay). */
  readonly workers: number
  /** The ids of the workers that did not answer in time, sorted. */
  readonly missing: readonly number[]
  /** False when no relay answered: the document is this worker's alone. */
  readonly relay: boolean
}

export interface MemberOptions {
  /** Milliseconds to wait for the siblings, at most. */
  readonly timeout: number
  /** This worker's own values, or document, of the given names. Never rejects for valid names. */
  readonly local: (vars: readonly string[] | undefined, want: Want) => Promise<Answer>
  readonly log: ExpvarLogger & { info (obj: object, msg: string): void }
}

/** A collection waiting for the relay's answers. */
interface Pending {
  readonly answers: Map<number, Answer>
  /** The siblings asked and not yet answered; null until the relay said whom it asked. */
  waiting: Set<number> | null
  workers: number
  readonly missing: Set<number>
  readonly resolve: () => void
}

/** One plugin instance in a worker (or, without a channel, in a process outside a cluster). */
export class ClusterMember {
  readonly #channel: MemberChannel | undefined
  readonly #options: MemberOptions
  readonly #pending = new Map<string, Pending>()
  // Request ids unique to this instance: two instances in one worker share its message events.
  readonly #prefix = randomUUID() + ':'
  #nextId = 0
  /** Whether a relay runs in the primary: unknown until it says so or a collection gets no answer. */
  #relay: boolean | undefined
  readonly #onMessage = (message: unknown): void => this.#receive(message)

  constructor (channel: MemberChannel | undefined, options: MemberOptions) {
    this.#channel = channel
    this.#options = options
    if (channel === undefined) this.#relay = false
  }

  /** This worker's id; 0 outside a cluster. */
  get id (): number {
    return this.#channel?.id ?? 0
  }

  start (): void {
    if (this.#channel === undefined) return
    this.#channel.on('message', this.#onMessage)
    this.#send({ [TAG]: 'hello' })
  }

  stop (): void {
    this.#channel?.off('message', this.#onMessage)
    for (const pending of this.#pending.values()) pending.resolve()
  }

  /** Every worker's values or document (or only `only`'s), waiting at most the timeout. Never rejects. */
  async collect<W extends Want> (want: W, vars: readonly string[] | undefined, only?: number): Promise<Collected<AnswerOf<W>>> {
    const [own, siblings] = await Promise.all([
      only === undefined || only === this.id ? this.#options.local(vars, want) : undefined,
      only === this.id ? undefined : this.#ask(want, vars, only)
    ])
    // Every answer is to this request's `want`: the siblings answer what they were asked.
    const answers = new Map<number, AnswerOf<W>>()
    if (own !== undefined) answers.set(this.id, own as AnswerOf<W>)
    if (siblings === undefined) return { answers, workers: 1, missing: [], relay: this.#relay === true }
    for (const [worker, answer] of siblings.answers) answers.set(worker, answer as AnswerOf<W>)
    return {
      answers,
      workers: siblings.workers,
      missing: [...siblings.missing, ...(siblings.waiting as Set<number>)].sort((a, b) => a - b),
      relay: true
    }
  }

  #ask (want: Want, vars: readonly string[] | undefined, only: number | undefined): Promise<Pending | undefined> {
    if (this.#channel === undefined || this.#relay === false) return Promise.resolve(undefined)
    const id = this.#prefix + String(++this.#nextId)
    const { timeout } = this.#options
    return new Promise((resolve) => {
      const pending: Pending = {
        answers: new Map(),
        waiting: null,
        workers: 1,
        missing: new Set(),
        resolve: () => {
          clearTimeout(timer)
          this.#pending.delete(id)
          if (pending.waiting === null) this.#alone()
          resolve(pending.waiting === null ? undefined : pending)
        }
      }
      // Not unref'd: a scrape waits for it, and it lives at most `timeout` ms.
      const timer = setTimeout(pending.resolve, timeout)
      this.#pending.set(id, pending)
      this.#send({ [TAG]: 'collect', id, want, vars, only, timeout })
    })
  }

  /** No relay answered: this worker answers alone (said once) until one says it runs. */
  #alone (): void {
    this.#relay = false
    this.#options.log.warn({ worker: this.id }, 'expvar: no answer from the primary (does it call aggregateWorkers()?); this worker answers scrapes for itself alone')
  }

  #send (message: Message): void {
    const failed = (err: Error | null): void => {
      if (err !== null) this.#options.log.warn({ worker: this.id, err }, 'expvar: could not reach the primary')
    }
    try {
      // A closed channel (the primary is gone) is reported to the callback, not as a process 'error' event.
      (this.#channel as MemberChannel).send(message, failed)
    } catch (err) {
      // Serializing the message threw (an answer too long for one string): the asker counts this worker missing.
      failed(err as Error)
    }
  }

  #receive (message: unknown): void {
    if (!isMessage(message)) return
    switch (message[TAG]) {
      case 'relay':
        this.#relay = message.up
        // A relay that started after this worker registered has not heard its hello.
        if (message.up && message.known !== true) this.#send({ [TAG]: 'hello' })
        return
      case 'read':
        this.#options.local(message.vars, message.want).then((answer) => this.#send({ [TAG]: 'reading', key: message.key, answer }))
        return
      case 'asked': {
        const pending = this.#pending.get(message.id)
        if (pending === undefined) return
        this.#relay = true
        pending.workers = message.workers
        for (const worker of message.missing) pending.missing.add(worker)
        pending.waiting = new Set(message.asked)
        if (pending.waiting.size === 0) pending.resolve()
        return
      }
      case 'reading':
      case 'gone': {
        if (!('id' in message)) return
        const pending = this.#pending.get(message.id)
        if (pending?.waiting?.delete(message.worker) !== true) return
        if (message[TAG] === 'reading') pending.answers.set(message.worker, message.answer)
        else pending.missing.add(message.worker)
        if (pending.waiting.size === 0) pending.resolve()
      }
    }
  }
}
