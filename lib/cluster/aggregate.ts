// The cluster's aggregation rules: pure functions from each worker's readings to one set of readings.
import type { BuiltinFaces } from '../families.js'
import { aggregateHistograms } from '../histogram-samples.js'
import { isPlainObject, put } from '../merge.js'

/** What the rules read of a var: its name, its plain value and how its metadata says to combine it. */
interface Reading {
  readonly name: string
  readonly kind?: string
  readonly value: unknown
  readonly meta?: { readonly aggregate?: Aggregate, readonly labels?: readonly string[] }
}

type Aggregate = 'sum' | 'max' | 'min' | 'avg' | 'first'

/** A var's readings combined; a histogram's with its text, which its value as a plain object cannot keep in order. */
type Aggregated<R extends Reading> = R & { readonly text?: string }

/** One worker's readings, as it sent its values. */
interface WorkerReadings<R extends Reading = Reading> {
  readonly worker: number
  readonly readings: readonly R[]
}

/** Combines the values of one var, given in worker-id order (only the workers that have it). */
type Rule = (values: readonly unknown[]) => unknown

function isNumeric (value: unknown): value is number | bigint {
  return typeof value === 'number' || typeof value === 'bigint'
}

const NUMERIC: Record<Exclude<Aggregate, 'first'>, (xs: readonly (number | bigint)[]) => unknown> = {
  sum: (xs) => xs.every((x) => typeof x === 'bigint')
    ? xs.reduce<bigint>((a, x) => a + (x as bigint), 0n)
    : xs.reduce<number>((a, x) => a + Number(x), 0),
  max: (xs) => xs.reduce((a, x) => x > a ? x : a),
  min: (xs) => xs.reduce((a, x) => x < a ? x : a),
  avg: (xs) => xs.reduce<number>((a, x) => a + Number(x), 0) / xs.length
}

/** The values at key of the objects that have it, in order. */
function at (objects: readonly Record<string, unknown>[], key: string): unknown[] {
  const present: unknown[] = []
  for (const object of objects) if (Object.hasOwn(object, key)) present.push(object[key])
  return present
}

/** Every key of the objects, the first object's order first. */
function keysOf (objects: readonly Record<string, unknown>[]): string[] {
  const first = objects[0] as Record<string, unknown>
  const keys = Object.keys(first)
  // Workers mostly have the same keys: a key of the first is found without a scan of the list.
  let seen: Set<string> | undefined
  for (let i = 1; i < objects.length; i++) {
    for (const key of Object.keys(objects[i] as Record<string, unknown>)) {
      if (Object.hasOwn(first, key)) continue
      seen ??= new Set(keys)
      if (!seen.has(key)) {
        seen.add(key)
        keys.push(key)
      }
    }
  }
  return keys
}

/** The sum of values that are all numbers; undefined as soon as one is not (the general rule then applies). */
function sumOfNumbers (values: readonly unknown[]): number | undefined {
  let sum = 0
  for (const value of values) {
    if (typeof value !== 'number') return undefined
    sum += value
  }
  return sum
}

/**
 * The generic rule: numbers by `how`, plain objects key by key (recursively, keys in the order the
 * lowest-numbered worker has them), anything else (strings, arrays, a mix) from the first worker.
 * Ordinary objects, not prototype-free ones: V8 keeps those in dictionary mode, which made the
 * writing of the cluster's document twice as slow.
 */
export function combine (values: readonly unknown[], how: Aggregate): unknown {
  if (how === 'first' || values.length === 1) return values[0]
  // The common case, Ints and Map keys summed, without the general rule's passes over the values.
  const sum = how === 'sum' ? sumOfNumbers(values) : undefined
  if (sum !== undefined) return sum
  if (values.every(isNumeric)) return NUMERIC[how](values)
  if (!values.every(isPlainObject)) return values[0]
  const out: Record<string, unknown> = {}
  for (const key of keysOf(values)) put(out, key, combine(at(values, key), how))
  return out
}

/** A rule per field of an object value; fields it does not name are summed (numbers) or taken from the first. */
export function byField (fields: Readonly<Record<string, Aggregate>>, special: Readonly<Record<string, Rule>> = {}): Rule {
  return (values) => {
    const objects = values.filter(isPlainObject)
    if (objects.length === 0) return values[0]
    const out: Record<string, unknown> = {}
    for (const key of keysOf(objects)) {
      const present = at(objects, key)
      const rule = special[key]
      put(out, key, rule !== undefined ? rule(present) : combine(present, fields[key] ?? 'sum'))
    }
    return out
  }
}

/** Told the workers whose values of a histogram were left out of the cluster's, their bounds not the others'. */
export type Skipped = (name: string, workers: readonly number[]) => void

/**
 * The cluster's readings: one per name any worker has, sorted by name, each combined from the
 * workers that have it, and otherwise the lowest-numbered worker's reading (its kind, its
 * metadata). `builtins` are the builtins in use, whose rules apply to their names; a histogram
 * (or a Map of them) is added bucket by bucket, a worker whose bounds differ told to `skipped`;
 * any other var goes by its `aggregate` (default sum: numbers summed, objects key by key).
 */
export function aggregate<R extends Reading> (workers: readonly WorkerReadings<R>[], builtins: ReadonlyMap<string, BuiltinFaces> = new Map(), skipped?: Skipped): Aggregated<R>[] {
  const ordered = [...workers].sort((a, b) => a.worker - b.worker)
  const byName = new Map<string, R[]>()
  // The worker of each reading in byName's lists, for a histogram's skipped ones.
  const workersOf = new Map<string, number[]>()
  for (const { worker, readings } of ordered) {
    for (const reading of readings) {
      const list = byName.get(reading.name)
      if (list === undefined) {
        byName.set(reading.name, [reading])
        workersOf.set(reading.name, [worker])
      } else {
        list.push(reading)
        ;(workersOf.get(reading.name) as number[]).push(worker)
      }
    }
  }
  const names = [...byName.keys()].sort((a, b) => a < b ? -1 : 1)
  return names.map((name) => {
    const list = byName.get(name) as R[]
    const first = list[0] as R
    const values = list.map((reading) => reading.value)
    const rule = builtins.get(name)?.aggregate
    const histogram = rule === undefined ? aggregateHistograms(first.kind, first.meta, values) : undefined
    if (histogram !== undefined && histogram.skipped.length > 0) skipped?.(name, histogram.skipped.map((i) => (workersOf.get(name) as number[])[i] as number))
    if (histogram !== undefined) return { ...first, value: histogram.value, text: histogram.text }
    return { ...first, value: rule !== undefined ? rule(values) : combine(values, first.meta?.aggregate ?? 'sum') }
  })
}
