// The Prometheus exposition formats, text 0.0.4 and OpenMetrics 1.0.0, written from a scrape's readings.
import { type Fail, type Format, type Reading, writeEach, type Writer } from '../collect.js'

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

/** A builtin's mapping of its value to prom-client's families. */
export type Exposer = (value: unknown) => MetricFamily[]

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

/** The part of a scrape's reading this format reads. */
export interface ExpositionReading {
  readonly name: string
  readonly kind: string
  readonly meta: { readonly help?: string, readonly type?: 'counter' | 'gauge', readonly label?: string }
  readonly value: unknown
  /** Constant labels (a cluster's `worker`), added to every sample of the reading. */
  readonly labels?: Readonly<Record<string, string>>
}

export interface ExpositionOptions<R extends ExpositionReading = ExpositionReading> {
  readonly openmetrics: boolean
  /** Prefixed, with `_`, to every name a var's value gives (not to the builtins' fixed names). */
  readonly namespace: string
  /** The families a builtin's reading becomes, or undefined for an ordinary var. */
  readonly builtin: (reading: R) => MetricFamily[] | undefined
  /** Names already sanitised, raw to Prometheus: the format's own, kept across scrapes. */
  readonly names: Map<string, string>
  /** Leaves a reading out of the scrape and logs why (a value that throws when read, a cycle, a name taken). */
  readonly fail: (reading: R, err: unknown) => void
}

export const DEFAULT_LABEL = 'key'
const COMBINING_MARKS = /[\u0300-\u036f]/g
// A name prefix in snake_case, so that the names it starts stay promtool-clean.
const NAMESPACE = /^[a-z_][a-z0-9_]*$/
export const NAMESPACE_EXPECTED = 'a snake_case Prometheus name prefix ([a-z_][a-z0-9_]*) or ""'

export function isNamespace (value: unknown): value is string {
  return value === '' || (typeof value === 'string' && NAMESPACE.test(value))
}
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

/**
 * A Prometheus name for any string: snake_case, lower case, `[a-z0-9_]` only, one `_` for each run
 * of anything else, and a leading `_` before a digit. Stricter than the format requires (it allows
 * capitals and `:`): promtool's lint refuses camelCase and colons (reserved for recording rules), and
 * a run of `__` (reserved for Prometheus' own labels), and Go-style names are camelCase. Accented
 * letters lose their accents (`ü` → `u`) rather than become `_`, which would split words.
 */
export function metricName (raw: string): string {
  const snake = raw.normalize('NFKD').replace(COMBINING_MARKS, '').replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2').toLowerCase()
  const name = snake.replace(/[^a-z0-9]+/g, '_')
  return /^[0-9]/.test(name) ? '_' + name : name
}

// Both formats escape these three in label values; OpenMetrics the same in HELP, text 0.0.4 only
// the backslash and the newline there.
const LABEL_ESCAPE = /[\\"\n]/g
const TEXT_HELP_ESCAPE = /[\\\n]/g
const ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n' }
const escape = (c: string): string => ESCAPES[c] as string

/** A sample value: integers exact (bigints too), and the spellings both formats parse for the rest. */
export function formatValue (value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString()
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return Number.isInteger(value) && Math.abs(value) >= 2 ** 53 ? BigInt(value).toString() : String(value)
}

function writeLabels (labels: Readonly<Record<string, string>> | undefined, constant: Readonly<Record<string, string>> | undefined): string {
  let out = ''
  for (const set of [labels, constant]) {
    if (set === undefined) continue
    for (const name of Object.keys(set)) {
      out += (out === '' ? '' : ',') + name + '="' + (set[name] as string).replace(LABEL_ESCAPE, escape) + '"'
    }
  }
  return out === '' ? '' : '{' + out + '}'
}

/** A family being written: its header fields and the sample lines of every reading it has. */
interface Written {
  readonly family: MetricFamily
  /** The var (and path in its value) the family belongs to: readings of the same var share it. */
  readonly owner: string
  lines: string
}

/** The names a family's lines use in either format: two families must not share one. */
function namesOf (family: MetricFamily): string[] {
  const { name, type } = family
  if (type === 'counter') return [name, name + '_total']
  if (type === 'histogram') return [name, name + '_bucket', name + '_sum', name + '_count']
  return [name]
}

type Leaf = [path: string[], value: number | bigint]

function numeric (value: unknown): number | bigint | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') return value
  if (typeof value === 'boolean') return value ? 1 : 0
  return undefined
}

