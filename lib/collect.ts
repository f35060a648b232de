// One scrape, format-neutral: pulls every registration (sync or async, within the timeout),
// combines same-name values and logs failures once, then hands the readings to a format's writer.
import { setImmediate as turn } from 'node:timers/promises'
import type * as api from '../types/index.js'
import type { ExpvarLogger, Fail, Format, Var, VarKind, VarMeta, Writer } from '../types/index.js'
import type { BuiltinFaces, Families } from './families.js'
import { safeLog } from './log.js'
import { isPlainObject, mergeObjects } from './merge.js'

// The format types are public (types/); lib's formats take them from here with the core's own.
export type { Fail, Format, VarKind, Writer }

/**
 * A scrape's reading of one name, with the families of the builtin it is (undefined for an
 * ordinary var, which each format maps by its own rules).
 */
export interface Reading extends api.Reading {
  readonly builtin: { readonly families: Families } | undefined
  /**
   * The var itself, for a format that reads self-rendering vars itself (`readsVars`): one
   * registration of a var that is not a function. Its value is then not pulled (undefined).
   */
  readonly var?: Var | undefined
  /** Constant labels of every sample the reading gives: a cluster's `worker`, for a format that labels per worker. */
  readonly labels?: Readonly<Record<string, string>> | undefined
}

/**
 * A scrape of more vars than this is read, and written where its format can (`open`), this many
 * vars at a time, yielding to the event loop between slices: a large document does not hold the
 * loop for its whole duration. Documented in the README.
 */
export const SLICE = 500

/** A writer's body with every reading added, in order. */
export function writeEach<R, T> (writer: { add (reading: R): void, end (): T }, readings: readonly R[]): T {
  for (const reading of readings) writer.add(reading)
  return writer.end()
}

/**
 * A format whose body is any T, not only text: the public Format is CoreFormat<string>. The
 * cluster's values (formats/values.ts) are one, sent over IPC as data.
 */
export interface CoreFormat<T> {
  readonly id: string
  open (fail: Fail): CoreWriter<T>
  /**
   * Set by a format that reads each self-rendering var (a handle, a var with its own string())
   * itself, from `reading.var`, rather than through its value(): Go's document pastes String().
   */
  readonly readsVars?: true
  /**
   * How a cluster feeds this format its workers' readings. Without it (Go's document, a user's
   * format) they are aggregated: one reading per name, combined by the cluster's rules. With it,
   * each worker's readings are handed over as they are, labelled `label="<worker id>"`, and the
   * cluster's own var named under `namespace` (the exposition: Prometheus sums, and sees each
   * worker's counter resets).
   */
  readonly perWorker?: PerWorker
}

/** A format's word on how a cluster feeds it: each worker's readings, labelled. */
export interface PerWorker {
  readonly label: string
  readonly namespace: string
}

/** A Writer whose body is any T. */
export interface CoreWriter<T> {
  add (reading: Reading): void
  end (): T
}

/** One registration of a name: a var, where it came from and what describes it. */
export interface Registration {
  readonly var: Var
  readonly kind: VarKind
  readonly origin: string
  /** The builtin's faces when the var is a builtin's, read from it once, at registration. */
  readonly builtin: BuiltinFaces | undefined
  /** Filled in when a handle is asked for again with fields it lacked. */
  meta: VarMeta
  /** Set while the registration fails, so that a failure is logged once until it recovers. */
  failing: boolean
  /** The thenable its value last was: a scrape that gets the same one again waits on this watch. */
  watch: Watch | null
  /**
   * Its last reading for a format that reads vars itself, made again only when the name or
   * metadata changed: a reading kept for many event-loop turns of a large scrape outlives the
   * young generation, so a new one at every scrape was old-space garbage.
   */
  reading: Reading | null
}

/** A published name with its registrations, in registration order. */
export interface Entry {
  readonly name: string
  /**
   * Replaced, never changed in place: a scrape that is waiting for async values keeps the array
   * it started with, whatever is registered or deleted meanwhile.
   */
  registrations: readonly Registration[]
  /** The registrations' metadata, combined. */
  meta: VarMeta
  /** Set while the combined value cannot be written (a cycle): logged once until it recovers. */
  failing: boolean
  /** Set once the clash of unmergeable values has been warned about; cleared by a new registration. */
  clashWarned: boolean
}

/** An async value being waited for, shared by every scrape that got the same thenable. */
class Watch {
  settled = false
  ok = false
  result: unknown = undefined
  /** The scrapes waiting: each removes itself when it stops waiting, so a promise that never settles keeps none of them. */
  readonly waiters = new Set<() => void>()
  readonly #brand = true
  constructor (readonly thenable: object) {}

