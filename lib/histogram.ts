// The histogram kind: observations counted in buckets per label set, as Prometheus defines them, with prom-client's methods.
import { performance } from 'node:perf_hooks'
import type * as api from '../types/index.js'
import type { ExpvarLogger, HistogramLeaf, HistogramMeta, LabelValues, ReadingMeta } from '../types/index.js'
import { describe } from './describe.js'
import { FST_EXPVAR_INVALID_VALUE } from './errors.js'
import { checkHistogramMeta, refuseOwnFields, type HistogramSettings } from './histogram-settings.js'
import { boundText, leafJSON, leafOf, Series } from './histogram-series.js'
import { quote } from './go-escapes.js'
import { safeLog, WARNING_LOGGER } from './log.js'

/** The label value, for every label, of the series that counts the combinations past the cap. */
const OVERFLOW = '__overflow__'
const UNNAMED = '(a HistogramVar of no registry)'

/** The key of a histogram's method that names it and its logger once published: for the registry, not part of the public API. */
export const PUBLISHED = Symbol('fastify-expvar published')

/**
 * The metadata a histogram is published with: its own settings and the help given. A Prometheus
 * type, Map label or cluster rule is refused: a histogram has its own. It warns through log from now on.
 */
export function publishedMeta (name: string, histogram: HistogramVar, meta: ReadingMeta, log: ExpvarLogger): ReadingMeta {
  refuseOwnFields(name, meta)
  histogram[PUBLISHED](name, log)
  return meta.help === undefined || meta.help === histogram.settings.meta.help ? histogram.settings.meta : Object.freeze({ ...histogram.settings.meta, help: meta.help })
}

/** The keys of a histogram's methods that find a series and count in it: for the http builtin, not part of the public API. */
export const SERIES = Symbol('fastify-expvar series')
export const RECORD = Symbol('fastify-expvar record')

/** A level of the label tree: label value to the next level, the last level's to a series. */
type Level = Map<string, Level | Series>

/** A label value as the series are keyed by it: strings as they are, numbers as text, none as ''. */
function labelText (method: string, value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return String(value)
  if (value === undefined) return ''
  throw new FST_EXPVAR_INVALID_VALUE(method, 'a label value that is a string or a number', describe(value))
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
