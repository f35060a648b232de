// One scrape: pulls every var's value (sync or async, within the timeout), combines same-name
// sources and writes each entry, leaving out and logging whatever fails.
import type { ExpvarLogger, Var } from '../types/index.js'
import { writeJSON } from './json.js'
import { isPlainObject, mergeObjects } from './merge.js'

/** One registration of a name: a var and where it came from. */
export interface Source {
  readonly var: Var
  /** Funcs are pulled through value() and may be async; every other var writes its own string(). */
  readonly pulled: boolean
  readonly origin: string
  /** Set while the source fails, so that a failure is logged once until it recovers. */
  failing: boolean
}

/** A published name with its sources, in registration order. */
export interface Entry {
  readonly name: string
  /** `"name": `, quoted once. */
  readonly prefix: string
  /**
   * Replaced, never changed in place: a scrape that is waiting for async values keeps the array
   * it started with, whatever is registered or deleted meanwhile.
   */
  sources: readonly Source[]
  /** Set while the combined value cannot be written (a cycle): logged once until it recovers. */
  failing: boolean
  /** Set once the clash of unmergeable sources has been warned about; cleared by a new source. */
  clashWarned: boolean
}

/** What a source that failed contributes: nothing. */
const LEFT_OUT = Symbol('left out')

/** An async value, as pull() hands it on: awaited by evaluate, never written. */
class Pending {
  constructor (readonly promise: Promise<unknown>) {}
}

function failSource (log: ExpvarLogger, entry: Entry, source: Source, err: unknown): typeof LEFT_OUT {
  if (!source.failing) {
    source.failing = true
    log.error({ var: entry.name, source: source.origin, err }, `expvar: "${entry.name}" is left out of the scrape until it recovers`)
  }
  return LEFT_OUT
}

function failEntry (log: ExpvarLogger, entry: Entry, err: unknown): undefined {
  if (!entry.failing) {
    entry.failing = true
    log.error({ var: entry.name, source: entry.sources.map((source) => source.origin).join(', '), err }, `expvar: "${entry.name}" cannot be written and is left out of the scrape until it recovers`)
  }
  return undefined
}

/** A source's value; a thenable as Pending (its `then` read once, here); a throw as LEFT_OUT. */
function pull (log: ExpvarLogger, entry: Entry, source: Source): unknown {
  try {
    const value = source.var.value()
    if (typeof (value as PromiseLike<unknown> | null)?.then === 'function') return new Pending(Promise.resolve(value))
    source.failing = false
    return value
  } catch (err) {
    return failSource(log, entry, source, err)
  }
}

/** Several sources' values as one: plain objects merged, anything else the last one, with a warning. */
function combine (log: ExpvarLogger, entry: Entry, values: readonly unknown[]): unknown {
  if (values.every(isPlainObject)) return mergeObjects(values)
  if (!entry.clashWarned) {
    entry.clashWarned = true
    const origins = entry.sources.map((source) => source.origin)
    log.warn({ var: entry.name, sources: origins }, `expvar: "${entry.name}" is registered by ${origins.join(' and ')}; its values are not all plain objects, so the last registration wins`)
  }
  return values[values.length - 1]
}

/** Writes an entry whose values are all known; undefined when it is left out. Never throws. */
function writeEntry (log: ExpvarLogger, entry: Entry, values: readonly unknown[]): string | undefined {
  const present = values.filter((value) => value !== LEFT_OUT)
  if (present.length <= 1) return present.length === 0 ? undefined : writeValue(log, entry, present[0])
  let combined: unknown
  try {
    // Merging reads the values: a getter or a Proxy trap may throw here too.
    combined = combine(log, entry, present)
  } catch (err) {
    return failEntry(log, entry, err)
  }
  return writeValue(log, entry, combined)
}

/** Writes an entry's (combined) value; undefined when it cannot be written. Never throws. */
function writeValue (log: ExpvarLogger, entry: Entry, value: unknown): string | undefined {
  try {
    const text = entry.prefix + writeJSON(value)
    entry.failing = false
    return text
  } catch (err) {
    return failEntry(log, entry, err)
  }
}

/** Writes a var that renders itself (Int, Map, …): the fast path, no intermediate value. */
function writeOwn (log: ExpvarLogger, entry: Entry, source: Source): string | undefined {
  try {
    const own = source.var.string()
    // Pasted into the document as it is (Go does the same): at least it must be text.
    if (typeof own !== 'string') throw new TypeError(`string() returned ${typeof own}, not a string of JSON`)
    source.failing = false
    return entry.prefix + own
  } catch (err) {
    failSource(log, entry, source, err)
    return undefined
  }
}

/** An entry with async values: the values so far, and the sources still being waited for. */
interface Waiting {
  readonly index: number
  readonly entry: Entry
  readonly sources: readonly Source[]
  readonly values: unknown[]
  readonly unsettled: Set<number>
}

/**
 * Evaluates entries into their written `"name": value` texts, in order, leaving out failures.
 * Synchronous when every value is; otherwise waits for the async ones at most `timeout` ms.
 * Never throws or rejects: whatever a var does, the rest of the document is written.
 */
export function evaluate (entries: readonly Entry[], timeout: number, log: ExpvarLogger): string[] | Promise<string[]> {
  const texts: (string | undefined)[] = new Array(entries.length)
  const waiting: Waiting[] = []
  const settling: Promise<void>[] = []
  let done = false

  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as Entry
    const sources = entry.sources
    if (sources.length === 1 && !(sources[0] as Source).pulled) {
      texts[i] = writeOwn(log, entry, sources[0] as Source)
      continue
    }
    try {
      const values = sources.map((source) => pull(log, entry, source))
      // The usual entry, one var with a sync value, is written without the bookkeeping below.
      if (values.length === 1 && !(values[0] instanceof Pending)) {
        texts[i] = values[0] === LEFT_OUT ? undefined : writeValue(log, entry, values[0])
        continue
      }
      const unsettled = new Set<number>()
      for (let j = 0; j < values.length; j++) {
        const pending = values[j]
        if (!(pending instanceof Pending)) continue
        const source = sources[j] as Source
        unsettled.add(j)
        settling.push(pending.promise.then(
          (resolved) => {
            if (done) return
            unsettled.delete(j)
            source.failing = false
            values[j] = resolved
          },
          (err: unknown) => {
            if (done) return
            unsettled.delete(j)
            values[j] = failSource(log, entry, source, err)
          }
        ))
      }
      if (unsettled.size === 0) {
        texts[i] = writeEntry(log, entry, values)
      } else {
        waiting.push({ index: i, entry, sources, values, unsettled })
      }
    } catch (err) {
      // A value that throws even when looked at (a Proxy's traps): this entry only is left out.
      texts[i] = failEntry(log, entry, err)
    }
  }

  const written = (): string[] => texts.filter((text): text is string => text !== undefined)
  if (waiting.length === 0) return written()

  return new Promise((resolve) => {
    // Whatever has not settled by now is left out; the entry is written from the rest.
    const finish = (): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      for (const { index, entry, sources, values, unsettled } of waiting) {
        for (const j of unsettled) {
          values[j] = failSource(log, entry, sources[j] as Source, new Error(`value() did not settle within ${timeout} ms`))
        }
        texts[index] = writeEntry(log, entry, values)
      }
      resolve(written())
    }
    // Not unref'd: a caller awaits this document, and the timer lives at most `timeout` ms. An
    // unref'd one would let a script whose only pending work is this scrape exit without it.
    const timer = setTimeout(finish, timeout)
    Promise.all(settling).then(finish)
  })
}
