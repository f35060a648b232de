// The Prometheus exposition formats, text 0.0.4 and OpenMetrics 1.0.0, written from a scrape's readings.
import { type CoreFormat, type CoreWriter, type Fail, type Reading, writeEach } from '../../format.js'
import type { Families, MetricFamily, MetricSample } from '../../families.js'
import { histogramSamples, isHistogramMap } from '../../histogram-samples.js'
import { DEFAULT_LABEL, familyName, NameCache, namesOf, varFamily } from './names.js'
import { ExpositionMemo, type Plan, type Rendered, sameFamily, sameShape, sameSources, sameTokens, writeChunk, type Written, CHUNK, type Chunk } from './reuse.js'
import { ENTER, LEAVE, mapTokens, type Token, tokensOf } from './tokens.js'

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

export interface ExpositionOptions<R extends ExpositionReading = ExpositionReading> {
  readonly openmetrics: boolean
  /** Prefixed, with `_`, to every name a var's value gives (not to the builtins' fixed names). */
  readonly namespace: string
  /** Names already sanitised, raw to Prometheus: the format's own, kept across scrapes. */
  readonly names: NameCache
  /** What the last scrape wrote, for the next one to reuse: the format's own, kept across scrapes. */
  readonly memo?: ExpositionMemo
  /** Leaves a reading out of the scrape and logs why (a value that throws when read, a cycle, a name taken). */
  readonly fail: (reading: R, err: unknown) => void
}

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

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

/** A label set's pairs, comma-separated, without the braces ('' for none). */
function labelPairs (set: Readonly<Record<string, string>> | undefined): string {
  let out = ''
  if (set === undefined) return out
  for (const name of Object.keys(set)) {
    out += (out === '' ? '' : ',') + name + '="' + (set[name] as string).replace(LABEL_ESCAPE, escape) + '"'
  }
  return out
}

