// One scrape, format-neutral: pulls every registration (sync or async, within the timeout),
// combines same-name values and logs failures once, then hands the readings to a format's writer.
import { setImmediate as turn } from 'node:timers/promises'
import type { ExpvarLogger } from '../types/index.js'
import type { CoreFormat, CoreWriter, Fail, Reading } from './format.js'
import { safeLog } from './log.js'
import { type Entry, failRegistration, isWatch, LEFT_OUT, pull, type Registration, settle, type Watch } from './pull.js'
import { isPlainObject, mergeObjects } from './merge.js'

/**
 * A scrape of more vars than this is read, and written where its format can (`open`), this many
 * vars at a time, yielding to the event loop between slices: a large document does not hold the
 * loop for its whole duration. Documented in the README.
 */
const SLICE = 500

function failEntry (log: ExpvarLogger, entry: Entry, err: unknown): void {
  if (!entry.failing) {
    const source = entry.registrations.map((registration) => registration.origin).join(', ')
    entry.failing = safeLog(log, 'error', { var: entry.name, source, err }, `expvar: "${entry.name}" cannot be written and is left out of the scrape until it recovers`)
  }
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
