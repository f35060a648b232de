// The Go-compatible JSON writer: Go's string escapes, integer literals, and JS values Go has no word for.
import { checkLength, MAX_NODES, MAX_TEXT, type NodeBudget, NOT_PLAIN, overBudget, plainDataCheck } from './plain.js'

// Characters Go escapes differently from JSON.stringify: HTML-significant ones and the JS line
// separators as \u00XX, backspace and form feed as \u0008 and \u000c rather than \b and \f.
// eslint-disable-next-line no-control-regex -- backspace and form feed are exactly what Go escapes differently
const GO_DIFFERS = /[<>&\u2028\u2029\x08\x0c]/
// Scans JSON.stringify's output: an escaped backslash is consumed whole so that `\\b` stays as is.
const GO_REWRITE = /\\\\|\\b|\\f|[<>&\u2028\u2029]/g
const GO_ESCAPES: Record<string, string> = {
  '\\\\': '\\\\',
  '\\b': '\\u0008',
  '\\f': '\\u000c',
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029'
}
const goEscape = (match: string): string => GO_ESCAPES[match] as string

// One global replace over a huge text collects every match at once, and V8 aborts the process
// ("invalid size") past tens of millions of them: a long text is rewritten a slice at a time.
const SLICE = 1 << 20

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

/**
 * The length goRewrite's result will have, counted without building anything: each of <>& and
 * the line separators grows by five characters, each \b and \f escape by four. A text that
 * cannot fit is refused at once instead of after rewriting hundreds of megabytes.
 */
function rewrittenLength (json: string): number {
  let length = json.length
  for (let i = 0; i < json.length; i++) {
    const code = json.charCodeAt(i)
    if (code === 0x3c || code === 0x3e || code === 0x26 || code === 0x2028 || code === 0x2029) length += 5
    // An escape is read whole, so that the b of an escaped backslash followed by b is not counted.
    else if (code === 0x5c) {
      const escaped = json.charCodeAt(++i)
      if (escaped === 0x62 || escaped === 0x66) length += 4
    }
  }
  return length
}

/** Rewrites JSON text into Go's escapes. Throws a RangeError when the result would be too long. */
function goRewrite (json: string): string {
  if (json.length <= SLICE) return json.replace(GO_REWRITE, goEscape)
  if (rewrittenLength(json) > MAX_TEXT) throw new RangeError(`the value's text would be longer than the longest string V8 can make (${MAX_TEXT})`)
  const pieces: string[] = []
  for (let start = 0; start < json.length;) {
    let end = Math.min(start + SLICE, json.length)
    // Never between a backslash and the character it escapes: an odd run of them ends an escape's start.
    let run = 0
    while (json.charCodeAt(end - 1 - run) === 0x5c) run++
    if (run % 2 === 1 && end < json.length) end--
    const piece = json.slice(start, end).replace(GO_REWRITE, goEscape)
    pieces.push(piece)
    start = end
  }
  return pieces.join('')
}
// Whatever JSON.stringify or Go would escape (surrogates: lone ones are escaped). Most names and
// keys have none of it and are quoted as they are, without a JSON.stringify call or a rewrite.
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const NEEDS_ESCAPE = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/

/** A JSON string literal for `s`, escaped exactly as Go's expvar escapes it. */
export function quote (s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"'
  const json = JSON.stringify(s)
  return GO_DIFFERS.test(s) ? goRewrite(json) : json
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
  if (isPlainData(value, MAX_NODES - 1) === NOT_PLAIN) return write(value, [], writing())
  return writePlain(value)
}

/**
 * A value's text kept for the next scrape with, for plain data, its tokens: a later value with the
 * same tokens has the same text.
 */
export interface TextMemo {
  readonly text: string
  readonly tokens: readonly unknown[] | null
}

/**
 * writeJSON(value), or `last` again when value is the same plain data as the value `last` was
 * written from: the same leaves under the same keys in the same order. Telling that takes a
 * walk that allocates nothing, several times cheaper than JSON.stringify's copy of the text.
 */