function comma (a: string, b: string): string {
  return a === '' ? b : b === '' ? a : a + ',' + b
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
function isMap (reading: ExpositionReading): boolean {
  return reading.kind === 'map' && typeof reading.value === 'object' && reading.value !== null
}

/** The families an ordinary var's reading becomes from its value's tokens, with each one's owner. */
function varFamilies (reading: ExpositionReading, tokens: readonly Token[], namespace: string, names: NameCache): [MetricFamily, string][] {
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
    if (Object.hasOwn(reading.labels ?? NO_LABELS, label)) throw new TypeError(`its label "${label}" is also a constant label of the scrape`)
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
function histogramFamily (reading: ExpositionReading, namespace: string, names: NameCache): MetricFamily | undefined {
  const { name, kind, meta, value } = reading
  let labels: readonly string[]
  // A histogram's reading always carries its label names (a worker's too: they travel in its meta).
  if (kind === 'histogram') labels = meta.labels as readonly string[]
  else if (isMap(reading) && isHistogramMap(value as object)) labels = [names.name(meta.label ?? DEFAULT_LABEL)]
  else return undefined
  for (const label of labels) {
    if (label === 'le') throw new TypeError('its label "le" is the name of a histogram\'s bucket bound')
    if (Object.hasOwn(reading.labels ?? NO_LABELS, label)) throw new TypeError(`its label "${label}" is also a constant label of the scrape`)
  }
  const full = namespace === '' ? name : namespace + '_' + name
  return { name: familyName(names, full, 'histogram'), type: 'histogram', help: meta.help ?? `expvar ${name}`, samples: histogramSamples(value, labels) }
}

/**
 * The string, flattened: V8 turns a tree of concatenations into one flat string the first time a
 * character of it is read. Done once where a text is kept, so that every scrape's join copies
 * flat strings instead of walking trees (a join of the kept texts took 57-76 µs, 12-15 µs flat).
 */
function flat (text: string): string {
  text.charCodeAt(0)
  return text
}

/** A family written for one reading; the header of old, the same family's last text, when its name, type and help are the same. */
function render (family: MetricFamily, owner: string, labels: ExpositionReading['labels'], openmetrics: boolean, old?: Rendered): Rendered {
  const same = old !== undefined && old.family.name === family.name && old.family.type === family.type && old.family.help === family.help
  return {
    family,
    owner,
    names: same ? old.names : namesOf(family),
    header: same ? old.header : flat(writeHeader(family, openmetrics)),
    lines: flat(writeSamples(family, labels))
  }
}

/** The first family of a reading whose names an earlier one took (or that takes a name twice), with the taker. */
function clashOf (mine: readonly Rendered[], taken: ReadonlyMap<string, Written>): [string, string] | undefined {
  const claimed = new Map<string, string>()
  for (const { family, owner, names } of mine) {
    for (const name of names) {
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
export function openExposition<R extends ExpositionReading> (options: ExpositionOptions<R>): { add (reading: R): void, end (): string } {
  const { openmetrics, namespace, names, memo } = options
  // Each written reading's families; the names they take are checked at the end, all at once.
  const readings: R[] = []
  const added: (readonly Rendered[])[] = []
  let read = 0
  /**
   * A builtin's families, written; each one that writes the same text as at the last scrape is
   * the last one's (and all of them the last array when none changed), so that its chunk is kept.
   */
  const builtinRendered = (reading: R, families: Families): readonly Rendered[] => {
    // Constant labels (a cluster's) vary by reading: only a registry's own readings are kept.
    const keep = reading.labels === undefined ? memo?.builtins : undefined
    const kept = keep?.get(reading.name)
    const last = kept?.families === families ? kept.rendered : undefined
    const made = families(reading.value, last?.map((old) => old.family))
    let changed = last === undefined || last.length !== made.length
    const mine = made.map((family, i) => {
      const old = last?.[i]
      if (old !== undefined && sameFamily(old.family, family)) return old
      changed = true
      return render(family, `builtin ${reading.name}\0${family.name}`, reading.labels, openmetrics, old)
    })
    if (!changed) return last as readonly Rendered[]
    keep?.set(reading.name, { families, rendered: mine })
    return mine
  }
  /** A reading's families, written; an ordinary var's reused from the last scrape when its inputs are the same. */
  const rendered = (reading: R): readonly Rendered[] => {
    if (reading.builtin !== undefined) return builtinRendered(reading, reading.builtin.families)
    const { kind, value, meta: { help, type, label } } = reading
    const map = isMap(reading)
    // Constant labels (a cluster's) vary by reading: only a registry's own readings are kept.
    const keep = reading.labels === undefined ? memo?.vars : undefined
    const last = keep?.get(reading.name)
    const same = last !== undefined && last.kind === kind && last.map === map && last.help === help && last.type === type && last.label === label
    // A HistogramVar's value is the same object while nothing was observed: the same text.
    if (same && last.histogram && last.value === value) return last.rendered
    // A Map's own value is frozen while unchanged: the same one again has the same keys and numbers.
    if (same && !last.histogram && map && last.value === value && Object.isFrozen(value)) return last.rendered
    const histogram = histogramFamily(reading, namespace, names)
    if (histogram !== undefined) {
      const mine = [render(histogram, reading.name, reading.labels, openmetrics)]
      keep?.set(reading.name, { kind, map, help, type, label, value, tokens: [], histogram: true, rendered: mine })
      return mine
    }
    const tokens = map ? mapTokens(value as object) : tokensOf(value)
    if (same && !last.histogram && sameTokens(last.tokens, tokens)) return last.rendered
    const mine = varFamilies(reading, tokens, namespace, names).map(([family, owner]) => render(family, owner, reading.labels, openmetrics))
    keep?.set(reading.name, { kind, map, help, type, label, value, tokens, histogram: false, rendered: mine })
    return mine
  }
  const add = (reading: R): void => {
    read++
    try {
      added.push(rendered(reading))
      readings.push(reading)
    } catch (err) {
      options.fail(reading, err)
    }
  }
  const end = (): string => {
    let plan: Plan
    let clashes: readonly (readonly [number, Error])[]
    const last = memo?.added
    const replanned = !(last !== undefined && last.length === added.length && added.every((mine, i) => sameShape(mine, last[i] as readonly Rendered[])))
    if (!replanned) {
      // The same names for the same owners as at the last scrape: the same clashes, the same families.
      plan = (memo as ExpositionMemo).plan
      clashes = (memo as ExpositionMemo).clashes
    } else {
      [plan, clashes] = planOf(added)
    }
    if (memo !== undefined) {
      memo.added = added
      memo.plan = plan
      memo.clashes = clashes
      // Names come and go: the memo never outgrows the vars by much.
      // (memo.builtins holds one entry per builtin of the table at most: it needs no bound.)
      if (memo.vars.size > 2 * read + 64) memo.vars.clear()
    }
    // The first var keeps a name: a second family of it would make the whole scrape invalid.
    for (const [index, err] of clashes) options.fail(readings[index] as R, err)
    // A chunk whose families are the very ones of the last scrape (an unchanged var's are kept)
    // is the same text; the rest are written again. Joined once, so that the text is one flat
    // string: a tree of concatenations made the route's Buffer.byteLength() and the socket's
    // write walk it (20% of a loaded server's time).
    const at = ([reading, family]: readonly [number, number]): Rendered => (added[reading] as readonly Rendered[])[family] as Rendered
    const kept = memo === undefined || replanned ? [] : memo.chunks
    const chunks: Chunk[] = []
    for (let from = 0; from < plan.length; from += CHUNK) {
      const to = Math.min(plan.length, from + CHUNK)
      const old = kept[chunks.length]
      chunks.push(old !== undefined && sameSources(plan, from, to, at, old.sources) ? old : writeChunk(plan, from, to, at))
    }
    if (memo !== undefined) memo.chunks = chunks
    const out = chunks.map((chunk) => chunk.text)
    if (openmetrics) out.push('# EOF\n')
    return out.join('')
  }
  return { add, end }
}

/** The output's families from the readings' families, in order, and the readings left out because a name they need is taken. */
function planOf (added: readonly (readonly Rendered[])[]): [Plan, [number, Error][]] {
  const families = new Map<string, Written>()
  // Every name a family's lines use, with the family that took it first.
  const taken = new Map<string, Written>()
  const clashes: [number, Error][] = []
  for (let i = 0; i < added.length; i++) {
    const mine = added[i] as readonly Rendered[]
    const clash = clashOf(mine, taken)
    if (clash !== undefined) {
      clashes.push([i, new Error(`its Prometheus name ${clash[0]} is taken by ${clash[1]}`)])
      continue
    }
    for (let j = 0; j < mine.length; j++) {
      const { family, owner, names } = mine[j] as Rendered
      let written = families.get(family.name)
      if (written === undefined) {
        written = { family, owner, from: [] }
        families.set(family.name, written)
        for (const name of names) taken.set(name, written)
      }
      written.from.push([i, j])
    }
  }
  return [[...families.values()].map((written) => written.from), clashes]
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
  // The constant labels come last on every line; a label set shared by consecutive samples (a
  // histogram's leaf) is written once.
  const tail = labelPairs(constant)
  let set: MetricSample['labels'] | null = null
  let pairs = ''
  for (const sample of family.samples) {
    // A builtin's field that is not a number (a merged user value) has no sample.
    if (typeof sample.value !== 'number' && typeof sample.value !== 'bigint') continue
    const suffix = family.type === 'counter' ? '_total' : sample.suffix ?? ''
    if (sample.labels !== set) {
      set = sample.labels
      pairs = labelPairs(set)
    }
    const all = comma(sample.le === undefined ? pairs : comma(pairs, 'le="' + sample.le.replace(LABEL_ESCAPE, escape) + '"'), tail)
    out += family.name + suffix + (all === '' ? '' : '{' + all + '}') + ' ' + formatValue(sample.value) + '\n'
  }
  return out
}

/**
 * An exposition format for registry.scrape(): a builtin's reading becomes its own families, an
 * ordinary var's is mapped by the rules above.
 */
export function expositionFormat (openmetrics: boolean, namespace: string): CoreFormat<string> {
  const names = new NameCache()
  const memo = new ExpositionMemo()
  const open = (fail: Fail): CoreWriter<string> => openExposition<Reading>({ openmetrics, namespace, fail, names, memo })
  // In a cluster, each worker's samples are labelled worker="<id>", not summed.
  return { id: `${openmetrics ? 'openmetrics' : 'prometheus'}:${namespace}`, open, perWorker: { label: 'worker', namespace } }
}
