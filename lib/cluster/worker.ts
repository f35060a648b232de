// A worker's side of cluster mode: asks the primary's relay for its siblings' values, answers theirs.
import { randomUUID } from 'node:crypto'
import type { ExpvarLogger } from '../../types/index.js'
import type { WireReading } from '../formats/values.js'
import { safeLog } from '../log.js'
import { receiveFromPrimary, TAG, type ToWorker, VERSION, versioned, type Want } from './protocol.js'

/** A worker's answer: its readings for `values`, its document's text for `document`. */
type Answer = readonly WireReading[] | string

/** The answer a request for `W` gets: a share from a sibling of an older version is its values. */
type AnswerOf<W extends Want> = W extends 'values' ? readonly WireReading[] : W extends 'share' ? readonly WireReading[] | string : string

/** What a worker uses of its IPC channel to the primary (node:process in a cluster worker). */
export interface MemberChannel {
  /** This worker's id (node:cluster's `worker.id`). */
  readonly id: number
  /** A message of the protocol (protocol.ts); checked by the primary, so typed loosely here. */
  send (message: object, callback: (err: Error | null) => void): void
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
  /** This worker's own values, share of the format `format` (labelled with `worker`, its id), or document, of the given names. */
  readonly local: (vars: readonly string[] | undefined, want: Want, format: string | undefined, worker: number) => Promise<Answer>
  readonly log: ExpvarLogger & { info (obj: object, msg: string): void }
}

/** A collection waiting for the relay's answers. */
interface Pending {
  readonly want: Want
  readonly answers: Map<number, Answer>
  /** The siblings asked and not yet answered; null until the relay said whom it asked. */
  waiting: Set<number> | null
  workers: number
  readonly missing: Set<number>
  readonly resolve: () => void
}

/**
 * Whether a relay runs in the primary: unknown until it says so (its answer to this instance's
 * hello) or a collection gets no answer at all; down when none answered or it said it stopped.
 */
type RelayState = 'unknown' | 'up' | 'down'

/** A scrape's own document, as a sibling's `?worker=` answer must look: Go's framing. */
function isDocument (text: string): boolean {
  return text.startsWith('{\n') && text.endsWith('}\n')
}

/** One plugin instance in a worker (or, without a channel, in a process outside a cluster). */
export class ClusterMember {
  readonly #channel: MemberChannel | undefined
  readonly #options: MemberOptions
  readonly #pending = new Map<string, Pending>()
  /** This instance's address: two instances in one worker share its message events, and the relay tells them apart. */
  readonly #instance = randomUUID()
  #nextId = 0
  #relay: RelayState
  /** A relay that timed out was reported: said once, until one answers again. */
  #timedOut = false
  #stopped = false
  /** What was logged once: dropped messages per sender, and why a worker could not answer, per worker and reason. */
  readonly #said = new Set<string>()
  readonly #onMessage = (message: unknown): void => this.#receive(message)

  constructor (channel: MemberChannel | undefined, options: MemberOptions) {
    this.#channel = channel
    this.#options = options
    this.#relay = channel === undefined ? 'down' : 'unknown'
  }

  /** This worker's id; 0 outside a cluster. */
  get id (): number {
    return this.#channel?.id ?? 0
  }

