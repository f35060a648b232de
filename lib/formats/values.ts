// The scrape core's values as plain JSON data: what a cluster worker sends its siblings over IPC.
import type { VarKind, VarMeta } from '../../types/index.js'
import type { CoreFormat, Reading } from '../format.js'
import { checkLength, MAX_NODES, nodeBudget, NOT_PLAIN, overBudget, plainDataCheck } from '../plain.js'
import { put } from '../merge.js'
import { NO_META } from '../meta.js'

/** The longest literal of an inexact leaf (a bigint's digits) that a worker sends or takes. */
export const MAX_LITERAL = 4096

/** A key path into a value: object keys and array indices. */
type Path = readonly (string | number)[]

/**
 * A leaf JSON cannot carry: where it is in the value (which holds null there) and its text, a
 * bigint's digits or `NaN`, `Infinity`, `-Infinity`. Beside the value rather than in it, so that no
 * user data can be mistaken for one.
 */
type Exact = readonly [path: Path, literal: string]

/** One var's value as plain data: it survives node:cluster's JSON serialization unchanged. */
export interface WireReading {
  readonly name: string
  readonly kind: VarKind
  /** Left out when the var has none. */
  readonly meta?: VarMeta
  readonly value: unknown
  readonly exact?: readonly Exact[]
}

/** A reading back from the wire: its value whole again, bigints and non-finite numbers included. */
interface ValueReading {
  readonly name: string
  readonly kind: VarKind
  readonly meta: VarMeta
  readonly value: unknown
}

/**
 * True when JSON carries the value unchanged, so it is sent as it is: plain data of finite
 * numbers. Anything else is copied by Plain, which also tells a cycle from a deep value.
 */
const isWireData = plainDataCheck(Number.isFinite)

/** A container copied once: its copy, the nodes it cost, and its inexact leaves at paths from it. */
interface Copied {
  readonly copy: unknown
  readonly nodes: number
  readonly exact: readonly Exact[]
}

/**
 * Copies a value into plain data by the document writer's rules (lib/json.ts), the inexact leaves
 * into `exact`. A container met again (shared, not a cycle) is the same copy, charged its nodes at
 * once instead of walked again, its inexact leaves put at the new path: as the document writer
 * charges a shared object's text, so that a depth-40 DAG is refused after a few dozen containers
 * (JSON would carry every place of it) and a getter of a shared object is read once.
 */
class Plain {
  readonly exact: Exact[] = []
  readonly #path: (string | number)[] = []
  readonly #ancestors: object[] = []
  readonly #budget = nodeBudget()
  readonly #copied = new Map<object, Copied>()

