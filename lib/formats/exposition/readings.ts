// What the exposition reads of a scrape's reading, and the families an ordinary var's reading becomes (a builtin's bring their own).
import type { MetricFamily, MetricSample, Families } from '../../families.js'
import { histogramSamples, isHistogramMap } from '../../histogram-samples.js'
import { DEFAULT_LABEL, familyName, type NameCache, varFamily } from './names.js'
import { ENTER, LEAVE, type Token } from './tokens.js'

/** The part of a scrape's reading this format reads. */
export interface ExpositionReading {
  readonly name: string
  readonly kind: string
  readonly meta: { readonly help?: string, readonly type?: 'counter' | 'gauge', readonly label?: string, readonly labels?: readonly string[] }
  readonly value: unknown
  /** Constant labels (a cluster's `worker`), added to every sample of the reading. */
  readonly labels?: Readonly<Record<string, string>>
  /** A builtin's families; an ordinary var (undefined) is mapped by the rules here. */
  readonly builtin?: { readonly families: Families } | undefined
}

// Constant labels looked up by own key only: a label named `constructor` is not one of them.
const NO_LABELS: Readonly<Record<string, string>> = {}

/**
 * A counter's sample as OpenMetrics allows it: a number neither negative nor NaN (a strict
 * parser refuses the whole scrape otherwise). The var is left out of that scrape and logged.
 */
function counted (value: number | bigint, at: string): number | bigint {
  if (value < 0 || Number.isNaN(value)) throw new RangeError(`its counter ${at} is ${String(value)}: a counter is never negative or NaN`)
  return value
}

/** Whether a reading is read as a Map: one family, a sample per key. */
export function isMap (reading: ExpositionReading): boolean {
  return reading.kind === 'map' && typeof reading.value === 'object' && reading.value !== null
}

/** The families an ordinary var's reading becomes from its value's tokens, with each one's owner. */
export function varFamilies (reading: ExpositionReading, tokens: readonly Token[], namespace: string, names: NameCache, constant: ExpositionReading['labels']): [MetricFamily, string][] {
  const { name, meta } = reading
  const type = meta.type ?? 'untyped'
  const full = namespace === '' ? name : namespace + '_' + name
  const help = (path: string[]): string => meta.help ?? `expvar ${[name, ...path].join('.')}`
  if (isMap(reading)) {
    // A label name as the registry checked it: its snake_case form is never empty.
    const label = names.name(meta.label ?? DEFAULT_LABEL)
    const samples: MetricSample[] = []
    for (let i = 0; i < tokens.length; i += 2) {
      const value = tokens[i + 1] as number | bigint
      samples.push({ labels: { [label]: tokens[i] as string }, value: type === 'counter' ? counted(value, `key "${tokens[i] as string}"`) : value })
    }
    if (Object.hasOwn(constant ?? NO_LABELS, label)) throw new TypeError(`its label "${label}" is also a constant label of the scrape`)
    return [[varFamily(names, full, type, help([]), samples), name]]
  }
  const out: [MetricFamily, string][] = []
  const path: string[] = []
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token
    if (token === LEAVE) {
      path.pop()
      continue
    }
    // A key, then ENTER or its number; or a number alone, the value itself.
    const next = typeof token === 'string' ? tokens[++i] as Token : token
    if (next === ENTER) {
      path.push(token as string)
      continue
    }
    const at = typeof token === 'string' ? [...path, token] : []
    if (type === 'counter') counted(next as number | bigint, at.length === 0 ? 'value' : `at ${at.join('.')}`)
    out.push([
      varFamily(names, [full, ...at].join('_'), type, help(at), [{ value: next as number | bigint }]),
      [name, ...at].join('\0')
    ])
  }
  return out
}

/**
 * A histogram's reading, or a Map's whose every key holds an unlabelled histogram, as one
 * `histogram` family: `_bucket{le}`, `_sum` and `_count` per label set (the Map's key is its label).
 * Undefined for any other reading.
 */
export function histogramFamily (reading: ExpositionReading, namespace: string, names: NameCache, constant: ExpositionReading['labels']): MetricFamily | undefined {
  const { name, kind, meta, value } = reading
  let labels: readonly string[]
  // A histogram's reading always carries its label names (a worker's too: they travel in its meta).
  if (kind === 'histogram') labels = meta.labels as readonly string[]
  else if (isMap(reading) && isHistogramMap(value as object)) labels = [names.name(meta.label ?? DEFAULT_LABEL)]
  else return undefined
  for (const label of labels) {
    if (label === 'le') throw new TypeError('its label "le" is the name of a histogram\'s bucket bound')
    if (Object.hasOwn(constant ?? NO_LABELS, label)) throw new TypeError(`its label "${label}" is also a constant label of the scrape`)
  }
  const full = namespace === '' ? name : namespace + '_' + name
  const family = familyName(names, full, 'histogram')
  // A name that is a counter's suffix and nothing else keeps it: promtool refuses it on a histogram.
  if (family === '_total') throw new TypeError('its Prometheus name _total is a counter\'s suffix alone, which promtool refuses on a histogram')
  return { name: family, type: 'histogram', help: meta.help ?? `expvar ${name}`, samples: histogramSamples(value, labels) }
}
