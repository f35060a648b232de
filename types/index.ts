// The public types of fastify-expvar and the FastifyInstance augmentation.
import type { RouteShorthandOptions } from 'fastify'

/** What a second registration of a name does: merge (plain objects) / later wins, or throw. */
export type Collisions = 'merge' | 'error'

/** The opt-in Node runtime vars. */
export type BuiltinName = 'resource' | 'process' | 'eventloop' | 'gc' | 'http'

export interface CmdlineOptions {
  /** Replace the values of secret-looking flags and URL credentials with `[REDACTED]`. Default `true`. */
  redact?: boolean
}

/** The minimal logger the registry writes to: pino's shape, object first. */
export interface ExpvarLogger {
  warn (obj: object, msg: string): void
  error (obj: object, msg: string): void
}

/** Route options passed through to the GET route (auth hooks, logLevel, config, …). */
export type ExpvarRouteOptions = Omit<RouteShorthandOptions, 'schema'> & {
  schema?: { hide?: boolean, tags?: readonly string[], summary?: string, description?: string }
}

/** The live dashboard. */
export interface UiOptions {
  /** The page's path; its assets are served below it. Default `'/debug/vars/ui'`. */
  url?: string
}

interface PluginOptions {
  /** App folders; each one's `expvars/` subfolder is autoloaded. Relative paths resolve against `process.cwd()`. */
  apps?: readonly string[]
  /** App folders to ignore, by folder name or resolved path. */
  skip?: readonly string[]
  /** Route path, or `false` for no route. Default `'/debug/vars'`. */
  url?: string | false
  /** Passed through to the route. */
  route?: ExpvarRouteOptions
  /** Go's `cmdline` var. Default `true` (redacted). */
  cmdline?: boolean | CmdlineOptions
  /** Go's `memstats` var. Default `true`. */
  memstats?: boolean
  /** More runtime vars by name. Default `[]`. */
  builtins?: readonly BuiltinName[]
  /** The live dashboard: a page that polls the document and charts it. Needs the document route (`url` not `false`). Default `false`. */
  ui?: boolean | UiOptions
  /** In a `node:cluster` worker: every scrape answers for the whole cluster. Default `false`. */
  cluster?: boolean | ClusterOptions
  /** The same vars in Prometheus text / OpenMetrics at `prometheus.url`. Default `false`. */
  prometheus?: boolean | PrometheusOptions
  /** Refused: the plugin is wrapped with fastify-plugin, so Fastify's `prefix` would be ignored. Use `url`. */
  prefix?: never
}

/** The plugin makes its own registry, with these settings. */
interface OwnRegistryOptions extends PluginOptions {
  /** Default `'merge'`. */
  collisions?: Collisions
  /** Milliseconds a value may take before it is left out of a scrape. Default `500`. */
  timeout?: number
  registry?: undefined
}

export interface ClusterOptions {
  /** Milliseconds to wait for the other workers' values; a worker slower than this is `missing`. Default `1000`. */
  timeout?: number
}

/** `aggregateWorkers(options)` in the primary. */
export interface AggregateWorkersOptions {
  /** Where the relay says that it dropped a worker's message that did not fit the protocol (once per worker). Default: process warnings. */
  readonly log?: ExpvarLogger
}

/** What `aggregateWorkers()` returns in the primary. */
export interface WorkerAggregator {
  /** Stops relaying and removes the relay's listeners; the workers then answer alone. Idempotent. */
  stop (): void
}

/** The plugin uses a registry it is handed, which keeps its own `collisions` and `timeout`. */
interface GivenRegistryOptions extends PluginOptions {
  /** A registry to use instead of a fresh one. */
  registry: Registry
  collisions?: never
  timeout?: never
}

export interface PrometheusOptions {
  /** Route path of the exposition. Default `'/metrics'`. */
  url?: string
  /** Prefixed, with `_`, to every var's Prometheus name (not to the builtins' prom-client names). Default `''`. */
  namespace?: string
}

export interface MetricsOptions extends DocumentOptions {
  /** OpenMetrics 1.0.0 (ending in `# EOF`) instead of Prometheus text 0.0.4. Default `false`. */
  openmetrics?: boolean
  /** As the `prometheus.namespace` option. Default `''`. */
  namespace?: string
}

/** The plugin's options: `collisions` and `timeout` only when it makes its own registry. */
export type FastifyExpvarOptions = OwnRegistryOptions | GivenRegistryOptions

export interface RegistryOptions {
  /** Default `'merge'`. */
  collisions?: Collisions
  /** Milliseconds a value may take before it is left out of a scrape. Default `500`. */
  timeout?: number
  /** Where failures and collisions are logged. Default: `process.emitWarning`. */
  logger?: ExpvarLogger
}

/** What a Prometheus family is: a counter (only goes up) or a gauge; without one, `untyped`. */
export type MetricType = 'counter' | 'gauge'

/** How a cluster combines the workers' values of a var. */
export type Aggregate = 'sum' | 'max' | 'min' | 'avg' | 'first'

