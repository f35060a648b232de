// The histogram kind: observations counted in buckets per label set, as Prometheus defines them, with prom-client's methods.
import { performance } from 'node:perf_hooks'
import type * as api from '../types/index.js'
import type { ExpvarLogger, HistogramLeaf, HistogramMeta, LabelValues, ReadingMeta } from '../types/index.js'
import { describe } from './describe.js'
import { FST_EXPVAR_INVALID_META, FST_EXPVAR_INVALID_VALUE } from './errors.js'
import { numberJSON, quote } from './json.js'
import { safeLog, WARNING_LOGGER } from './log.js'
import { checkMeta } from './meta.js'
import type { MetricSample } from './families.js'
import { isPlainObject, put } from './merge.js'

/** prom-client's default upper bounds, in seconds: a web request's latencies. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
/**
 * Label combinations a histogram keeps before new ones go to the overflow series: OpenTelemetry's
 * default cardinality limit. Each one costs its buckets in memory and bounds + 3 lines per scrape.
 */
export const DEFAULT_MAX_SERIES = 2000
/** The label value, for every label, of the series that counts the combinations past the cap. */
export const OVERFLOW = '__overflow__'
/** The quantiles the document shows, and the keys it shows them under. */
const QUANTILES = [[0.5, 'p50'], [0.9, 'p90'], [0.99, 'p99']] as const
// Prometheus' label names; `le` is a histogram's own, `__` is reserved for Prometheus'.
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const HISTOGRAM_KEYS = ['help', 'buckets', 'labels', 'maxSeries']
const UNNAMED = '(a HistogramVar of no registry)'

/** A bound as both the document's keys and the exposition's `le` write it: as the document writes numbers, integers exact. */
export function boundText (bound: number): string {
  return numberJSON(bound)
}

/** The key of a histogram's method that names it and its logger once published: for the registry, not part of the public API. */
export const PUBLISHED = Symbol('fastify-expvar published')

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
    if (label === 'le') refuse(name, `labels[${i}]`, "a label name other than 'le' (the bucket's own)", label)
    if (labels.indexOf(label) !== i) refuse(name, `labels[${i}]`, 'a label name not given twice', label)
  }
  return Object.freeze([...labels as string[]])
}

