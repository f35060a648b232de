// A histogram's settings (buckets, label names, the series cap, help): the defaults, checked once, compared when asked for again.
import type { HistogramMeta, ReadingMeta, VarMeta } from '../types/index.js'
import { describe } from './describe.js'
import { FST_EXPVAR_INVALID_META } from './errors.js'
import { checkMeta } from './meta.js'

/** prom-client's default upper bounds, in seconds: a web request's latencies. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
/**
 * Label combinations a histogram keeps before new ones go to the overflow series: OpenTelemetry's
 * default cardinality limit. Each one costs its buckets in memory and bounds + 3 lines per scrape.
 */
const DEFAULT_MAX_SERIES = 2000
// Prometheus' label names; `le` is a histogram's own, `__` is reserved for Prometheus'.
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const HISTOGRAM_KEYS = ['help', 'buckets', 'labels', 'maxSeries']

/** What a histogram's meta argument sets: checked once, when the histogram is made. */
export interface HistogramSettings {
  /** What a reading of it carries: help, and the buckets and label names the formats write it with. */
  readonly meta: ReadingMeta
  readonly buckets: readonly number[]
  readonly labels: readonly string[]
  readonly maxSeries: number
}

function refuse (name: string, key: string, expected: string, got: unknown): never {
  throw new FST_EXPVAR_INVALID_META(name, `${key} must be ${expected}, got ${describe(got)}`)
}

function checkBuckets (name: string, buckets: unknown): readonly number[] {
  if (buckets === undefined) return DEFAULT_BUCKETS
  const expected = 'a non-empty array of finite numbers in strictly increasing order'
  if (!Array.isArray(buckets) || buckets.length === 0) refuse(name, 'buckets', expected, buckets)
  for (let i = 0; i < buckets.length; i++) {
    const bound: unknown = buckets[i]
    if (typeof bound !== 'number' || !Number.isFinite(bound)) refuse(name, `buckets[${i}]`, 'a finite number (+Inf is always the last bucket)', bound)
    if (i > 0 && !(bound > (buckets[i - 1] as number))) refuse(name, `buckets[${i}]`, `greater than buckets[${i - 1}] (${String(buckets[i - 1])})`, bound)
  }
  return Object.freeze([...buckets as number[]])
}

function checkLabels (name: string, labels: unknown): readonly string[] {
  if (labels === undefined) return Object.freeze([])
  if (!Array.isArray(labels)) refuse(name, 'labels', 'an array of label names', labels)
  for (let i = 0; i < labels.length; i++) {
    const label: unknown = labels[i]
    if (typeof label !== 'string' || !LABEL_NAME.test(label) || label.startsWith('__')) {
      refuse(name, `labels[${i}]`, 'a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)', label)
    }
    // Reserved by the formats: promtool refuses a `quantile` label on anything but a summary.
    if (label === 'le' || label === 'quantile') refuse(name, `labels[${i}]`, "a label name other than 'le' (the bucket's own) and 'quantile' (a summary's)", label)
    if (labels.indexOf(label) !== i) refuse(name, `labels[${i}]`, 'a label name not given twice', label)
  }
  return Object.freeze([...labels as string[]])
}

/** Refuses a Prometheus type, Map label or cluster rule for a histogram: it has its own. */
export function refuseOwnFields (name: string, meta: VarMeta): void {
  for (const key of ['type', 'label', 'aggregate'] as const) {
    if (meta[key] !== undefined) refuse(name, key, 'left out for a histogram (its type, labels and cluster rule are its own)', meta[key])
  }
}

/** A histogram's meta argument, checked: a coded error for anything a histogram cannot be made with. */
export function checkHistogramMeta (name: string, given: unknown): HistogramSettings {
  const base = checkMeta(name, given, HISTOGRAM_KEYS)
  refuseOwnFields(name, base)
  const source = (given ?? {}) as Record<string, unknown>
  const buckets = checkBuckets(name, source.buckets)
  const labels = checkLabels(name, source.labels)
  const { maxSeries = DEFAULT_MAX_SERIES } = source
  if (typeof maxSeries !== 'number' || !Number.isSafeInteger(maxSeries) || maxSeries < 1) refuse(name, 'maxSeries', 'a positive integer', maxSeries)
  const meta: { -readonly [K in keyof ReadingMeta]: ReadingMeta[K] } = { buckets, labels }
  if (base.help !== undefined) meta.help = base.help
  return { meta: Object.freeze(meta), buckets, labels, maxSeries }
}

/** A histogram's meta argument checked, holding only the fields given: what asking for it again must agree with. */
export function givenHistogramMeta (name: string, given: unknown): ReadingMeta {
  const { meta } = checkHistogramMeta(name, given)
  const source = (given ?? {}) as HistogramMeta
  if (source.buckets !== undefined && source.labels !== undefined) return meta
  const out: { -readonly [K in keyof ReadingMeta]: ReadingMeta[K] } = {}
  if (meta.help !== undefined) out.help = meta.help
  if (source.buckets !== undefined) out.buckets = meta.buckets
  if (source.labels !== undefined) out.labels = meta.labels
  return Object.freeze(out)
}

/** The field of a histogram's settings where a and b disagree (both set, different items), if any. */
export function settingsConflict (a: ReadingMeta, b: ReadingMeta): 'buckets' | 'labels' | undefined {
  const differ = (x: readonly unknown[] | undefined, y: readonly unknown[] | undefined): boolean =>
    x !== undefined && y !== undefined && (x.length !== y.length || x.some((item, i) => item !== y[i]))
  if (differ(a.buckets, b.buckets)) return 'buckets'
  return differ(a.labels, b.labels) ? 'labels' : undefined
}
