// The Go-compatible JSON writer: integer literals, JS values Go has no word for, plain data left to
// JSON.stringify and the rest walked node by node.
import { inGoEscapes, quote } from './go-escapes.js'
import { checkLength, MAX_NODES, type NodeBudget, NOT_PLAIN, overBudget, plainDataCheck } from './plain.js'

/**
 * The full writer's budget, with the text of every container it wrote and the nodes below it: an
 * object met again (shared, not a cycle) is the same text, charged at once instead of walked
 * again. A depth-40 DAG is refused after 21 containers, and a DAG within the bound is written at
 * the cost of its distinct objects. Values are data: a getter of a shared object is read once.
 */
interface Writing extends NodeBudget {
  readonly texts: Map<object, readonly [text: string, nodes: number]>
}

function writing (): Writing {
  return { left: MAX_NODES, texts: new Map() }
}

// From 2^53 on every double is an integer, and JS would print its shortest form, not its digits.
const EXACT = 2 ** 53

/** A JSON number: integers as their exact integer literal however large, non-finite values as null. */
export function numberJSON (n: number): string {
  if (n < EXACT && n > -EXACT) return '' + n
  return Number.isFinite(n) ? BigInt(n).toString() : 'null'
}

/**
 * Serialises a var's value. Like JSON.stringify, but: undefined is null, also inside objects (a
 * function or symbol is null in an array and left out of an object); bigint is an exact integer;
 * Map becomes an object with sorted keys, Set an array; integers are exact integer literals;
 * strings use Go's escapes. Throws on a cycle or a Promise nested in the value.
 */
export function writeJSON (value: unknown): string {
  // A string is quoted without JSON.stringify's copy: most need no escape at all.
  if (typeof value === 'string') return quote(value)
  // The value is one node, and the check counts the rest; the writer counts again, from the start.
  if (isPlainData(value, MAX_NODES - 1) === NOT_PLAIN) return writeWalked(value)
  return writePlain(value)
}

/** Any value, walked node by node within one value's budget: what is not plain data. */
export function writeWalked (value: unknown): string {
  return write(value, [], writing())
}

/** Plain data is what JSON.stringify writes as Go would, but for the escapes in strings. */
export function writePlain (value: unknown): string {
  return inGoEscapes(JSON.stringify(value))
}

/**
 * What is left of a budget when JSON.stringify(value) is this writer's output (plain data whose
 * numbers it prints as we do: from 2^53 on it prints an integer's shortest form, not its digits),
 * else NOT_PLAIN. Anything else (undefined, which JSON.stringify drops from objects; bigint; Map;
 * a class instance) is left to writeWalked().
 */
export const isPlainData = plainDataCheck((n) => (n < EXACT && n > -EXACT) || !Number.isFinite(n))

function write (value: unknown, ancestors: object[], budget: Writing): string {
  if (--budget.left < 0) overBudget()
  switch (typeof value) {
    case 'number': return numberJSON(value)
    case 'string': return quote(value)
    case 'boolean': return value ? 'true' : 'false'
    case 'bigint': return value.toString()
    case 'object': return value === null ? 'null' : writeReplaced(value, ancestors, budget)
    default: return 'null'
  }
}

/** Writes an object through its toJSON, if it has one. */
function writeReplaced (value: object, ancestors: object[], budget: Writing): string {
  const toJSON = (value as { toJSON?: unknown }).toJSON
  if (typeof toJSON !== 'function') return writeContainer(value, ancestors, budget)
  // As JSON.stringify does: what toJSON returns is written without asking it for toJSON again.
  const replaced: unknown = toJSON.call(value)
  if (typeof replaced !== 'object' || replaced === null) return write(replaced, ancestors, budget)
  // A Buffer's toJSON makes an array of every byte: plain data, written at JSON.stringify's cost.
  // Checked within what is left (toJSON's result is one node), and charged only when plain:
  // otherwise the walk below counts it.
  if (replaced !== value) {
    const left = isPlainData(replaced, budget.left - 1)
    if (left !== NOT_PLAIN) {
      budget.left = left
      return writePlain(replaced)
    }
  }
  return writeContainer(replaced, ancestors, budget)
}

/** Writes an array, Map, Set, boxed primitive or object, item by item. */
function writeContainer (value: object, ancestors: object[], budget: Writing): string {
  if (ancestors.includes(value)) throw new TypeError('the value contains a cycle')
  if (value instanceof Number) return numberJSON(value.valueOf())
  if (value instanceof String) return quote(value.valueOf())
  if (value instanceof Boolean) return value.valueOf() ? 'true' : 'false'
  if (typeof (value as { then?: unknown }).then === 'function') {
    throw new TypeError('the value contains a Promise; only the var itself may be async')
  }
  const known = budget.texts.get(value)
  if (known !== undefined) {
    budget.left -= known[1]
    if (budget.left < 0) overBudget()
    return known[0]
  }
  const before = budget.left
  ancestors.push(value)
  let out: string
  if (Array.isArray(value)) {
    out = writeArray(value, ancestors, budget)
  } else if (value instanceof Map) {
    out = writeMap(value, ancestors, budget)
  } else if (value instanceof Set) {
    // Through Set's own forEach: a subclass's iterator may never end.
    const items: unknown[] = []
    Set.prototype.forEach.call(value, (item) => items.push(item))
    out = writeArray(items, ancestors, budget)
  } else {
    out = '{'
    let first = true
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key]
      // Methods and symbols are not data: left out, as JSON.stringify does. undefined is null.
      if (typeof item === 'function' || typeof item === 'symbol') continue
      out += (first ? '' : ',') + quote(key) + ':' + write(item, ancestors, budget)
      first = false
    }
    out += '}'
  }
  ancestors.pop()
  budget.texts.set(value, [out, before - budget.left])
  return out
}

function writeArray (items: readonly unknown[], ancestors: object[], budget: Writing): string {
  checkLength(items)
  let out = '['
  for (let i = 0; i < items.length; i++) {
    out += (i === 0 ? '' : ',') + write(items[i], ancestors, budget)
  }
  return out + ']'
}

function writeMap (map: Map<unknown, unknown>, ancestors: object[], budget: Writing): string {
  // Go's encoding/json sorts map keys; a JS Map is written the same way. Keys are strings on the
  // wire, so 1 and '1' are one key: the later entry wins, as it would in an object.
  const byKey = new Map<string, unknown>()
  // Through Map's own forEach: a subclass's iterator may never end.
  Map.prototype.forEach.call(map, (item, key) => byKey.set(String(key), item))
  const keys = [...byKey.keys()].sort()
  let out = '{'
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string
    out += (i === 0 ? '' : ',') + quote(key) + ':' + write(byKey.get(key), ancestors, budget)
  }
  return out + '}'
}