/** What describes a var beyond its value: ignored by Go's document, used by Prometheus and cluster aggregation. */
export interface VarMeta {
  /** The `# HELP` text. */
  readonly help?: string
  /** `counter` or `gauge`; default none (Prometheus `untyped`, OpenMetrics `unknown`). */
  readonly type?: MetricType
  /** The label name a Map's keys take in Prometheus. Default `key`. */
  readonly label?: string
  /** How a cluster combines the workers' values. Default: numbers summed, plain objects key by key, anything else from the lowest-numbered worker. */
  readonly aggregate?: Aggregate
}

/** Anything published: Go's `Var`. `string()` is its JSON text, `value()` its plain value. */
export interface Var {
  value (): unknown
  string (): string
  /** Where the var comes from, named in warnings and failure logs. Default: the registering file and line. */
  readonly source?: string
}

/** A var definition: a name and a function that returns (or resolves to) the value, with optional metadata. */
export interface VarDefinition extends VarMeta {
  readonly name: string
  value (): unknown
  /** Where the var comes from, named in warnings and failure logs. Default: the registering file and line. */
  readonly source?: string
}

/** A class whose instances are var definitions (a subclass of `ExpVar`). */
export type VarDefinitionClass = new () => VarDefinition

export type Definition = VarDefinition | VarDefinitionClass

/** What `do()` hands its callback: Go's `KeyValue`. */
export interface KeyValue {
  readonly key: string
  readonly value: Var
}

/** What `MapVar.do()` hands its callback: a key set to `null` holds no var. */
export interface MapKeyValue {
  readonly key: string
  readonly value: Var | null
}

export interface DocumentOptions {
  /** Only these names. */
  vars?: readonly string[]
  /** Log this scrape's failures here instead of the registry's logger (e.g. `request.log`). */
  log?: ExpvarLogger
}

/** What made a value: one of Go's handles, a histogram, a function, or any other var. */
export type VarKind = 'int' | 'float' | 'string' | 'map' | 'histogram' | 'func' | 'custom'

/** A reading's metadata: the var's, and for a histogram its bounds and label names (always set). */
export interface ReadingMeta extends VarMeta {
  /** A histogram's upper bounds, increasing (`+Inf` is implied last). */
  readonly buckets?: readonly number[]
  /** A histogram's label names, in the order its value is nested by them. */
  readonly labels?: readonly string[]
}

/** A name's value at one scrape, as a format's writer gets it. */
export interface Reading {
  readonly name: string
  readonly kind: VarKind
  readonly meta: ReadingMeta
  /** The value, already pulled (awaited within the timeout) and merged: a handle's value() too. */
  readonly value: unknown
}

/** Leaves a reading out of this scrape and logs why, once until it recovers. */
export type Fail = (reading: Reading, err: unknown) => void

/**
 * An output format, for `registry.scrape()`: `open(fail)` starts a body, whose writer is handed
 * each reading in name order (a large scrape's in slices, with event-loop turns between them),
 * then `end()` returns the body. A reading the writer cannot write goes to `fail` (or its add()
 * throws) and is left out, logged once; an end() that throws rejects the scrape.
 */
export interface Format {
  /** Scrapes in flight are shared per format and selection. */
  readonly id: string
  open (fail: Fail): Writer
}

/** A body being written: readings added in name order, then `end()` returns it. */
export interface Writer {
  add (reading: Reading): void
  end (): string
}

/** Go's `*expvar.Int`: an integer, exact up to 2^53 (a sum past it is refused). */
export interface IntVar extends Var {
  add (delta: number): void
  set (value: number): void
  value (): number
  string (): string
}

/** Go's `*expvar.Float`: a finite float64. */
export interface FloatVar extends Var {
  add (delta: number): void
  set (value: number): void
  value (): number
  string (): string
}

/** Go's `*expvar.String`. */
export interface StringVar extends Var {
  set (value: string): void
  value (): string
  string (): string
}

/** Go's `expvar.Func`: a function pulled at every scrape. */
export interface FuncVar extends Var {
  value (): unknown
  string (): string
}

/** Go's `*expvar.Map`: string keys to vars, written in key order. */
export interface MapVar extends Var {
  /** Adds delta to the Int at key, creating it. */
  add (key: string, delta: number): void
  /** Adds delta to the Float at key, creating it. */
  addFloat (key: string, delta: number): void
  set (key: string, value: Var | null): void
  get (key: string): Var | null | undefined
  delete (key: string): void
  /** Removes every key. */
  init (): this
  do (fn: (kv: MapKeyValue) => void): void
  value (): Record<string, unknown>
  string (): string
}

/** What describes a histogram: `histogram(name, meta?)` and `new HistogramVar(meta?)`. */
export interface HistogramMeta<L extends string = string> {
  /** The `# HELP` text. */
  readonly help?: string
  /** Upper bounds, finite and strictly increasing; `+Inf` is always added. Default prom-client's `[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]`. */
  readonly buckets?: readonly number[]
  /** Label names (not `le` or `quantile`, not starting with `__`). Default none. */
  readonly labels?: readonly L[]
  /** Label sets kept; past it, new ones are counted in one overflow series (label values `__overflow__`), with a warning once. Default `2000`. */
  readonly maxSeries?: number
}