/** A histogram's meta argument, checked: a coded error for anything a histogram cannot be made with. */
export function checkHistogramMeta (name: string, given: unknown): HistogramSettings {
  const base = checkMeta(name, given, HISTOGRAM_KEYS)
  for (const key of ['type', 'label', 'aggregate'] as const) {
    if (base[key] !== undefined) refuse(name, key, 'left out for a histogram (its type, labels and cluster rule are its own)', base[key])
  }
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

/**
 * The metadata a histogram is published with: its own settings and the help given. A Prometheus
 * type, Map label or cluster rule is refused: a histogram has its own. It warns through log from now on.
 */
export function publishedMeta (name: string, histogram: HistogramVar, meta: ReadingMeta, log: ExpvarLogger): ReadingMeta {
  for (const key of ['type', 'label', 'aggregate'] as const) {
    if (meta[key] !== undefined) refuse(name, key, 'left out for a histogram (its type, labels and cluster rule are its own)', meta[key])
  }
  histogram[PUBLISHED](name, log)
  return meta.help === undefined || meta.help === histogram.settings.meta.help ? histogram.settings.meta : Object.freeze({ ...histogram.settings.meta, help: meta.help })
}

/**
 * The quantile q of cumulative bucket counts (the last one +Inf's), as Prometheus'
 * histogram_quantile() estimates it: linear within the bucket that holds the rank, the first
 * bucket starting at 0, the highest finite bound where the rank falls in +Inf's. Null without observations.
 */
export function quantile (q: number, bounds: readonly number[], cumulative: ArrayLike<number>): number | null {
  const count = cumulative[bounds.length] as number
  if (!(count > 0)) return null
  let rank = q * count
  let b = 0
  while ((cumulative[b] as number) < rank) b++
  if (b === bounds.length) return bounds[bounds.length - 1] as number
  const end = bounds[b] as number
  if (b === 0 && end <= 0) return end
  let start = 0
  let inBucket = cumulative[b] as number
  if (b > 0) {
    const below = cumulative[b - 1] as number
    start = bounds[b - 1] as number
    inBucket -= below
    rank -= below
  }
  return start + (end - start) * (rank / inBucket)
}

/** The keys of a histogram's methods that find a series and count in it: for the http builtin, not part of the public API. */
export const SERIES = Symbol('fastify-expvar series')
export const RECORD = Symbol('fastify-expvar record')

/** One label set's counts: per bucket (not cumulative; the last is past every bound), sum and count. */
export class Series {
  readonly counts: Float64Array
  sum = 0
  count = 0

  constructor (size: number) {
    this.counts = new Float64Array(size + 1)
  }

  /** The counts up to each bound, +Inf's last: Prometheus' `le` buckets. */
  cumulative (): Float64Array {
    const out = new Float64Array(this.counts.length)
    let acc = 0
    for (let i = 0; i < out.length; i++) {
      acc += this.counts[i] as number
      out[i] = acc
    }
    return out
  }
}

/** A level of the label tree: label value to the next level, the last level's to a series. */
type Level = Map<string, Level | Series>

/** A label value as the series are keyed by it: strings as they are, numbers as text, none as ''. */
function labelText (method: string, value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return String(value)
  if (value === undefined) return ''
  throw new FST_EXPVAR_INVALID_VALUE(method, 'a label value that is a string or a number', describe(value))
}

/** The leaf of the document for counts: count, sum, cumulative buckets by bound and the quantiles. */
export function leafOf (bounds: readonly number[], texts: readonly string[], cumulative: ArrayLike<number>, sum: number): HistogramLeaf {
  const buckets: Record<string, number> = {}
  for (let i = 0; i <= bounds.length; i++) buckets[texts[i] as string] = cumulative[i] as number
  const count = cumulative[bounds.length] as number
  return {
    count,
    sum,
    buckets,
    p50: quantile(0.5, bounds, cumulative),
    p90: quantile(0.9, bounds, cumulative),
    p99: quantile(0.99, bounds, cumulative)
  }
}

/** The leaf's JSON text with the buckets in bound order (an object's integer keys would come first). */
function leafJSON (bounds: readonly number[], keys: readonly string[], cumulative: ArrayLike<number>, sum: number): string {
  const count = cumulative[bounds.length] as number
  let out = '{"count":' + numberJSON(count) + ',"sum":' + numberJSON(sum) + ',"buckets":{'
  for (let i = 0; i <= bounds.length; i++) out += (i === 0 ? '' : ',') + (keys[i] as string) + numberJSON(cumulative[i] as number)
  out += '}'
  for (const [q, key] of QUANTILES) {
    const value = quantile(q, bounds, cumulative)
    out += ',"' + key + '":' + (value === null ? 'null' : numberJSON(value))
  }
  return out + '}'
}

/** A bound child: prom-client's `labels(...)`, observing into one label set. */
class Child<L extends string> implements api.HistogramChild {
  constructor (private readonly histogram: HistogramVar<L>, private readonly labels: LabelValues<L>) {}

  observe (value: number): void {
    this.histogram.observe(this.labels, value)
  }

  startTimer (): (labels?: LabelValues<L>) => number {
    return this.histogram.startTimer(this.labels)
  }
}

/** The histogram kind: `histogram(name, meta?)` on the registry, or `new HistogramVar(meta?)`. */
export class HistogramVar<L extends string = string> implements api.HistogramVar<L> {
  readonly #bounds: readonly number[]
  readonly #names: readonly string[]
  readonly #maxSeries: number
  readonly #settings: HistogramSettings
  // Each bound's text, '+Inf' last; and as a JSON key with its colon.
  readonly #texts: readonly string[]
  readonly #keys: readonly string[]
  /** The one series of a histogram without labels. */
  #root: Series
  /** The label tree of one with labels: a level per label name, in order. */
  #tree: Level = new Map()
  #series = 0
  #warned = false
  // Moves at every observation and reset: the text and value made at a version are kept for it.
  #version = 0
  #textVersion = -1
  #text = ''
  #valueVersion = -1
  #value: api.HistogramDocument | undefined
  #name = UNNAMED
  #log: ExpvarLogger = WARNING_LOGGER

  constructor (meta?: HistogramMeta<L>) {
    this.#settings = checkHistogramMeta(UNNAMED, meta)
    this.#bounds = this.#settings.buckets
    this.#names = this.#settings.labels
    this.#maxSeries = this.#settings.maxSeries
    this.#texts = Object.freeze([...this.#bounds.map(boundText), '+Inf'])
    this.#keys = this.#texts.map((text) => quote(text) + ':')
    this.#root = new Series(this.#bounds.length)
  }

  /** Where the histogram is published, for its warning: the first registry's name and logger. */
  [PUBLISHED] (name: string, log: ExpvarLogger): void {
    if (this.#name !== UNNAMED) return
    this.#name = name
    this.#log = log
  }

  /** What its readings carry: its help, buckets and label names. */
  get settings (): HistogramSettings {
    return this.#settings
  }

  observe (value: number): void
  observe (labels: LabelValues<L>, value: number): void
  observe (labels: LabelValues<L> | number, value?: number): void {
    let series: Series
    if (typeof labels === 'object' && labels !== null) {
      if (typeof value !== 'number' || !Number.isFinite(value)) this.#refuse(value)
      series = this.#names.length === 0 ? this.#unlabelled(labels) : this.#find(labels)
    } else {
      value = labels as number
      if (typeof value !== 'number' || !Number.isFinite(value)) this.#refuse(value)
      series = this.#names.length === 0 ? this.#root : this.#find({})
    }
    this[RECORD](series, value)
  }

  /** The series of label values given in label order: for the http builtin, which keeps each one it finds. */
  [SERIES] (values: readonly string[]): Series {
    const labels: Record<string, string> = {}
    for (let i = 0; i < this.#names.length; i++) labels[this.#names[i] as string] = values[i] as string
    return this.#find(labels as LabelValues<L>)
  }

  /** Counts a finite value in one of this histogram's series. */
  [RECORD] (series: Series, value: number): void {
    const sum = series.sum + value
    if (!Number.isFinite(sum)) throw new FST_EXPVAR_INVALID_VALUE('HistogramVar.observe', 'a value that keeps the sum finite', `${value}, which would make it ${sum}`)
    const bounds = this.#bounds
    let i = 0
    while (i < bounds.length && value > (bounds[i] as number)) i++
    series.counts[i] = (series.counts[i] as number) + 1
    series.sum = sum
    series.count++
    this.#version++
  }

  startTimer (labels?: LabelValues<L>): (labels?: LabelValues<L>) => number {
    const start = performance.now()
    return (more) => {
      const seconds = (performance.now() - start) / 1e3
      const all = labels === undefined ? more : more === undefined ? labels : { ...labels, ...more }
      if (all === undefined) this.observe(seconds)
      else this.observe(all, seconds)
      return seconds
    }
  }

  labels (...values: (string | number)[]): api.HistogramChild<L>
  labels (values: LabelValues<L>): api.HistogramChild<L>
  labels (...args: unknown[]): api.HistogramChild<L> {
    const first = args[0]
    if (typeof first === 'object' && first !== null && args.length === 1) {
      this.#checkNames(first)
      for (const name of this.#names) labelText('HistogramVar.labels', (first as Record<string, unknown>)[name])
      return new Child(this, first as LabelValues<L>)
    }
    if (args.length !== this.#names.length) {
      throw new FST_EXPVAR_INVALID_VALUE('HistogramVar.labels', `a value for each label (${this.#names.join(', ') || 'none'}), or an object of them`, `${args.length} values`)
    }
    const labels: Record<string, string> = {}
    for (let i = 0; i < args.length; i++) labels[this.#names[i] as string] = labelText('HistogramVar.labels', args[i])
    return new Child(this, labels as LabelValues<L>)
  }

  /** Forgets every observation and label set, as prom-client's reset(). */
  reset (): void {
    this.#root = new Series(this.#bounds.length)
    this.#tree = new Map()
    this.#series = 0
    this.#warned = false
    this.#version++
  }

  value (): api.HistogramDocument {
    if (this.#valueVersion !== this.#version) {
      this.#value = this.#names.length === 0 ? this.#leaf(this.#root) : this.#levelValue(this.#tree, 1)
      this.#valueVersion = this.#version
    }
    return this.#value as api.HistogramDocument
  }

  string (): string {
    if (this.#textVersion !== this.#version) {
      this.#text = this.#names.length === 0 ? this.#leafJSON(this.#root) : this.#levelJSON(this.#tree, 1)
      this.#textVersion = this.#version
    }
    return this.#text
  }

  #leaf (series: Series): HistogramLeaf {
    return Object.freeze(leafOf(this.#bounds, this.#texts, series.cumulative(), series.sum))
  }

  #leafJSON (series: Series): string {
    return leafJSON(this.#bounds, this.#keys, series.cumulative(), series.sum)
  }

  #levelValue (level: Level, depth: number): api.HistogramDocument {
    const out: Record<string, api.HistogramDocument> = {}
    for (const key of [...level.keys()].sort()) {
      const next = level.get(key) as Level | Series
      const value = depth === this.#names.length ? this.#leaf(next as Series) : this.#levelValue(next as Level, depth + 1)
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
      else out[key] = value
    }
    return out
  }

  #levelJSON (level: Level, depth: number): string {
    let out = '{'
    for (const key of [...level.keys()].sort()) {
      const next = level.get(key) as Level | Series
      out += (out === '{' ? '' : ',') + quote(key) + ':' + (depth === this.#names.length ? this.#leafJSON(next as Series) : this.#levelJSON(next as Level, depth + 1))
    }
    return out + '}'
  }

  #refuse (value: unknown): never {
    throw new FST_EXPVAR_INVALID_VALUE('HistogramVar.observe', 'a finite number', describe(value))
  }

  #checkNames (labels: object): void {
    for (const name in labels) {
      if (!this.#names.includes(name)) {
        throw new FST_EXPVAR_INVALID_VALUE('HistogramVar.observe', this.#names.length === 0 ? 'no labels (the histogram has none)' : `labels among ${this.#names.join(', ')}`, describe(name))
      }
    }
  }

  /** The series of a histogram without labels, observed with a labels object: one that names none. */
  #unlabelled (labels: object): Series {
    this.#checkNames(labels)
    return this.#root
  }

  /** The series of a label set, created (or the overflow series, past the cap); nothing is changed when a label is bad. */
  #find (labels: LabelValues<L>): Series {
    this.#checkNames(labels)
    const names = this.#names
    let at: Level | Series = this.#tree
    for (let i = 0; i < names.length; i++) {
      const next: Level | Series | undefined = (at as Level).get(labelText('HistogramVar.observe', labels[names[i] as L]))
      if (next === undefined) return this.#create(labels)
      at = next
    }
    return at as Series
  }

  #create (labels: LabelValues<L>): Series {
    const names = this.#names
    const values = names.map((name) => labelText('HistogramVar.observe', labels[name as L]))
    if (this.#series >= this.#maxSeries) {
      if (!this.#warned) {
        this.#warned = safeLog(this.#log, 'warn', { var: this.#name, maxSeries: this.#maxSeries }, `expvar: histogram "${this.#name}" has ${this.#maxSeries} label sets; new ones are counted in one overflow series, whose label values are all "${OVERFLOW}"`)
      }
      values.fill(OVERFLOW)
      const overflow = this.#path(values)
      if (overflow !== undefined) return overflow
    } else {
      this.#series++
    }
    let level = this.#tree
    for (let i = 0; i < values.length - 1; i++) {
      let next = level.get(values[i] as string) as Level | undefined
      if (next === undefined) {
        next = new Map()
        level.set(values[i] as string, next)
      }
      level = next
    }
    const series = new Series(this.#bounds.length)
    level.set(values[values.length - 1] as string, series)
    return series
  }

  #path (values: readonly string[]): Series | undefined {
    let at: Level | Series | undefined = this.#tree
    for (const value of values) {
      at = (at as Level).get(value)
      if (at === undefined) return undefined
    }
    return at as Series
  }
}

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
  for (const [path, leaf] of leavesOf(value, labels.length)) {
    const set: Record<string, string> = {}
    for (let i = 0; i < labels.length; i++) put(set, labels[i] as string, path[i] as string)
    // A leaf as a HistogramVar writes it: a value of another shape throws here, and the format leaves the var out.
    const buckets = leaf.buckets as Record<string, unknown>
    for (const [, le] of boundsOf(buckets)) samples.push({ suffix: '_bucket', labels: { ...set, le }, value: buckets[le] as number })
    samples.push({ suffix: '_sum', labels: set, value: leaf.sum as number }, { suffix: '_count', labels: set, value: leaf.count as number })
  }
  return samples
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

/**
 * Several processes' values of one histogram as one: per label set, counts, sums and buckets
 * added, the quantiles estimated again from the added buckets. The first value with observations
 * sets the bounds; the indexes of values whose bounds differ are `skipped`, their counts left out.
 */
export function mergeHistograms (values: readonly unknown[], depth: number): { value: unknown, skipped: number[] } {
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
  for (const id of [...bySet.keys()].sort()) {
    const { path, leaves } = bySet.get(id) as { path: string[], leaves: Record<string, unknown>[] }
    const leaf = addLeaves(leaves)
    if (path.length === 0) return { value: leaf, skipped }
    let at = out
    for (let i = 0; i < path.length - 1; i++) {
      const step = path[i] as string
      if (!Object.hasOwn(at, step)) put(at, step, {})
      at = at[step] as Record<string, unknown>
    }
    put(at, path[path.length - 1] as string, leaf)
  }
  return { value: out, skipped }
}

/**
 * The cluster's rule for a histogram's values, or a Map's of histograms: counts, sums and buckets
 * added per label set, by mergeHistograms(); undefined for the values of any other var.
 */
export function aggregateHistograms (kind: string | undefined, meta: ReadingMeta | undefined, values: readonly unknown[]): { value: unknown, skipped: number[] } | undefined {
  // A reading from the wire has metadata (NO_META when its worker sent none); a histogram's has its label names.
  const labels: unknown = kind === 'histogram' ? (meta as ReadingMeta).labels : undefined
  if (Array.isArray(labels)) return mergeHistograms(values, labels.length)
  if (kind === 'map' && values.every((value) => isPlainObject(value) && isHistogramMap(value))) return mergeHistograms(values, 1)
  return undefined
}

function addLeaves (leaves: readonly Record<string, unknown>[]): HistogramLeaf {
  const ordered = boundsOf((leaves[0] as Record<string, unknown>).buckets as Record<string, unknown>)
  const cumulative = new Float64Array(ordered.length)
  let sum = 0
  for (const leaf of leaves) {
    const buckets = leaf.buckets as Record<string, unknown>
    for (let i = 0; i < ordered.length; i++) cumulative[i] = (cumulative[i] as number) + Number(buckets[(ordered[i] as [number, string])[1]])
    sum += Number(leaf.sum)
  }
  const bounds = ordered.slice(0, -1).map(([bound]) => bound)
  return leafOf(bounds, ordered.map(([, key]) => key), cumulative, sum)
}
