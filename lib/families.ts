// The neutral family model: what a builtin's value (or a var's) becomes in a metrics format, before any writer.

/** What a builtin or a var's value becomes: a metric family, before it is written. */
export interface MetricFamily {
  /** The family's name; a counter's without `_total` (the writer adds it to the samples). */
  readonly name: string
  readonly type: 'counter' | 'gauge' | 'untyped' | 'histogram'
  readonly help: string
  readonly samples: readonly MetricSample[]
}

export interface MetricSample {
  /** A histogram's `_bucket`, `_sum` or `_count`; nothing for the other types. */
  readonly suffix?: '_bucket' | '_sum' | '_count'
  readonly labels?: Readonly<Record<string, string>>
  readonly value: number | bigint
}

/** A value's families: how a builtin's value becomes prom-client's families. */
export type Families = (value: unknown) => MetricFamily[]

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

/** A one-sample family of a builtin (a field that is not a number gives no sample). */
export function single (name: string, type: MetricFamily['type'], help: string, value: unknown): MetricFamily {
  return { name, type, help, samples: [{ value: value as number }] }
}

/** A number field divided into a base unit (ns to s, µs to s); undefined when it is not a number. */
export function scaled (value: unknown, divisor: number): number | undefined {
  return typeof value === 'number' ? value / divisor : undefined
}