/** A histogram's label values by label name: strings, or numbers (written as text). A label left out is `''`. */
export type LabelValues<L extends string = string> = Partial<Record<L, string | number>>

/** One label set's counts in the document: buckets cumulative, as Prometheus' `le`; quantiles as `histogram_quantile()` estimates them, `null` at count 0. */
export interface HistogramLeaf {
  readonly count: number
  readonly sum: number
  /** Upper bound (as text, `+Inf` last) to the count of observations at most that bound. */
  readonly buckets: Readonly<Record<string, number>>
  readonly p50: number | null
  readonly p90: number | null
  readonly p99: number | null
}

/** A histogram's value: a leaf, or with labels, leaves nested by label values in label order. */
export type HistogramDocument = HistogramLeaf | { readonly [labelValue: string]: HistogramDocument }

/** What `labels(...)` returns: the histogram bound to one label set. */
export interface HistogramChild<L extends string = string> {
  observe (value: number): void
  /** Starts a timer; `end(labels?)` observes the seconds since and returns them. */
  startTimer (): (labels?: LabelValues<L>) => number
}

/** A histogram, in prom-client's shape: observations counted per bucket, per label set. */
export interface HistogramVar<L extends string = string> extends Var {
  /** Counts a finite number; a bad one (NaN, not a number, an unknown label) is a coded error and counts nothing. */
  observe (value: number): void
  observe (labels: LabelValues<L>, value: number): void
  /** Starts a timer; `end(labels?)` observes the seconds since (labels merged with these) and returns them. */
  startTimer (labels?: LabelValues<L>): (labels?: LabelValues<L>) => number
  /** The histogram bound to one label set: a value per label, in order, or an object of them. */
  labels (...values: (string | number)[]): HistogramChild<L>
  labels (values: LabelValues<L>): HistogramChild<L>
  /** Forgets every observation and label set. */
  reset (): void
  value (): HistogramDocument
  string (): string
}

/** `HistogramVar` as a value: `new HistogramVar(meta?)`. */
export interface HistogramVarConstructor {
  new <L extends string = string>(meta?: HistogramMeta<L>): HistogramVar<L>
  readonly prototype: HistogramVar
}

/** A set of published vars: what `fastify.expvar` is; `new Registry()` makes one of its own. */
export interface Registry {
  /**
   * Publishes a var: `register(name, () => value, meta?)`, `register(name, varObject, meta?)`, or
   * `register(def)` with `{ name, value, ...meta }`, an ExpVar instance or an ExpVar subclass.
   */
  register (name: string, value: (() => unknown) | Var, meta?: VarMeta): Var
  register (def: Definition): Var
  /** Go's NewInt, get-or-create: the IntVar published as name. */
  int (name: string, meta?: VarMeta): IntVar
  /** Go's NewFloat, get-or-create. */
  float (name: string, meta?: VarMeta): FloatVar
  /** Go's NewString, get-or-create. */
  string (name: string, meta?: VarMeta): StringVar
  /** Go's NewMap, get-or-create. */
  map (name: string, meta?: VarMeta): MapVar
  /** Go's Publish(name, Func(fn)), get-or-create. */
  func (name: string, fn: () => unknown, meta?: VarMeta): FuncVar
  /** A histogram, get-or-create: asked again, the same bounds and labels (or none) return the same one. */
  histogram<L extends string = string> (name: string, meta?: HistogramMeta<L>): HistogramVar<L>
  /** The var published as name (the first, where several registrations share it), as Go's Get. */
  get (name: string): Var | undefined
  /** Removes name (with a var: only that registration of it). True when something was removed. */
  delete (name: string, v?: Var): boolean
  /** The published names, sorted. */
  names (): string[]
  /** Calls fn for each published name, sorted, with its (first) var: Go's Do. */
  do (fn: (kv: KeyValue) => void): void
  /** The document as a plain object: exactly what the route sends, parsed. */
  snapshot (options?: DocumentOptions): Promise<Record<string, unknown>>
  /** The document exactly as the route sends it, in Go's framing. Rejects, never throws. */
  document (options?: DocumentOptions): Promise<string>
  /** The vars in Prometheus text 0.0.4, or OpenMetrics 1.0.0 with `openmetrics: true`. Rejects, never throws. */
  metrics (options?: MetricsOptions): Promise<string>
  /** One scrape of the vars in a format of your own. Rejects, never throws. */
  scrape (format: Format, options?: DocumentOptions): Promise<string>
}

/** A handle class as a value: `new IntVar()`, `x instanceof MapVar`, `class X extends StringVar`. */
export interface Handle<T, Args extends unknown[] = []> {
  new (...args: Args): T
  readonly prototype: T
}

/** `Registry` as a value: `new Registry(options)`. */
export interface RegistryConstructor {
  new (options?: RegistryOptions): Registry
  readonly prototype: Registry
}

declare module 'fastify' {
  interface FastifyInstance {
    expvar: Registry
  }
}
