// Same-name plain objects merged key by key, recursively, into prototype-free objects.

/** An object literal, JSON.parse output or a prototype-free object: the values that merge. */
export function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * Merges plain objects left to right: a later key wins unless both sides are plain objects, which
 * merge in turn. The result has no prototype, so a `__proto__` key is stored as data.
 */
export function mergeObjects (objects: readonly Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null)
  for (const object of objects) {
    for (const key of Object.keys(object)) {
      const mine = out[key]
      const theirs = object[key]
      out[key] = isPlainObject(mine) && isPlainObject(theirs) ? mergeObjects([mine, theirs]) : theirs
    }
  }
  return out
}

/** Sets key on an ordinary object; `__proto__` as data, never as the prototype. */
export function put (out: Record<string | number, unknown>, key: string | number, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}
