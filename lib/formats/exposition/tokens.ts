// A value's numeric leaves as flat tokens: what the exposition's samples and its comparison with the last scrape read.

function numeric (value: unknown): number | bigint | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') return value
  if (typeof value === 'boolean') return value ? 1 : 0
  return undefined
}

/**
 * A value's numeric leaves, flat: a key and its number, or a key, ENTER, the tokens of the object
 * under it and LEAVE; a number alone for a value that is itself one. Strings, nulls and arrays
 * have none. Read once per scrape: both the comparison with the last scrape and the samples use it.
 */
export type Token = string | number | bigint | typeof ENTER | typeof LEAVE
export const ENTER = Symbol('enter')
export const LEAVE = Symbol('leave')

function isWalked (value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Set) && !ArrayBuffer.isView(value)
}

/**
 * The most entries (keys of objects and Maps, counted at every place a shared one appears) the
 * walk reads in one value that is not a Map handle's. Lower than the document's bound (MAX_NODES
 * in lib/json.ts): each numeric leaf becomes a family of its own, with its HELP and TYPE lines and
 * a name made from its path, many times what the document spends on it: 2^14 of them are about
 * 1.1 MB of text (docs/prometheus.md). A Map handle's keys are one family's samples, not bounded here.
 */
const MAX_ENTRIES = 1 << 14

export function tokensOf (value: unknown): Token[] {
  const n = numeric(value)
  if (n !== undefined) return [n]
  const out: Token[] = []
  if (isWalked(value)) walk(value, [], out, [], MAX_ENTRIES)
  return out
}

/** Walks value's entries within `left` of them; returns what is left. */
function walk (value: object, path: string[], out: Token[], ancestors: unknown[], left: number): number {
  if (ancestors.includes(value)) throw new TypeError(`the value has a cycle at ${path.join('.')}`)
  ancestors.push(value)
  const entries: Iterable<[unknown, unknown]> = value instanceof Map ? value.entries() : Object.entries(value)
  for (const [key, child] of entries) {
    if (--left < 0) throw new RangeError(`the value has more than ${MAX_ENTRIES} entries (keys, counted at every place a shared object appears), each number a family of its own: too costly to expose (a Map handle's keys are one family)`)
    const name = String(key)
    const n = numeric(child)
    if (n !== undefined) {
      out.push(name, n)
    } else if (isWalked(child)) {
      path.push(name)
      out.push(name, ENTER)
      left = walk(child, path, out, ancestors, left)
      out.push(LEAVE)
      path.pop()
    }
  }
  ancestors.pop()
  return left
}

/** A Map's samples, flat: each key with a numeric value, then the value. */
export function mapTokens (value: object): Token[] {
  const out: Token[] = []
  for (const key of Object.keys(value)) {
    const n = numeric((value as Record<string, unknown>)[key])
    if (n !== undefined) out.push(key, n)
  }
  return out
}