export function writeAgain (value: unknown, last: TextMemo | undefined): TextMemo {
  // The walk reads keys with for-in, which also yields Object.prototype's enumerable ones, where
  // JSON.stringify writes own keys only: while Object.prototype has any, nothing is reused.
  const inherits = hasInherited()
  if (!inherits && last !== undefined && last.tokens !== null && matches(value, last.tokens, 0) === last.tokens.length) return last
  if (typeof value === 'string') return { text: quote(value), tokens: [value] }
  if (isPlainData(value, MAX_NODES - 1) === NOT_PLAIN) return { text: write(value, [], writing()), tokens: null }
  const text = writePlain(value)
  // At most one token per character of the text: a long text's tokens would be one more array of
  // about that length, and an array past V8's limit aborts the process.
  if (inherits || text.length > MAX_TOKENS) return { text, tokens: null }
  const tokens: unknown[] = []
  tokensOf(value, tokens)
  return { text, tokens }
}

// A value whose text is longer is written again at every scrape, as every value was before.
const MAX_TOKENS = 1 << 20
const NOTHING = {}

/** True while Object.prototype has an enumerable property, which for-in would yield for any object. */
function hasInherited (): boolean {
  // eslint-disable-next-line no-unreachable-loop -- one key is enough to tell
  for (const _ in NOTHING) return true
  return false
}

// A plain value's tokens: a leaf as itself; an object as OBJECT, each key and its tokens, END;
// an array as ARRAY, its length and its items' tokens. No leaf is one of these symbols, so one
// list of tokens is read one way only.
const OBJECT = Symbol('object')
const ARRAY = Symbol('array')
const END = Symbol('end')

function tokensOf (value: unknown, out: unknown[]): void {
  if (typeof value !== 'object' || value === null) {
    out.push(value)
  } else if (Array.isArray(value)) {
    out.push(ARRAY, value.length)
    for (let i = 0; i < value.length; i++) tokensOf(value[i], out)
  } else {
    out.push(OBJECT)
    for (const key in value) {
      out.push(key)
      tokensOf((value as Record<string, unknown>)[key], out)
    }
    out.push(END)
  }
}

/**
 * Where value's tokens end when they are tokens[from…], or -1 at the first difference. Checks
 * what isPlainData checks, so a value that matches is plain data too: the same leaves (NaN is
 * never the same, so it is written again), plain objects and arrays without toJSON or then.
 */
function matches (value: unknown, tokens: readonly unknown[], from: number): number {
  if (typeof value !== 'object' || value === null) return tokens[from] === value ? from + 1 : -1
  const { toJSON, then } = value as { toJSON?: unknown, then?: unknown }
  if (typeof toJSON === 'function' || typeof then === 'function') return -1
  let i = from + 1
  if (Array.isArray(value)) {
    if (tokens[from] !== ARRAY || tokens[i++] !== value.length) return -1
    for (let k = 0; k < value.length && i >= 0; k++) i = matches(value[k], tokens, i)
    return i
  }
  const proto = Object.getPrototypeOf(value)
  if (tokens[from] !== OBJECT || (proto !== Object.prototype && proto !== null)) return -1
  for (const key in value) {
    if (tokens[i] !== key) return -1
    i = matches((value as Record<string, unknown>)[key], tokens, i + 1)
    if (i < 0) return -1
  }
  return tokens[i] === END ? i + 1 : -1
}

/** Plain data is what JSON.stringify writes as Go would, but for the escapes in strings. */
function writePlain (value: unknown): string {
  const json = JSON.stringify(value)
  return GO_DIFFERS_IN_JSON.test(json) ? goRewrite(json) : json
}

// In JSON.stringify's output, where Go's escapes differ (an escaped backslash followed by b or f
// matches too; GO_REWRITE then leaves it as it is).
const GO_DIFFERS_IN_JSON = /[<>&\u2028\u2029]|\\[bf]/
/**
 * True when JSON.stringify(value) is this writer's output (plain data whose numbers it prints as
 * we do). Anything else (undefined, which JSON.stringify drops from objects; bigint; Map; a class
 * instance) is left to write().
 */
// JSON.stringify prints integers from 2^53 on in their shortest form, not their digits.
const isPlainData = plainDataCheck((n) => (n < EXACT && n > -EXACT) || !Number.isFinite(n))

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
