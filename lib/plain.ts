// Plain JSON data and the bounds on a value's work: the check every writer of values runs first, the node budget and V8's longest string.
import { constants } from 'node:buffer'

// The longest string V8 can make: a value whose text would be longer cannot be written at all.
export const MAX_TEXT = constants.MAX_STRING_LENGTH

/**
 * The most nodes one value may have: objects, arrays, Map and Set entries and leaves, counted at
 * every place they appear, so that an object referenced twice at each of 40 levels (2^40 places,
 * a few hundred bytes of heap) counts what writing it would cost. A value past it is left out of
 * the scrape with a RangeError, before its text is made. 2^20 takes a Buffer of 1,000,000 bytes
 * (its toJSON's array) or an object of 500,000 numbers; a value within it costs about what
 * JSON.stringify of it costs, and one past it at most the walk of 2^20 nodes.
 */
export const MAX_NODES = 1 << 20

/** What is left of one value's node budget: every walker of a value takes one for each node it visits. */
export interface NodeBudget { left: number }

export function nodeBudget (): NodeBudget {
  return { left: MAX_NODES }
}

/** Throws once a value has used its budget. */
export function overBudget (): never {
  throw new RangeError(`the value has more than ${MAX_NODES} nodes (objects, arrays, entries and leaves, counted at every place a shared one appears): too costly to write`)
}

/**
 * Every item of an array takes at least one character and a comma: a longer array cannot be
 * written. Refused at once, as JSON.stringify refuses it, rather than walked hole by hole.
 */
export function checkLength (items: readonly unknown[]): void {
  if (items.length > MAX_TEXT / 2) throw new RangeError(`an array of ${items.length} items is too long to write`)
}

// Deeper than this, the value is left to the full writer, which tells a cycle from a deep value.
const PLAIN_DEPTH = 32

/** What a plain-data check returns for a value that is not plain data. */
export const NOT_PLAIN = -1

/**
 * A check that a value is plain JSON data: strings, booleans, null, the numbers `number` accepts,
 * and arrays and plain objects of those, without toJSON or then, at most PLAIN_DEPTH deep. The
 * document writer and the cluster's values (formats/values.ts) differ only in the numbers.
 * Reads every property once more than a writer would: values are data, not getters.
 * Takes the nodes the value may have below itself (the caller counts the value) and returns what
 * is left of them, or NOT_PLAIN; throws once they are used up. The count is a number passed along,
 * not an object: the fast path allocates nothing, and an array's items are counted all at once.
 */
export function plainDataCheck (number: (value: number) => boolean): (value: unknown, left: number) => number {
  const data = (value: unknown, depth: number, left: number): number => {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return left
      case 'number':
        return number(value) ? left : NOT_PLAIN
      case 'object':
        return value === null ? left : container(value, depth, left)
      default:
        return NOT_PLAIN
    }
  }
  const container = (value: object, depth: number, left: number): number => {
    if (depth === PLAIN_DEPTH) return NOT_PLAIN
    const { toJSON, then } = value as { toJSON?: unknown, then?: unknown }
    if (typeof toJSON === 'function' || typeof then === 'function') return NOT_PLAIN
    if (Array.isArray(value)) {
      checkLength(value)
      left -= value.length
      if (left < 0) overBudget()
      // By index, as JSON.stringify reads arrays: a subclass's iterator may never end.
      for (let i = 0; i < value.length && left >= 0; i++) left = data(value[i], depth + 1, left)
      return left
    }
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) return NOT_PLAIN
    // for-in, unlike Object.keys, allocates nothing; an inherited key is only one more to check.
    for (const key in value) {
      if (--left < 0) overBudget()
      left = data((value as Record<string, unknown>)[key], depth + 1, left)
      if (left < 0) return NOT_PLAIN
    }
    return left
  }
  return (value, left) => {
    if (left < 0) overBudget()
    return data(value, 0, left)
  }
}
