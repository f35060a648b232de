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

export function tokensOf (value: unknown): Token[] {
  const n = numeric(value)
  if (n !== undefined) return [n]
  const out: Token[] = []
  if (isWalked(value)) walk(value, [], out, [])
  return out
}

function walk (value: object, path: string[], out: Token[], ancestors: unknown[]): void {
  if (ancestors.includes(value)) throw new TypeError(`the value has a cycle at ${path.join('.')}`)
  ancestors.push(value)
  const entries: Iterable<[unknown, unknown]> = value instanceof Map ? value.entries() : Object.entries(value)
  for (const [key, child] of entries) {
    const name = String(key)
    const n = numeric(child)
    if (n !== undefined) {
      out.push(name, n)
    } else if (isWalked(child)) {
      path.push(name)
      out.push(name, ENTER)
      walk(child, path, out, ancestors)
      out.push(LEAVE)
      path.pop()
    }
  }
  ancestors.pop()
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
