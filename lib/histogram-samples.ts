// A histogram's readings for the formats and the cluster: its document value as Prometheus samples, and several workers' values added.
import type { HistogramLeaf, ReadingMeta } from '../types/index.js'
import type { MetricSample } from './families.js'
import { leafJSON, leafOf } from './histogram-series.js'
import { quote } from './go-escapes.js'
import { isPlainObject, put } from './merge.js'

/** A histogram document's leaves with the label values above each, in order, walking `depth` levels of labels. */
function leavesOf (value: unknown, depth: number, path: string[] = [], out: [string[], Record<string, unknown>][] = []): [string[], Record<string, unknown>][] {
  if (!isPlainObject(value)) return out
  if (depth === 0) {
    out.push([path, value])
    return out
  }
  for (const key of Object.keys(value)) leavesOf(value[key], depth - 1, [...path, key], out)
  return out
}

/** A leaf's bucket keys by bound, +Inf last: an object's own order puts integer keys first. */
function boundsOf (buckets: Record<string, unknown>): [number, string][] {
  return Object.keys(buckets).map((key): [number, string] => [key === '+Inf' ? Infinity : Number(key), key]).sort((a, b) => a[0] - b[0])
}

/**
 * A histogram's value (as the document has it, by label names nested) as Prometheus samples:
 * per label set, `_bucket` for each bound with `le` as the document's key, `_sum` and `_count`.
 */
export function histogramSamples (value: unknown, labels: readonly string[]): MetricSample[] {
  const samples: MetricSample[] = []
  // Every leaf of a HistogramVar has the same bucket keys in the same order: sorted once.
  let keys: readonly string[] = []
  let order: readonly string[] = []
  for (const [path, leaf] of leavesOf(value, labels.length)) {
    const set: Record<string, string> = {}
    for (let i = 0; i < labels.length; i++) put(set, labels[i] as string, path[i] as string)
    // A leaf as a HistogramVar writes it: a value of another shape throws here, and the format leaves the var out.
    const buckets = leaf.buckets as Record<string, unknown>
    const own = Object.keys(buckets)
    if (!sameKeys(own, keys)) {
      keys = own
      order = boundsOf(buckets).map(([, key]) => key)
    }
    // One label set object for all of a leaf's samples: the writer writes its labels once per leaf.
    for (const le of order) samples.push({ suffix: '_bucket', labels: set, le, value: buckets[le] as number })
    samples.push({ suffix: '_sum', labels: set, value: leaf.sum as number }, { suffix: '_count', labels: set, value: leaf.count as number })
  }
  return samples
}

function sameKeys (a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false
  }
  return true
}

/** Whether a value is one label set's counts as the document writes them: count, sum and buckets up to `+Inf`. */
export function isHistogramLeaf (value: unknown): value is Record<string, unknown> & { buckets: Record<string, unknown> } {
  return isPlainObject(value) && typeof value.count === 'number' && typeof value.sum === 'number' && isPlainObject(value.buckets) && Object.hasOwn(value.buckets, '+Inf')
}

/** Whether a Map's value is a histogram per key: at least one key, each an unlabelled histogram's counts. */
export function isHistogramMap (value: object): boolean {
  const keys = Object.keys(value)
  return keys.length > 0 && keys.every((key) => isHistogramLeaf((value as Record<string, unknown>)[key]))
}

/** The bound keys of a leaf, in bound order, as one string: two leaves count alike when theirs are the same. */
function boundsKey (leaf: Record<string, unknown>): string | undefined {
  return isHistogramLeaf(leaf) ? boundsOf(leaf.buckets).map(([, key]) => key).join(' ') : undefined
}

/** One histogram's values added: the value, its text as a HistogramVar writes it, and the values left out. */
interface Merged {
  readonly value: unknown
  /** Buckets in bound order and label values sorted as strings, which a plain object's own key order would not keep. */
  readonly text: string
  readonly skipped: number[]
}