  value (value: unknown): unknown {
    if (--this.#budget.left < 0) overBudget()
    switch (typeof value) {
      case 'number':
        return Number.isFinite(value) ? value : this.#inexact(String(value))
      case 'bigint':
        return this.#inexact(value.toString())
      case 'string':
      case 'boolean':
        return value
      case 'object':
        return value === null ? null : this.#replaced(value)
      default:
        // undefined, a function or a symbol: null, as the document writes them.
        return null
    }
  }

  #inexact (literal: string): null {
    // The receiving worker refuses longer digits (its BigInt() would cost milliseconds a leaf).
    if (literal.length > MAX_LITERAL) throw new RangeError(`the value holds a bigint of ${literal.length} digits; the cluster carries at most ${MAX_LITERAL}`)
    this.exact.push([[...this.#path], literal])
    return null
  }

  #at (key: string | number, value: unknown): unknown {
    this.#path.push(key)
    const out = this.value(value)
    this.#path.pop()
    return out
  }

  #replaced (value: object): unknown {
    const toJSON = (value as { toJSON?: unknown }).toJSON
    if (typeof toJSON !== 'function') return this.#container(value)
    const replaced: unknown = toJSON.call(value)
    return typeof replaced === 'object' && replaced !== null ? this.#container(replaced) : this.value(replaced)
  }

  #container (value: object): unknown {
    if (this.#ancestors.includes(value)) throw new TypeError('the value contains a cycle')
    if (value instanceof Number || value instanceof String || value instanceof Boolean) return this.value(value.valueOf())
    if (typeof (value as { then?: unknown }).then === 'function') {
      throw new TypeError('the value contains a Promise; only the var itself may be async')
    }
    const copied = this.#copied.get(value)
    if (copied !== undefined) {
      // This node was counted by value(); the ones below it are charged now.
      this.#budget.left -= copied.nodes - 1
      if (this.#budget.left < 0) overBudget()
      for (const [path, literal] of copied.exact) this.exact.push([[...this.#path, ...path], literal])
      return copied.copy
    }
    const left = this.#budget.left + 1
    const from = this.exact.length
    this.#ancestors.push(value)
    let out: unknown
    if (Array.isArray(value)) {
      out = this.#array(value)
    } else if (value instanceof Map) {
      // Keys as strings, sorted, the later of two equal ones winning: as the document has them.
      const byKey = new Map<string, unknown>()
      Map.prototype.forEach.call(value, (item, key) => byKey.set(String(key), item))
      const object: Record<string, unknown> = {}
      for (const key of [...byKey.keys()].sort()) put(object, key, this.#at(key, byKey.get(key)))
      out = object
    } else if (value instanceof Set) {
      const items: unknown[] = []
      Set.prototype.forEach.call(value, (item) => items.push(item))
      out = this.#array(items)
    } else {
      const object: Record<string, unknown> = {}
      for (const key of Object.keys(value)) {
        const item = (value as Record<string, unknown>)[key]
        // Methods and symbols are not data: left out, as the document leaves them out.
        if (typeof item === 'function' || typeof item === 'symbol') continue
        put(object, key, this.#at(key, item))
      }
      out = object
    }
    this.#ancestors.pop()
    const depth = this.#path.length
    this.#copied.set(value, { copy: out, nodes: left - this.#budget.left, exact: this.exact.slice(from).map(([path, literal]) => [path.slice(depth), literal]) })
    return out
  }

  #array (items: readonly unknown[]): unknown[] {
    checkLength(items)
    const out = new Array<unknown>(items.length)
    for (let i = 0; i < items.length; i++) out[i] = this.#at(i, items[i])
    return out
  }
}

/** A reading as plain data. Throws where the document writer would (a cycle, a nested Promise). */
function toWire (reading: Reading): WireReading {
  const { name, kind, meta } = reading
  const wire: { name: string, kind: VarKind, meta?: VarMeta, value: unknown, exact?: readonly Exact[] } = { name, kind, value: reading.value }
  if (meta !== NO_META) wire.meta = meta
  if (isWireData(reading.value, MAX_NODES - 1) === NOT_PLAIN) {
    const plain = new Plain()
    wire.value = plain.value(reading.value)
    if (plain.exact.length > 0) wire.exact = plain.exact
  }
  return wire
}

/**
 * The values format: a scrape's readings as WireReadings. Self-rendering vars are read through
 * value(), as the exposition reads them. Stateless, so one serves every registry.
 */
export const VALUES_FORMAT: CoreFormat<WireReading[]> = {
  id: 'cluster-values',
  open () {
    const out: WireReading[] = []
    // A reading toWire() throws for is left out by the scrape, logged once.
    return { add: (reading) => { out.push(toWire(reading)) }, end: () => out }
  }
}

function leaf (literal: string): number | bigint {
  if (literal === 'NaN') return NaN
  if (literal === 'Infinity') return Infinity
  if (literal === '-Infinity') return -Infinity
  return BigInt(literal)
}

function copy (container: unknown): Record<string | number, unknown> {
  // A spread defines `__proto__` as an own key, as it was.
  return Array.isArray(container) ? container.slice() as unknown as Record<number, unknown> : { ...(container as object) }
}

/**
 * A reading from the wire made whole: the exact leaves put back. The containers on their paths are
 * copied, never changed: a worker's own readings may be shared with a scrape sent to a sibling.
 */
export function fromWire (wire: WireReading): ValueReading {
  const { name, kind, meta = NO_META, exact } = wire
  if (exact === undefined) return { name, kind, meta, value: wire.value }
  const root: Record<string | number, unknown> = { value: wire.value }
  const copied = new Set<unknown>()
  for (const [path, literal] of exact) {
    let parent = root
    let key: string | number = 'value'
    for (const step of path) {
      let child = parent[key]
      if (!copied.has(child)) {
        child = copy(child)
        copied.add(child)
        put(parent, key, child)
      }
      parent = child as Record<string | number, unknown>
      key = step
    }
    put(parent, key, leaf(literal))
  }
  return { name, kind, meta, value: root.value }
}
