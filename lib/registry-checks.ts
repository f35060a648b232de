// The registry's arguments, checked once: its options, a var's name, a scrape's selection and format.
import type { Collisions, DocumentOptions, ExpvarLogger, RegistryOptions } from '../types/index.js'
import { describe, describeName } from './describe.js'
import { FST_EXPVAR_INVALID_NAME, FST_EXPVAR_INVALID_OPTION, FST_EXPVAR_INVALID_VALUE } from './errors.js'
import type { CoreFormat } from './format.js'
import { WARNING_LOGGER } from './log.js'

const DEFAULT_COLLISIONS: Collisions = 'merge'
const DEFAULT_TIMEOUT = 500
// The longest delay a Node timer takes; a longer one would fire after 1 ms.
const MAX_TIMEOUT = 2 ** 31 - 1
export const TIMEOUT_EXPECTED = `a positive number of milliseconds up to ${MAX_TIMEOUT}`

/** A timeout a Node timer keeps: the registry's and the cluster's. */
export function isTimeout (value: unknown): value is number {
  return typeof value === 'number' && value > 0 && value <= MAX_TIMEOUT
}
const COLLISIONS: readonly Collisions[] = ['merge', 'error']
const REGISTRY_OPTIONS = ['collisions', 'timeout', 'logger']

/** The registry's options, checked, with their defaults: a coded error for anything else. */
export function checkRegistryOptions (options: unknown): { collisions: Collisions, timeout: number, logger: ExpvarLogger } {
  if (typeof options !== 'object' || options === null) {
    throw new FST_EXPVAR_INVALID_OPTION('options', `expected an object { collisions, timeout, logger }, got ${describe(options)}`)
  }
  const unknown = Object.keys(options).find((key) => !REGISTRY_OPTIONS.includes(key))
  if (unknown !== undefined) throw new FST_EXPVAR_INVALID_OPTION(unknown, `expected one of the options ${REGISTRY_OPTIONS.join(', ')}`)
  const { collisions = DEFAULT_COLLISIONS, timeout = DEFAULT_TIMEOUT, logger = WARNING_LOGGER } = options as RegistryOptions
  if (!COLLISIONS.includes(collisions)) {
    throw new FST_EXPVAR_INVALID_OPTION('collisions', `expected 'merge' or 'error', got ${describe(collisions)}`)
  }
  if (!isTimeout(timeout)) {
    throw new FST_EXPVAR_INVALID_OPTION('timeout', `expected ${TIMEOUT_EXPECTED}, got ${describe(timeout)}`)
  }
  if (typeof logger?.warn !== 'function' || typeof logger.error !== 'function') {
    throw new FST_EXPVAR_INVALID_OPTION('logger', 'expected a logger with warn and error methods (pino, fastify.log)')
  }
  return { collisions, timeout, logger }
}

/** Whether a value is a format the registry can scrape with: `{ id, open }`. */
export function isFormat (value: unknown): value is CoreFormat<unknown> {
  if (typeof value !== 'object' || value === null) return false
  const { id, open } = value as Record<string, unknown>
  return typeof id === 'string' && typeof open === 'function'
}

/** A var's name, checked: a non-empty string. */
export function checkName (name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new FST_EXPVAR_INVALID_NAME(describeName(name))
  }
}

/** The names to scrape, checked: undefined for all of them. Throws a coded error for anything else. */
export function checkSelection (options: unknown): readonly string[] | undefined {
  if (options === undefined) return undefined
  if (typeof options !== 'object' || options === null) {
    throw new FST_EXPVAR_INVALID_VALUE('Registry.document', 'an options object { vars, log }', describe(options))
  }
  const { vars } = options as DocumentOptions
  if (vars !== undefined && !(Array.isArray(vars) && vars.every((name) => typeof name === 'string'))) {
    throw new FST_EXPVAR_INVALID_VALUE('Registry.document', 'vars as an array of names', Array.isArray(vars) ? 'an array with a name that is not a string' : describe(vars))
  }
  return vars
}
