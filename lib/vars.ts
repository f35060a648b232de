// Go's var kinds: Int, Float, String, Map and Func, each with Go's methods and its JSON text.
import type * as api from '../types/index.js'
import type { MapKeyValue, Var } from '../types/index.js'
import { describe } from './describe.js'
import { FST_EXPVAR_INVALID_VALUE, FST_EXPVAR_INVALID_VAR } from './errors.js'
import { quote } from './go-escapes.js'
import { numberJSON, writeJSON } from './json.js'

// An Int is exact only within ±(2^53 − 1): past that a double cannot count by one. A Float that
// became NaN or ±Infinity would stay so for good, served as null.
const INTEGER = 'a safe integer (the Int stays within ±Number.MAX_SAFE_INTEGER)'
const FINITE = 'a finite number (the Float stays finite)'

/** Throws the error for a bad argument to an Int's or Float's add() or set(). */
function throwInvalidNumber (kind: string, method: string, given: unknown, integer: boolean): never {
  const got = describe(given)
  if (typeof given !== 'number' && !integer) throw new FST_EXPVAR_INVALID_VALUE(`${kind}.${method}`, 'a number', got)
  throw new FST_EXPVAR_INVALID_VALUE(`${kind}.${method}`, integer ? INTEGER : FINITE, got)
}

/**
 * Throws for an add() whose sum cannot be kept: the argument when it is itself bad (1.5 to an
 * Int), else the sum it would make (1 to an Int at 2^53 − 1 is a fine argument; the total is not).
 */
function throwInvalidSum (kind: string, delta: number, sum: number, integer: boolean): never {
  if (integer ? !Number.isSafeInteger(delta) : !Number.isFinite(delta)) throwInvalidNumber(kind, 'add', delta, integer)
  throw new FST_EXPVAR_INVALID_VALUE(`${kind}.add`, `a delta that keeps the ${integer ? 'Int within ±Number.MAX_SAFE_INTEGER' : 'Float finite'}`, `${delta}, which would make it ${sum}`)
}

function checkKey (method: string, key: unknown): void {
  if (typeof key !== 'string') throw new FST_EXPVAR_INVALID_VALUE(`MapVar.${method}`, 'a string key', describe(key))
}

/**
 * A var's own JSON text, pasted into the document as it is (Go does the same): at least it must
 * be text. Throws when string() returns anything else.
 */
export function ownText (v: Var): string {
  return checkText(v.string())
}

/** What a var's string() returned, when it is text; throws otherwise. */
function checkText (text: unknown): string {
  if (typeof text !== 'string') throw new TypeError(`string() returned ${text === null ? 'null' : typeof text}, not a string of JSON`)
  return text
}

/** True for anything that can be published: an object with `value()` and `string()`. */
export function isVar (value: unknown): value is Var {
  return typeof value === 'object' && value !== null &&
    typeof (value as Var).string === 'function' && typeof (value as Var).value === 'function'
}

/** What Int and Float share: a number with Go's add, set and value. */
abstract class NumberVar implements Var {
  // Declared, not initialised as class fields, and all assigned in the constructor: with ES2022
  // field semantics V8 ran add() 3× slower (335 vs 1,050 M calls/s in one process), which was
  // the int.add row's swing between runs.
  private declare n: number
  private declare writtenN: number
  private declare written: string
  private declare readonly kind: string
  private declare readonly integer: boolean

  protected constructor (kind: string, integer: boolean) {
    this.n = 0
    this.writtenN = 0
    this.written = '0'
    this.kind = kind
    this.integer = integer
  }

  add (delta: number): void {
    // The checks are written out here and only the error made in a helper: behind a call V8 no
    // longer folded them into the caller's loop (measured in npm run bench's int.add row).
    // The type is checked before the addition, which would throw on a bigint or a symbol.
    if (typeof delta !== 'number') throwInvalidNumber(this.kind, 'add', delta, this.integer)
    const next = this.n + delta
    if (this.integer ? !Number.isSafeInteger(next) : !Number.isFinite(next)) throwInvalidSum(this.kind, delta, next, this.integer)
    this.n = next
  }

  set (value: number): void {
    if (typeof value !== 'number' || (this.integer ? !Number.isSafeInteger(value) : !Number.isFinite(value))) throwInvalidNumber(this.kind, 'set', value, this.integer)
    this.n = value
  }

  value (): number {
    return this.n
  }

  string (): string {
    // Written again only after the value moved: scrapes of an idle counter allocate nothing.
    if (this.n !== this.writtenN) {
      this.writtenN = this.n
      this.written = numberJSON(this.n)
    }
    return this.written
  }
}

/** Go's expvar.Int: an integer counter. */
export class IntVar extends NumberVar implements api.IntVar {
  constructor () {
    super('IntVar', true)
  }
}

/** Go's expvar.Float: a float gauge. */
export class FloatVar extends NumberVar implements api.FloatVar {
  constructor () {
    super('FloatVar', false)
  }
}

/** Go's expvar.String. */
export class StringVar implements api.StringVar {
  private s = ''
  // The quoted value, made at the first scrape after a set(): escaping is the costly part.
  private quoted: string | null = '""'

