// The neutral family model: what a builtin's value (or a var's) becomes in a metrics format, before any writer.

/** What a builtin or a var's value becomes: a metric family, before it is written. */
export interface MetricFamily {
  /** The family's name; a counter's without `_total` (the writer adds it to the samples). */
  readonly name: string
  readonly type: 'counter' | 'gauge' | 'untyped' | 'histogram'
  readonly help: string
  readonly samples: readonly MetricSample[]
  /**
   * The object the samples were made from, and from nothing else (a histogram's value, the same
   * object while nothing was observed): a builtin's families of the next scrape return this family
   * again, as it is, while the object is the same (keptFamily()).
   */
  readonly from?: object
}

export interface MetricSample {
  /** A histogram's `_bucket`, `_sum` or `_count`; nothing for the other types. */
  readonly suffix?: '_bucket' | '_sum' | '_count'
  readonly labels?: Readonly<Record<string, string>>
  /**
   * A `_bucket` sample's upper bound, its `le` label, written after `labels`: a histogram's
   * samples of one label set share one `labels` object, whose text the writer makes once.
   */
  readonly le?: string
  readonly value: number | bigint
}

/**
 * A value's families: how a builtin's value becomes prom-client's families. `last` is what the
 * same builtin's reading gave at the previous scrape of the same format (undefined at the first,
 * and in a cluster's readings): a family made from an unchanged object may be returned again.
 */
export type Families = (value: unknown, last?: readonly MetricFamily[]) => MetricFamily[]

/**
 * What a builtin's var carries beside its value, under the BUILTIN key: its families in the metrics
 * formats and its cluster rule. Each builtin's is its entry of the table in lib/builtins/index.ts;
 * any other var is mapped by each format's own rules.
 */
export interface BuiltinFaces {
  readonly name: string
  readonly families: Families
  /** One value from every answering worker's value of it, in worker order. */
  readonly aggregate: (values: readonly unknown[]) => unknown
}

/** The key of a builtin's faces on its var: read once, when the var is registered. */
export const BUILTIN = Symbol('fastify-expvar builtin')

/** A builtin's faces when v is a builtin's var, else undefined. */
export function facesOf (v: object): BuiltinFaces | undefined {
  return (v as { readonly [BUILTIN]?: BuiltinFaces })[BUILTIN]
}

/** The field at path in a value, or undefined: builtins read their values through it, never trusting their shape. */
export function field (value: unknown, ...path: string[]): unknown {
  let at = value
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined
    at = (at as Record<string, unknown>)[key]
  }
  return at
}

/**
 * The last scrape's family at index when it was made from the same object (a family's `from`),
 * else a new one, from the object, by make(): an unchanged histogram's samples are not made again.
 */
export function keptFamily (last: readonly MetricFamily[] | undefined, index: number, from: unknown, make: (from: unknown) => MetricFamily): MetricFamily {
  const old = last?.[index]
  if (old?.from !== undefined && old.from === from) return old
  const family = make(from)
  return typeof from === 'object' && from !== null ? { ...family, from } : family
}

/** A one-sample family of a builtin (a field that is not a number gives no sample). */
export function single (name: string, type: MetricFamily['type'], help: string, value: unknown): MetricFamily {
  return { name, type, help, samples: [{ value: value as number }] }
}

/** A number field divided into a base unit (ns to s, µs to s); undefined when it is not a number. */
export function scaled (value: unknown, divisor: number): number | undefined {
  return typeof value === 'number' ? value / divisor : undefined
}