/** The numeric leaves of a value with their key paths; strings, nulls and arrays have none. */
function collectLeaves (value: unknown, path: string[], out: Leaf[], ancestors: unknown[]): void {
  const n = numeric(value)
  if (n !== undefined) {
    out.push([path, n])
    return
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Set || ArrayBuffer.isView(value)) return
  if (ancestors.includes(value)) throw new TypeError(`the value has a cycle at ${path.join('.')}`)
  ancestors.push(value)
  const entries: Iterable<[unknown, unknown]> = value instanceof Map ? value.entries() : Object.entries(value)
  for (const [key, child] of entries) collectLeaves(child, [...path, String(key)], out, ancestors)
  ancestors.pop()
}

// Sanitising was most of the writer's time per family, and a service's names repeat at every
// scrape: each format keeps the names it made. Bounded, for vars whose keys are ever new.
const MAX_NAMES = 50_000

function cachedName (names: Map<string, string>, raw: string): string {
  let name = names.get(raw)
  if (name === undefined) {
    if (names.size >= MAX_NAMES) names.clear()
    name = metricName(raw)
    names.set(raw, name)
  }
  return name
}

/** A counter's family name: without a `_total` the var's name may already end in. */
function familyName (names: Map<string, string>, raw: string, type: MetricFamily['type']): string {
  const name = cachedName(names, raw)
  return type === 'counter' && name.endsWith('_total') && name !== '_total' ? name.slice(0, -6) : name
}

/** The families an ordinary var's value becomes, with each one's owner. */
function varFamilies (reading: ExpositionReading, namespace: string, names: Map<string, string>): [MetricFamily, string][] {
  const { name, meta, value } = reading
  const type = meta.type ?? 'untyped'
  const full = namespace === '' ? name : namespace + '_' + name
  const help = (path: string[]): string => meta.help ?? `expvar ${[name, ...path].join('.')}`
  if (reading.kind === 'map' && typeof value === 'object' && value !== null) {
    // A label name as the registry checked it: its snake_case form is never empty.
    const label = cachedName(names, meta.label ?? DEFAULT_LABEL)
    const samples: MetricSample[] = []
    for (const key of Object.keys(value)) {
      const n = numeric((value as Record<string, unknown>)[key])
      if (n !== undefined) samples.push({ labels: { [label]: key }, value: n })
    }
    if (label in (reading.labels ?? {})) throw new TypeError(`its label "${label}" is also a constant label of the scrape`)
    return [[{ name: familyName(names, full, type), type, help: help([]), samples }, name]]
  }
  const leaves: Leaf[] = []
  collectLeaves(value, [], leaves, [])
  return leaves.map(([path, n]) => [
    { name: familyName(names, [full, ...path].join('_'), type), type, help: help(path), samples: [{ value: n }] },
    [name, ...path].join('\0')
  ])
}

/** The first family of a reading whose names an earlier one took (or that takes a name twice), with the taker. */
function clashOf (mine: readonly [MetricFamily, string][], taken: ReadonlyMap<string, Written>): [string, string] | undefined {
  const claimed = new Map<string, string>()
  for (const [family, owner] of mine) {
    for (const name of namesOf(family)) {
      const other = taken.get(name)
      const by = other === undefined ? claimed.get(name) : other.owner
      // The same var again (a cluster worker's reading) adds samples to its family; anything else clashes.
      if (by !== undefined && (by !== owner || (other !== undefined && other.family.type !== family.type))) {
        return [family.name, by.split('\0').filter(Boolean).join('.')]
      }
      claimed.set(name, owner)
    }
  }
  return undefined
}

