// What the runtime builtins read from Node, read once per instance and window: one reading of each source serves every builtin and every scrape in it.
import { performance } from 'node:perf_hooks'
import v8 from 'node:v8'

/**
 * How long one reading serves: the scrapes of an instance less than this apart share its
 * readings (resourceUsage, memoryUsage, V8's heap statistics, /proc, the event-loop window), so
 * none of them is read more than once per scrape, nor more than ten times a second however
 * often it is scraped. Documented in docs/builtins.md.
 */
export const READING_MAX_AGE_MS = 100

/**
 * Freezes a value and everything in it: a shared reading cannot be changed by one of its readers.
 * A frozen object is taken as frozen all the way down (what this froze, or a shared reading in a
 * builtin's value), and not walked again.
 */
export function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const item of Object.values(value)) deepFreeze(item)
    Object.freeze(value)
  }
  return value
}

/**
 * One instance's readings of the runtime. Its window starts at the first read after the last one
 * ended; every source read in a window is read at most once in it, so all the figures one scrape
 * serves are at most READING_MAX_AGE_MS old and a builtin's several sources are from one moment.
 * A window lasts at least to the end of the turn of the event loop it began in: a scrape reads its
 * builtins in one turn, so one that straddles the window's end does not read a source twice.
 */
export class Readings {
  #windowAt = -Infinity
  #window = 0
  #held = false
  readonly #release = (): void => { this.#held = false }
  // The sources two builtins read (process and memstats); a builtin's own are its own source()s.
  readonly memoryUsage = this.source(() => process.memoryUsage())
  readonly heapSpaces = this.source(() => v8.getHeapSpaceStatistics())

  /** The current window's number: a new one once the last began READING_MAX_AGE_MS ago, in an earlier turn. */
  window (): number {
    if (this.#held) return this.#window
    const now = performance.now()
    if (now - this.#windowAt >= READING_MAX_AGE_MS) {
      this.#windowAt = now
      this.#window++
      this.#held = true
      queueMicrotask(this.#release)
    }
    return this.#window
  }

  /** A reading of read() shared within a window: read at the window's first call, frozen. */
  source<T> (read: () => T): () => T {
    let window = 0
    let value: T
    return () => {
      const now = this.window()
      if (now !== window) {
        value = deepFreeze(read())
        window = now
      }
      return value
    }
  }
}

/** What every builtin's plugin is given: its instance's readings. */
export interface BuiltinContext {
  readonly readings: Readings
}
