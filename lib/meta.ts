// A var's metadata (help, type, label, aggregate): checked once when it is published, combined per name.
import type { VarMeta } from '../types/index.js'
import { describe } from './describe.js'
import { FST_EXPVAR_INVALID_META } from './errors.js'

export const META_KEYS = ['help', 'type', 'label', 'aggregate'] as const satisfies ReadonlyArray<keyof VarMeta>
const TYPES: ReadonlyArray<VarMeta['type']> = ['counter', 'gauge']
const AGGREGATES: ReadonlyArray<VarMeta['aggregate']> = ['sum', 'max', 'min', 'avg', 'first']
// Prometheus' label names; `__` is reserved for its own.
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const RESERVED_LABELS: readonly string[] = ['le', 'quantile']

export const NO_META: VarMeta = Object.freeze({})

function refuse (name: string, key: string, expected: string, got: unknown): never {
  throw new FST_EXPVAR_INVALID_META(name, `${key} must be ${expected}, got ${describe(got)}`)
}

/** The metadata fields of a meta argument or a definition, checked; unknown keys are refused unless `others` allows them. */
export function checkMeta (name: string, given: unknown, others: readonly string[] = []): VarMeta {
  if (given === undefined) return NO_META
  if (typeof given !== 'object' || given === null) refuse(name, 'meta', 'an object { help, type, label, aggregate }', given)
  const source = given as Record<string, unknown>
  const meta: { -readonly [K in keyof VarMeta]: VarMeta[K] } = {}
  for (const key of Object.keys(source)) {
    if (!(META_KEYS as readonly string[]).includes(key) && !others.includes(key)) {
      refuse(name, key, `one of ${META_KEYS.join(', ')}`, key)
    }
  }
  const { help, type, label, aggregate } = source
  if (help !== undefined) {
    // promtool refuses a family without help text: an empty one is no help, nor one of white space
    // alone (the parser skips the blanks before the text).
    if (typeof help !== 'string') refuse(name, 'help', 'a string', help)
    if (help.trim() === '') refuse(name, 'help', 'a string with a character other than white space', help)
    meta.help = help
  }
  if (type !== undefined) {
    if (!TYPES.includes(type as VarMeta['type'])) refuse(name, 'type', "'counter' or 'gauge'", type)
    meta.type = type as VarMeta['type']
  }
  if (label !== undefined) {
    if (typeof label !== 'string' || !LABEL_NAME.test(label) || label.startsWith('__')) {
      refuse(name, 'label', 'a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)', label)
    }
    // Reserved by the formats: a histogram's bucket bound and a summary's quantile, which
    // promtool refuses on any other family.
    // In any case: the exposition writes a Map's label in snake_case, so `LE` would be `le` there.
    if (RESERVED_LABELS.includes(label.toLowerCase())) refuse(name, 'label', `a label name other than ${RESERVED_LABELS.join(' and ')} in any case (reserved by the exposition formats)`, label)
    meta.label = label
  }
  if (aggregate !== undefined) {
    if (!AGGREGATES.includes(aggregate as VarMeta['aggregate'])) refuse(name, 'aggregate', AGGREGATES.map(describe).join(', '), aggregate)
    meta.aggregate = aggregate as VarMeta['aggregate']
  }
  return Object.freeze(meta)
}

/** The field where a and b disagree (both set, different values), if any. */
export function conflict (a: VarMeta, b: VarMeta): keyof VarMeta | undefined {
  return META_KEYS.find((key) => a[key] !== undefined && b[key] !== undefined && a[key] !== b[key])
}

/** a and b as one: every field set in either (they must not conflict). */
export function combineMeta (a: VarMeta, b: VarMeta): VarMeta {
  if (b === NO_META) return a
  if (a === NO_META) return b
  return Object.freeze({ ...a, ...b })
}