  start (): void {
    if (this.#channel === undefined) return
    this.#channel.on('message', this.#onMessage)
    this.#send({ [TAG]: 'hello', v: VERSION, instance: this.#instance })
  }

  stop (): void {
    if (this.#channel === undefined) return
    this.#stopped = true
    this.#channel.off('message', this.#onMessage)
    this.#send({ [TAG]: 'leave', v: VERSION, instance: this.#instance })
    for (const pending of this.#pending.values()) pending.resolve()
  }

  /** Every worker's values, shares of `format` or documents (or only `only`'s), waiting at most the timeout. Never rejects. */
  async collect<W extends Want> (want: W, vars: readonly string[] | undefined, only?: number, format?: string): Promise<Collected<AnswerOf<W>>> {
    const [own, siblings] = await Promise.all([
      only === undefined || only === this.id ? this.#options.local(vars, want, format, this.id) : undefined,
      only === this.id ? undefined : this.#ask(want, vars, only, format)
    ])
    // Every answer is to this request's `want`: the siblings' answers were checked against it.
    const answers = new Map<number, AnswerOf<W>>()
    if (own !== undefined) answers.set(this.id, own as AnswerOf<W>)
    // No relay answered this time (none runs, or it was too late): this document is this worker's alone.
    if (siblings === undefined) return { answers, workers: 1, missing: [], relay: false }
    for (const [worker, answer] of siblings.answers) answers.set(worker, answer as AnswerOf<W>)
    return {
      answers,
      workers: siblings.workers,
      missing: [...siblings.missing, ...(siblings.waiting as Set<number>)].sort((a, b) => a - b),
      relay: true
    }
  }

  #ask (want: Want, vars: readonly string[] | undefined, only: number | undefined, format: string | undefined): Promise<Pending | undefined> {
    if (this.#relay === 'down') {
      // Said again at every scrape while alone: a relay that lost this instance's hello (a stopped
      // and restarted relay, or a message it could not read) answers it and is asked next time.
      if (this.#channel !== undefined) this.#send({ [TAG]: 'hello', v: VERSION, instance: this.#instance })
      return Promise.resolve(undefined)
    }
    // Unique to this instance: a version-1 relay does not address instances, and both see every answer.
    const id = `${this.#instance}:${++this.#nextId}`
    const { timeout } = this.#options
    const started = Date.now()
    return new Promise((resolve) => {
      const pending: Pending = {
        want,
        answers: new Map(),
        waiting: null,
        workers: 1,
        missing: new Set(),
        resolve: () => {
          clearTimeout(timer)
          this.#pending.delete(id)
          if (pending.waiting === null && !this.#stopped) this.#unanswered(Date.now() - started)
          resolve(pending.waiting === null ? undefined : pending)
        }
      }
      // Not unref'd: a scrape waits for it, and it lives at most `timeout` ms.
      const timer = setTimeout(pending.resolve, timeout)
      this.#pending.set(id, pending)
      // The deadline lets the relay and the siblings skip a request the asker no longer waits for.
      this.#send({ [TAG]: 'collect', v: VERSION, instance: this.#instance, id, want, format, vars, only, timeout, deadline: started + timeout })
    })
  }

  /**
   * No relay said whom it asked before the timeout: this scrape answers for this worker alone.
   * A relay that answered before is asked again at the next scrape (a busy primary, or this
   * worker's own event loop blocked past the timeout); one never heard of is taken to be absent
   * until it says it runs (it answers this instance's hello whenever it gets to it).
   */
  #unanswered (elapsed: number): void {
    const { timeout, log } = this.#options
    const blocked = elapsed > timeout + Math.max(100, timeout / 2)
    if (this.#relay === 'unknown' && !blocked) {
      this.#relay = 'down'
      log.warn({ worker: this.id, timeout }, `expvar: no relay answered within ${timeout} ms and none has said it runs (does the primary call aggregateWorkers()?); this worker answers scrapes for itself alone until one does`)
      return
    }
    if (this.#timedOut) return
    this.#timedOut = true
    const cause = blocked
      ? `this worker's event loop was blocked: the wait took ${elapsed} ms`
      : 'the primary\'s event loop was busy, or its relay stopped'
    log.warn({ worker: this.id, timeout, elapsed }, `expvar: the relay did not answer within ${timeout} ms (${cause}); this scrape answers for this worker alone, and the next one asks again`)
  }

  #send (message: object): void {
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

  /** Logs once per key: a hostile or mismatched peer cannot flood the log. */
  #once (key: string, obj: Record<string, unknown>, msg: string): void {
    if (this.#said.has(key)) return
    if (safeLog(this.#options.log, 'warn', { worker: this.id, ...obj }, msg)) this.#said.add(key)
  }

  #receive (raw: unknown): void {
    const received = receiveFromPrimary(raw)
    if (received === undefined) return
    if (!received.fit) {
      this.#once('dropped', { version: received.version, reason: received.reason }, `expvar: a message from the primary was dropped: ${received.reason} (said once)`)
      return
    }
    const { message, version } = received
    // Version 2 addresses an instance; a version-1 relay addresses the worker, and any instance answers.
    if (message.to !== undefined && message.to !== this.#instance) return
    switch (message[TAG]) {
      case 'relay':
        this.#relay = message.up ? 'up' : 'down'
        // A relay that started after this worker registered has not heard its hello.
        if (message.up && message.known !== true) this.#send({ [TAG]: 'hello', v: VERSION, instance: this.#instance })
        return
      case 'read':
        this.#read(message, version)
        return
      case 'asked':
        this.#asked(message)
        return
      default:
        this.#answered(message)
    }
  }

  #read (message: Extract<ToWorker, { [TAG]: 'read' }>, version: number): void {
    // The asker stopped waiting: an answer would be work for nobody (a backlog after a stall).
    if (message.deadline !== undefined && Date.now() > message.deadline) return
    this.#options.local(message.vars, message.want, message.format, this.id).then(
      (answer) => this.#send(versioned(version, { [TAG]: 'reading', key: message.key, answer })),
      // The scrape core never rejects for names; if it did, the asker counts this worker missing.
      (err: unknown) => this.#once('local', { err }, 'expvar: this worker could not read its own values for a sibling')
    )
  }

  #asked (message: Extract<ToWorker, { [TAG]: 'asked' }>): void {
    const pending = this.#pending.get(message.id)
    if (pending === undefined || pending.waiting !== null) return
    this.#relay = 'up'
    this.#timedOut = false
    pending.workers = message.workers
    for (const worker of message.missing) pending.missing.add(worker)
    for (const [worker, reason] of message.why ?? []) {
      this.#once(`why ${worker} ${reason}`, { sibling: worker, reason }, `expvar: worker ${worker} is missing from this worker's cluster scrapes: ${reason} (said once)`)
    }
    pending.waiting = new Set(message.asked)
    if (pending.waiting.size === 0) pending.resolve()
  }

  #answered (message: Extract<ToWorker, { [TAG]: 'reading' | 'gone' }>): void {
    const pending = this.#pending.get(message.id)
    if (pending?.waiting?.delete(message.worker) !== true) return
    if (message[TAG] === 'gone') {
      pending.missing.add(message.worker)
      if (message.reason !== undefined) this.#once(`why ${message.worker} ${message.reason}`, { sibling: message.worker, reason: message.reason }, `expvar: worker ${message.worker} is missing from this worker's cluster scrapes: ${message.reason} (said once)`)
    } else if (typeof message.answer === 'string' ? (pending.want === 'document' && isDocument(message.answer)) || pending.want === 'share' : pending.want !== 'document') {
      pending.answers.set(message.worker, message.answer as Answer)
    } else {
      pending.missing.add(message.worker)
      this.#once(`shape ${message.worker}`, { sibling: message.worker, want: pending.want }, `expvar: worker ${message.worker}'s answer is not its ${pending.want}: it is missing from the scrapes it answers so (said once)`)
    }
    if (pending.waiting.size === 0) pending.resolve()
  }
}