  /** A brand check that runs no code of the value's own: a Proxy's traps are not asked. */
  static is (value: unknown): value is Watch {
    return typeof value === 'object' && value !== null && #brand in value
  }
}

// A thenable that resolves to a thenable that resolves to … is followed this far, then refused:
// one that resolves to itself would otherwise keep the microtask queue busy and no timer would fire.
const MAX_THENABLE_DEPTH = 32

/** What a registration that failed contributes: nothing. */
const LEFT_OUT = Symbol('left out')

function failRegistration (log: ExpvarLogger, name: string, registration: Registration, err: unknown): typeof LEFT_OUT {
  if (!registration.failing) {
    registration.failing = safeLog(log, 'error', { var: name, source: registration.origin, err }, `expvar: "${name}" is left out of the scrape until it recovers`)
  }
  return LEFT_OUT
}

function failEntry (log: ExpvarLogger, entry: Entry, err: unknown): void {
  if (!entry.failing) {
    const source = entry.registrations.map((registration) => registration.origin).join(', ')
    entry.failing = safeLog(log, 'error', { var: entry.name, source, err }, `expvar: "${entry.name}" cannot be written and is left out of the scrape until it recovers`)
  }
}

/** Follows a thenable with our own callbacks, at most MAX_THENABLE_DEPTH deep; `done` is called once. */
function adopt (thenable: object, then: (...args: unknown[]) => unknown, depth: number, done: (ok: boolean, result: unknown) => void): void {
  let called = false
  const resolve = (result: unknown): void => {
    if (called) return
    called = true
    let next: unknown
    try {
      next = typeof result === 'object' || typeof result === 'function' ? (result as { then?: unknown } | null)?.then : undefined
    } catch (err) {
      done(false, err)
      return
    }
    if (typeof next !== 'function') {
      done(true, result)
    } else if (depth === MAX_THENABLE_DEPTH) {
      done(false, new TypeError(`value() resolved to a thenable that resolves to thenables more than ${MAX_THENABLE_DEPTH} deep (one that resolves to itself?)`))
    } else {
      adopt(result as object, next as (...args: unknown[]) => unknown, depth + 1, done)
    }
  }
  const reject = (err: unknown): void => {
    if (called) return
    called = true
    done(false, err)
  }
  try {
    then.call(thenable, resolve, reject)
  } catch (err) {
    reject(err)
  }
}

/** The watch for a thenable a registration's value() returned: the same thenable again shares it. */
function watchFor (registration: Registration, thenable: object, then: (...args: unknown[]) => unknown): Watch {
  const current = registration.watch
  // A settled promise never changes, so the same one again is its result at once; another
  // thenable may answer anew at each then(), so only one still pending is shared.
  if (current !== null && current.thenable === thenable && (!current.settled || thenable instanceof Promise)) return current
  const watch = new Watch(thenable)
  registration.watch = watch
  adopt(thenable, then, 0, (ok, result) => {
    watch.settled = true
    watch.ok = ok
    watch.result = result
    for (const waiter of watch.waiters) waiter()
    watch.waiters.clear()
  })
  return watch
}

/** A registration's value, a Watch when it is async, or LEFT_OUT when it threw. */
function pull (log: ExpvarLogger, name: string, registration: Registration): unknown {
  let value: unknown
  let then: unknown
  try {
    value = registration.var.value()
    // `then` is read once, here: a getter must not be asked twice.
    then = (typeof value === 'object' || typeof value === 'function') ? (value as { then?: unknown } | null)?.then : undefined
  } catch (err) {
    return failRegistration(log, name, registration, err)
  }
  if (typeof then !== 'function') {
    registration.failing = false
    return value
  }
  const watch = watchFor(registration, value as object, then as (...args: unknown[]) => unknown)
  return watch.settled ? settle(log, name, registration, watch) : watch
}

/** A settled watch's contribution: its value, or LEFT_OUT logged once. */
function settle (log: ExpvarLogger, name: string, registration: Registration, watch: Watch): unknown {
  if (!watch.ok) return failRegistration(log, name, registration, watch.result)
  registration.failing = false
  return watch.result
}

/** Several registrations' values as one: plain objects merged, anything else the last one, with a warning. */
function combine (log: ExpvarLogger, entry: Entry, values: readonly unknown[]): unknown {
  if (values.every(isPlainObject)) return mergeObjects(values)
  if (!entry.clashWarned) {
    const origins = entry.registrations.map((registration) => registration.origin)
    entry.clashWarned = safeLog(log, 'warn', { var: entry.name, sources: origins }, `expvar: "${entry.name}" is registered by ${origins.join(' and ')}; its values are not all plain objects, so the last registration wins`)
  }
  return values[values.length - 1]
}

