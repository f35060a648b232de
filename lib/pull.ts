// One registration's value in a scrape: value() called once, a thenable followed with our own callbacks and shared, a failure logged once.
import type { ExpvarLogger, Var, VarKind, VarMeta } from '../types/index.js'
import type { BuiltinFaces } from './families.js'
import type { Reading } from './format.js'
import { safeLog } from './log.js'

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
export class Watch {
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
export const LEFT_OUT = Symbol('left out')

export function failRegistration (log: ExpvarLogger, name: string, registration: Registration, err: unknown): typeof LEFT_OUT {
  if (!registration.failing) {
    registration.failing = safeLog(log, 'error', { var: name, source: registration.origin, err }, `expvar: "${name}" is left out of the scrape until it recovers`)
  }
  return LEFT_OUT
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
export function pull (log: ExpvarLogger, name: string, registration: Registration): unknown {
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
export function settle (log: ExpvarLogger, name: string, registration: Registration, watch: Watch): unknown {
  if (!watch.ok) return failRegistration(log, name, registration, watch.result)
  registration.failing = false
  return watch.result
}

export function isWatch (value: unknown): value is Watch {
  return Watch.is(value)
}
