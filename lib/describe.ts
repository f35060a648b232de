// How error and log messages show a value: one describer, that never throws and never runs the value's code.
import { inspect } from 'node:util'
import { quote } from './go-escapes.js'

function isList (value: unknown): value is ReadonlyArray<string | number> {
  return Array.isArray(value) && value.every((item) => typeof item === 'string' || typeof item === 'number')
}

/**
 * A value as a message shows it: a string quoted ('x'), a list of strings and numbers as written
 * ([1, 2]), a bigint or symbol as written (1n, Symbol(s)), an object shallowly with neither its
 * custom inspect nor its getters run (String() throws for an object without a prototype or whose
 * toString throws). When even that throws (a Proxy's traps), its type.
 */
export function describe (value: unknown): string {
  if (typeof value === 'string') return `'${value}'`
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return String(value)
  try {
    if (isList(value)) return `[${value.map(describe).join(', ')}]`
    return inspect(value, { depth: 0, breakLength: Infinity, customInspect: false })
  } catch {
    return typeof value
  }
}

/** A var's name as messages name it: a string as the document quotes it, anything else described. */
export function describeName (name: unknown): string {
  return typeof name === 'string' ? quote(name) : describe(name)
}
