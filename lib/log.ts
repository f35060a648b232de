// Failure logging that cannot fail: whatever an error or a logger does, the scrape goes on.
import { inspect } from 'node:util'
import type { ExpvarLogger } from '../types/index.js'

type Level = 'warn' | 'error'

/** Without a logger, failures still surface: as process warnings, never silently. */
export const WARNING_LOGGER: ExpvarLogger = {
  warn: (obj, msg) => process.emitWarning(`${msg} ${inspect(obj)}`, 'ExpvarWarning'),
  error: (obj, msg) => process.emitWarning(`${msg} ${inspect(obj)}`, 'ExpvarWarning')
}

/** Reads a property that may be a throwing getter or a Proxy trap; undefined when it throws. */
function read (value: unknown, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key]
  } catch {
    return undefined
  }
}

/**
 * What can be said of an error without running any of its code: its class and message when they
 * are plain strings. A frozen error, a Proxy or a throwing getter makes pino's serializer throw;
 * this description never does.
 */
function describeError (err: unknown): { type: string, message: string } {
  if (typeof err !== 'object' || err === null) {
    // A primitive prints without running any code, but for a symbol, which String() refuses.
    return { type: typeof err, message: typeof err === 'symbol' ? 'a symbol' : String(err) }
  }
  const message = read(err, 'message')
  const name = read(err, 'name')
  return {
    type: typeof name === 'string' ? name : 'object',
    message: typeof message === 'string' ? message : 'an error whose message cannot be read'
  }
}

/**
 * Logs obj at level; if the logger (or the serialisation of obj.err) throws, logs again with a
 * safe description of the error, then as a process warning. Never throws. True once some line
 * was written, so that "logged once" means logged.
 */
export function safeLog (log: ExpvarLogger, level: Level, obj: Record<string, unknown>, msg: string): boolean {
  try {
    log[level](obj, msg)
    return true
  } catch {}
  const described = describeError(obj.err)
  // A string, so that no error serializer walks it again (pino's takes any object with a message).
  const err = `${described.type}: ${described.message}`
  const safe = { ...obj, err, logError: 'the error could not be logged as it is' }
  try {
    log[level](safe, msg)
    return true
  } catch {}
  try {
    process.emitWarning(`${msg} (${err})`, 'ExpvarWarning')
    return true
  } catch {
    return false
  }
}
