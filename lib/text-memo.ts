// A var's text kept from one scrape to the next, and the walk that tells, allocating nothing,
// when a value's text is the one kept.
import { quote } from './go-escapes.js'
import { isPlainData, writePlain, writeWalked } from './json.js'
import { MAX_NODES, NOT_PLAIN } from './plain.js'

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
  if (isPlainData(value, MAX_NODES - 1) === NOT_PLAIN) return { text: writeWalked(value), tokens: null }
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