/** The scrape's state: one slot per entry, and what is still awaited. */
class Scrape<T> {
  readonly readings: (Reading | undefined)[]
  readonly waiting: { index: number, registrations: readonly Registration[], values: unknown[] }[] = []
  readonly #failed = new Set<Entry>()
  // The registrations the format read itself this scrape, and those of them that failed.
  readonly #read: Registration[] = []
  readonly #unread = new Set<Registration>()

  constructor (readonly entries: readonly Entry[], readonly format: CoreFormat<T>, readonly log: ExpvarLogger) {
    this.readings = new Array(entries.length)
  }

  /** Reads the entries from `from` up to `to`; the async ones are left in `waiting`. */
  start (from: number, to: number): void {
    const { entries, log } = this
    const readsVars = this.format.readsVars === true
    for (let i = from; i < to; i++) {
      const entry = entries[i] as Entry
      const registrations = entry.registrations
      const first = registrations[0] as Registration
      if (registrations.length === 1) {
        if (first.kind !== 'func' && readsVars) {
          this.readings[i] = this.#var(entry, first)
          continue
        }
        if (first.kind !== 'func' && first.kind !== 'custom') {
          this.readings[i] = this.#handle(entry, first)
          continue
        }
        // One function: the common case, without the arrays that combining several takes.
        const value = pull(log, entry.name, first)
        if (isWatch(value)) {
          this.waiting.push({ index: i, registrations, values: [value] })
        } else if (value !== LEFT_OUT) {
          this.readings[i] = { name: entry.name, kind: first.kind, meta: entry.meta, value, builtin: first.builtin }
        }
        continue
      }
      const values = registrations.map((registration) => pull(log, entry.name, registration))
      if (values.some((value) => isWatch(value))) {
        this.waiting.push({ index: i, registrations, values })
      } else {
        this.readings[i] = this.#combined(entry, values)
      }
    }
  }