/**
 * Several processes' values of one histogram as one: per label set, counts, sums and buckets
 * added, the quantiles estimated again from the added buckets. The first value with observations
 * sets the bounds; the indexes of values whose bounds differ are `skipped`, their counts left out.
 */
export function mergeHistograms (values: readonly unknown[], depth: number): Merged {
  const bySet = new Map<string, { path: string[], leaves: Record<string, unknown>[] }>()
  const skipped: number[] = []
  let bounds: string | undefined
  for (let i = 0; i < values.length; i++) {
    const leaves = leavesOf(values[i], depth)
    const keys = leaves.map(([, leaf]) => boundsKey(leaf))
    bounds ??= keys[0]
    if (keys.some((key) => key === undefined || key !== bounds)) {
      skipped.push(i)
      continue
    }
    for (const [path, leaf] of leaves) {
      const id = path.join('\0')
      const set = bySet.get(id)
      if (set === undefined) bySet.set(id, { path, leaves: [leaf] })
      else set.leaves.push(leaf)
    }
  }
  const out: Record<string, unknown> = {}
  const texts = new Map<object, string>()
  for (const id of [...bySet.keys()].sort()) {
    const { path, leaves } = bySet.get(id) as { path: string[], leaves: Record<string, unknown>[] }
    const [leaf, text] = addLeaves(leaves)
    if (path.length === 0) return { value: leaf, text, skipped }
    texts.set(leaf, text)
    let at = out
    for (let i = 0; i < path.length - 1; i++) {
      const step = path[i] as string
      if (!Object.hasOwn(at, step)) put(at, step, {})
      at = at[step] as Record<string, unknown>
    }
    put(at, path[path.length - 1] as string, leaf)
  }
  return { value: out, text: nestJSON(out, depth, texts), skipped }
}

/** A nest of label values as HistogramVar.string() writes it: keys sorted as strings at every level. */
function nestJSON (level: Record<string, unknown>, depth: number, texts: ReadonlyMap<object, string>): string {
  let out = '{'
  for (const key of Object.keys(level).sort()) {
    const next = level[key] as Record<string, unknown>
    out += (out === '{' ? '' : ',') + quote(key) + ':' + (depth === 1 ? texts.get(next) as string : nestJSON(next, depth - 1, texts))
  }
  return out + '}'
}

/**
 * The cluster's rule for a histogram's values, or a Map's of histograms: counts, sums and buckets
 * added per label set, by mergeHistograms(); undefined for the values of any other var.
 */
export function aggregateHistograms (kind: string | undefined, meta: ReadingMeta | undefined, values: readonly unknown[]): Merged | undefined {
  // A reading from the wire has metadata (NO_META when its worker sent none); a histogram's has its label names.
  const labels: unknown = kind === 'histogram' ? (meta as ReadingMeta).labels : undefined
  if (Array.isArray(labels)) return mergeHistograms(values, labels.length)
  if (kind === 'map' && values.every((value) => isPlainObject(value) && isHistogramMap(value))) return mergeHistograms(values, 1)
  return undefined
}

function addLeaves (leaves: readonly Record<string, unknown>[]): [HistogramLeaf, string] {
  const ordered = boundsOf((leaves[0] as Record<string, unknown>).buckets as Record<string, unknown>)
  const cumulative = new Float64Array(ordered.length)
  let sum = 0
  for (const leaf of leaves) {
    const buckets = leaf.buckets as Record<string, unknown>
    for (let i = 0; i < ordered.length; i++) cumulative[i] = (cumulative[i] as number) + Number(buckets[(ordered[i] as [number, string])[1]])
    sum += Number(leaf.sum)
  }
  const bounds = ordered.slice(0, -1).map(([bound]) => bound)
  const keys = ordered.map(([, key]) => key)
  return [leafOf(bounds, keys, cumulative, sum), leafJSON(bounds, keys.map((key) => quote(key) + ':'), cumulative, sum)]
}