/** Writes readings (sorted by name) in text 0.0.4 or OpenMetrics 1.0.0, one family per name. */
export function writeExposition<R extends ExpositionReading> (readings: readonly R[], options: ExpositionOptions<R>): string {
  return writeEach(openExposition(options), readings)
}

/** The exposition of readings added one at a time, in name order. */
export function openExposition<R extends ExpositionReading> (options: ExpositionOptions<R>): Writer<R> {
  const { openmetrics, namespace } = options
  const families = new Map<string, Written>()
  // Every name a family's lines use, with the family that took it first.
  const taken = new Map<string, Written>()
  const add = (reading: R): void => {
    let mine: [MetricFamily, string][]
    try {
      const builtin = options.builtin(reading)
      mine = builtin === undefined ? varFamilies(reading, namespace, options.names) : builtin.map((family) => [family, `builtin ${reading.name}\0${family.name}`])
    } catch (err) {
      options.fail(reading, err)
      return
    }
    const clash = clashOf(mine, taken)
    if (clash !== undefined) {
      // The first var keeps the name: a second family of it would make the whole scrape invalid.
      options.fail(reading, new Error(`its Prometheus name ${clash[0]} is taken by ${clash[1]}`))
      return
    }
    for (const [family, owner] of mine) {
      let written = families.get(family.name)
      if (written === undefined) {
        written = { family, owner, lines: '' }
        families.set(family.name, written)
        for (const name of namesOf(family)) taken.set(name, written)
      }
      written.lines += writeSamples(family, reading.labels)
    }
  }
  const end = (): string => {
    let out = ''
    for (const { family, lines } of families.values()) {
      if (lines !== '') out += writeHeader(family, openmetrics) + lines
    }
    return openmetrics ? out + '# EOF\n' : out
  }
  return { add, end }
}

function writeHeader (family: MetricFamily, openmetrics: boolean): string {
  const { name, type, help } = family
  // Text 0.0.4 names a counter's family as its samples are named; OpenMetrics without the suffix.
  const header = !openmetrics && type === 'counter' ? name + '_total' : name
  const typeName = openmetrics && type === 'untyped' ? 'unknown' : type
  const text = openmetrics ? help.replace(LABEL_ESCAPE, escape) : help.replace(TEXT_HELP_ESCAPE, escape)
  return `# HELP ${header} ${text}\n# TYPE ${header} ${typeName}\n`
}

function writeSamples (family: MetricFamily, constant: Readonly<Record<string, string>> | undefined): string {
  let out = ''
  for (const sample of family.samples) {
    // A builtin's field that is not a number (a merged user value) has no sample.
    if (typeof sample.value !== 'number' && typeof sample.value !== 'bigint') continue
    const suffix = family.type === 'counter' ? '_total' : sample.suffix ?? ''
    out += family.name + suffix + writeLabels(sample.labels, constant) + ' ' + formatValue(sample.value) + '\n'
  }
  return out
}

/**
 * An exposition format for registry.scrape(). `builtin` finds the families of a builtin's reading
 * (the registry knows which vars are builtins); ordinary vars are mapped by the rules above.
 */
export function expositionFormat (openmetrics: boolean, namespace: string, builtin: ExpositionOptions<Reading>['builtin']): Format {
  const names = new Map<string, string>()
  const open = (fail: Fail): Writer => openExposition({ openmetrics, namespace, builtin, fail, names })
  return {
    id: `${openmetrics ? 'openmetrics' : 'prometheus'}:${namespace}`,
    // Self-rendering vars are read through value(): their JSON text is of no use here.
    own: 'value',
    open,
    write: (readings, fail) => writeEach(open(fail), readings)
  }
}