  set (value: string): void {
    if (typeof value !== 'string') throw new FST_EXPVAR_INVALID_VALUE('StringVar.set', 'a string', describe(value))
    this.s = value
    this.quoted = null
  }

  value (): string {
    return this.s
  }

  string (): string {
    this.quoted ??= quote(this.s)
    return this.quoted
  }
}

/** Go's expvar.Func: the value is whatever the function returns, at every scrape. */
export class FuncVar implements api.FuncVar {
  private readonly fn: () => unknown

  constructor (fn: () => unknown) {
    if (typeof fn !== 'function') throw new FST_EXPVAR_INVALID_VAR('FuncVar', `expected a function, got ${describe(fn)}`)
    this.fn = fn
  }

  value (): unknown {
    return this.fn()
  }

  string (): string {
    return writeJSON(this.fn())
  }
}

/** Go's expvar.Map: string keys to vars, written with sorted keys in Go's `{"k": v, …}` layout. */
export class MapVar implements api.MapVar {
  private readonly vars = new Map<string, Var | null>()
  // Sorted keys and their vars, rebuilt only when a key comes, goes or is set to another var.
  private keys: string[] | null = null
  private items: (Var | null)[] = []
  // The text in pieces, '{', '"a": ', <a's text>, ', "b": ', <b's text>, '}': the keys' pieces are
  // made with the sorted keys, the values' are refreshed at each string(), and the text is joined
  // anew only when one of them changed (an item may change on its own, through get(key).add()).
  private parts: string[] = []
  private text: string | null = null
  // The last value() when its items' values were all primitives, and those values.
  private valued: Record<string, unknown> | null = null
  private values: unknown[] = []

  /** Adds delta to the IntVar at key, creating it; a key that holds another kind is left as it is. */
  add (key: string, delta: number): void {
    this.addTo('add', IntVar, key, delta)
  }

  /** Adds delta to the FloatVar at key, creating it; a key that holds another kind is left as it is. */
  addFloat (key: string, delta: number): void {
    this.addTo('addFloat', FloatVar, key, delta)
  }

  set (key: string, value: Var | null): void {
    checkKey('set', key)
    if (value !== null && !isVar(value)) throw new FST_EXPVAR_INVALID_VALUE('MapVar.set', 'a var or null', describe(value))
    this.insert(key, value)
  }

  get (key: string): Var | null | undefined {
    return this.vars.get(key)
  }

  delete (key: string): void {
    if (this.vars.delete(key)) this.keys = null
  }

  /** Removes every key; returns the map, as Go's Init does. */
  init (): this {
    this.vars.clear()
    this.keys = null
    return this
  }

  /** Calls fn for each key, in sorted order. */
  do (fn: (kv: MapKeyValue) => void): void {
    for (const key of this.sortedKeys()) {
      fn({ key, value: this.vars.get(key) ?? null })
    }
  }

  value (): Record<string, unknown> {
    const keys = this.sortedKeys()
    const values: unknown[] = new Array(keys.length)
    let same = this.valued !== null
    for (let i = 0; i < keys.length; i++) {
      const item = this.items[i]
      const value = item == null ? null : item.value()
      values[i] = value
      // The kept values are all primitives: one the same as its kept one is a primitive too.
      if (!Object.is(value, this.values[i])) same = false
    }
    if (same) return this.valued as Record<string, unknown>
    const out: Record<string, unknown> = Object.create(null)
    for (let i = 0; i < keys.length; i++) out[keys[i] as string] = values[i]
    // Items whose values are all primitives and unchanged make the same object: it is kept,
    // frozen, and returned again (the exposition then knows at a glance that nothing moved).
    const primitive = values.every((value) => (typeof value !== 'object' || value === null) && typeof value !== 'function')
    this.values = values
    this.valued = primitive ? Object.freeze(out) : null
    return out
  }

  string (): string {
    const keys = this.sortedKeys()
    for (let i = 0; i < keys.length; i++) {
      const item = this.items[i]
      // Called here, not through ownText: this call site sees the map's own items (most often
      // IntVars alone), which V8 then calls directly; ownText's sees every kind of var.
      const written = item == null ? 'null' : checkText(item.string())
      if (written !== this.parts[2 * i + 2]) {
        this.parts[2 * i + 2] = written
        this.text = null
      }
    }
    this.text ??= this.parts.join('')
    return this.text
  }

  private addTo (method: string, Kind: typeof IntVar | typeof FloatVar, key: string, delta: number): void {
    checkKey(method, key)
    const current = this.vars.get(key)
    if (current instanceof Kind) {
      current.add(delta)
    } else if (current === undefined) {
      const created = new Kind()
      created.add(delta)
      this.insert(key, created)
    }
  }

  private insert (key: string, value: Var | null): void {
    this.keys = null
    this.vars.set(key, value)
  }

  private sortedKeys (): string[] {
    if (this.keys === null) {
      this.keys = [...this.vars.keys()].sort()
      this.items = this.keys.map((key) => this.vars.get(key) as Var | null)
      this.parts = ['{']
      for (let i = 0; i < this.keys.length; i++) {
        this.parts.push((i === 0 ? '' : ', ') + quote(this.keys[i] as string) + ': ', '')
      }
      this.parts.push('}')
      this.text = null
      this.valued = null
    }
    return this.keys
  }
}