  /** A Go handle's value: its value() is synchronous and plain. */
  #handle (entry: Entry, registration: Registration): Reading | undefined {
    try {
      const value = registration.var.value()
      registration.failing = false
      return { name: entry.name, kind: registration.kind, meta: entry.meta, value, builtin: registration.builtin }
    } catch (err) {
      failRegistration(this.log, entry.name, registration, err)
      return undefined
    }
  }

  /** A self-rendering var for a format that reads it itself: the same reading while its name and metadata are. */
  #var (entry: Entry, registration: Registration): Reading {
    this.#read.push(registration)
    const last = registration.reading
    if (last !== null && last.name === entry.name && last.meta === entry.meta) return last
    registration.reading = { name: entry.name, kind: registration.kind, meta: entry.meta, value: undefined, builtin: registration.builtin, var: registration.var }
    return registration.reading
  }

  /** An entry whose values are all known, combined; undefined when nothing is left. */
  #combined (entry: Entry, values: readonly unknown[]): Reading | undefined {
    const present = values.filter((value) => value !== LEFT_OUT)
    if (present.length === 0) return undefined
    const kind = entry.registrations.length === 1 ? (entry.registrations[0] as Registration).kind : 'custom'
    // Merged with a user's values, a builtin's value is still mapped as the builtin's.
    const builtin = entry.registrations.find((registration) => registration.builtin !== undefined)?.builtin
    if (present.length === 1) return { name: entry.name, kind, meta: entry.meta, value: present[0], builtin }
    try {
      // Merging reads the values: a getter or a Proxy trap may throw here too.
      return { name: entry.name, kind, meta: entry.meta, value: combine(this.log, entry, present), builtin }
    } catch (err) {
      this.#fail(entry, err)
      return undefined
    }
  }

  /** An entry left out of this scrape: logged once until a scrape writes it again. */
  #fail (entry: Entry, err: unknown): void {
    this.#failed.add(entry)
    failEntry(this.log, entry, err)
  }

  /** Waits for the async values at most timeout ms; what has not settled then is left out. */
  wait (timeout: number): Promise<void> {
    return new Promise((resolve) => {
      let open = 0
      const watched: [Watch, () => void][] = []
      // Runs once: the last waiter, the timer or an empty wait calls it, and it stops the other two.
      const finish = (): void => {
        clearTimeout(timer)
        for (const [watch, waiter] of watched) watch.waiters.delete(waiter)
        for (const { index, registrations, values } of this.waiting) {
          const entry = this.entries[index] as Entry
          for (let j = 0; j < values.length; j++) {
            const value = values[j]
            if (!isWatch(value)) continue
            values[j] = value.settled
              ? settle(this.log, entry.name, registrations[j] as Registration, value)
              : failRegistration(this.log, entry.name, registrations[j] as Registration, new Error(`value() did not settle within ${timeout} ms`))
          }
          this.readings[index] = this.#combined(entry, values)
        }
        resolve()
      }
      for (const { values } of this.waiting) {
        for (const value of values) {
          if (!isWatch(value) || value.settled) continue
          open++
          const waiter = (): void => {
            if (--open === 0) finish()
          }
          value.waiters.add(waiter)
          watched.push([value, waiter])
        }
      }
      // Not unref'd: a caller awaits this scrape, and the timer lives at most `timeout` ms. An
      // unref'd one would let a script whose only pending work is this scrape exit without it.
      const timer = setTimeout(finish, timeout)
      // Settled already (a thenable that called back at once): nothing to wait for.
      if (open === 0) finish()
    })
  }

  /** The format's body from the readings in one piece; an entry that cannot be written is left out and logged once. */
  write (): T {
    const writer = this.format.open(this.fail)
    this.add(writer, 0, this.readings.length)
    return this.end(writer)
  }

  /**
   * Leaves a reading the format could not write out of the scrape, logged once: as the var's
   * failure when the format read the var itself, else as the entry's.
   */
  readonly fail: Fail = (reading, err) => {
    const entry = this.entries.find((candidate) => candidate.name === reading.name)
    if (entry === undefined) {
      // A user's format handed back a reading this scrape never gave it: nothing to leave out, but said.
      safeLog(this.log, 'error', { var: reading.name, err }, `expvar: format "${this.format.id}" failed a reading that is not in this scrape`)
      return
    }
    const registration = (reading as Reading).var === undefined ? undefined : entry.registrations[0]
    if (registration === undefined) {
      this.#fail(entry, err)
    } else {
      this.#unread.add(registration)
      failRegistration(this.log, entry.name, registration, err)
    }
  }

  /** Adds the readings from `from` up to `to` to writer; one its add() throws for is left out. */
  add (writer: CoreWriter<T>, from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const reading = this.readings[i]
      if (reading === undefined) continue
      try {
        writer.add(reading)
      } catch (err) {
        this.fail(reading, err)
      }
    }
  }

  /** The body as written; the entries and vars written again are no longer failing. */
  #written (body: T): T {
    for (const entry of this.entries) {
      if (entry.failing && !this.#failed.has(entry)) entry.failing = false
    }
    for (const registration of this.#read) {
      if (!this.#unread.has(registration)) registration.failing = false
    }
    return body
  }

  /** The writer's body, once every slice is added. */
  end (writer: CoreWriter<T>): T {
    return this.#written(writer.end())
  }
}

function isWatch (value: unknown): value is Watch {
  return Watch.is(value)
}

/**
 * One scrape of entries in a format: synchronous when every value is and there are at most SLICE
 * entries, otherwise a promise (async values are waited for at most `timeout` ms). Never throws
 * or rejects: whatever a var does, the rest is written. `guard` runs each later step that reads
 * vars or writes the body (the first step runs under the caller's guard).
 */
export function collect<T> (entries: readonly Entry[], format: CoreFormat<T>, timeout: number, log: ExpvarLogger, guard: <U>(step: () => U) => U): { readonly body: T } | Promise<T> {
  const scrape = new Scrape(entries, format, log)
  if (entries.length > SLICE) return sliced(scrape, timeout, guard)
  scrape.start(0, entries.length)
  // Wrapped: a body of any type is told from the promise of one.
  if (scrape.waiting.length === 0) return { body: scrape.write() }
  // Written later, after the wait: `guard` marks that time as a read of the registry's vars too.
  return scrape.wait(timeout).then(() => guard(() => scrape.write()))
}

/** A large scrape, SLICE entries at a time with a turn of the event loop between slices. */
async function sliced<T> (scrape: Scrape<T>, timeout: number, guard: <U>(step: () => U) => U): Promise<T> {
  const { length } = scrape.entries
  scrape.start(0, SLICE)
  for (let from = SLICE; from < length; from += SLICE) {
    await turn()
    guard(() => scrape.start(from, Math.min(length, from + SLICE)))
  }
  if (scrape.waiting.length > 0) await scrape.wait(timeout)
  const writer = guard(() => scrape.format.open(scrape.fail))
  for (let from = 0; from < length; from += SLICE) {
    await turn()
    guard(() => scrape.add(writer, from, Math.min(length, from + SLICE)))
  }
  return guard(() => scrape.end(writer))
}
