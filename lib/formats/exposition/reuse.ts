// The exposition's memory of its last scrape: a family, a plan and a chunk of text reused when their inputs are the same.
import type { Families, MetricFamily, MetricSample } from '../../families.js'
import type { Token } from './tokens.js'

/** A family as one reading writes it: its header and sample lines, and the names its lines use. */
export interface Rendered {
  readonly family: MetricFamily
  /** The var (and path in its value) the family belongs to: readings of the same var share it. */
  readonly owner: string
  readonly names: readonly string[]
  readonly header: string
  readonly lines: string
}

/**
 * What an ordinary var's reading became at the last scrape, and from what: its kind, its
 * metadata and its value's numeric leaves as tokens. The same again is the same text.
 */
interface Memo {
  readonly kind: string
  readonly map: boolean
  readonly help: string | undefined
  readonly type: string | undefined
  readonly label: string | undefined
  readonly value: unknown
  readonly tokens: readonly Token[]
  /** Written as a histogram family (its tokens are then empty). */
  readonly histogram: boolean
  readonly rendered: readonly Rendered[]
}

/** What a builtin's reading became at the last scrape, and by which builtin's families. */
interface BuiltinMemo {
  readonly families: Families
  readonly rendered: readonly Rendered[]
}

/** Where each family of the output gets its header and lines: indexes of the readings' families. */
export type Plan = readonly (readonly (readonly [reading: number, family: number])[])[]

/** A format's memory of its last scrape: each ordinary var's families, and how the readings' families became the output. */
export class ExpositionMemo {
  readonly vars = new Map<string, Memo>()
  /** Each builtin's families as written at the last scrape: an unchanged family is the same text. */
  readonly builtins = new Map<string, BuiltinMemo>()
  /** The last scrape's readings' families, in order, and the output and clashes they made. */
  added: readonly (readonly Rendered[])[] = []
  plan: Plan = []
  clashes: readonly (readonly [reading: number, err: Error])[] = []
  /** The last output in chunks of CHUNK families, each with the families it was written from. */
  chunks: Chunk[] = []
}

/** Families per chunk of the output: a chunk made of the same families as last time is the same text. */
export const CHUNK = 32

export interface Chunk {
  readonly sources: readonly Rendered[]
  readonly text: string
}

/**
 * Whether two readings' families have the same names, types and owners (the names their lines
 * use follow from name and type): then they clash with the same others, or with none, alike.
 */
export function sameShape (a: readonly Rendered[], b: readonly Rendered[]): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Rendered
    const y = b[i] as Rendered
    if (x.owner !== y.owner || x.family.name !== y.family.name || x.family.type !== y.family.type) return false
  }
  return true
}

function sameLabels (a: MetricSample['labels'], b: MetricSample['labels']): boolean {
  if (a === b) return true
  if (a === undefined || b === undefined) return false
  const names = Object.keys(a)
  const others = Object.keys(b)
  if (names.length !== others.length) return false
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string
    if (name !== others[i] || a[name] !== b[name]) return false
  }
  return true
}

/**
 * Whether two families write the same text: the same name, type, help and samples, each with the
 * same suffix, labels in the same order and value (a builtin's families are new objects at every
 * scrape; a NaN is never the same, and is written again).
 */
export function sameFamily (a: MetricFamily, b: MetricFamily): boolean {
  if (a === b) return true
  if (a.name !== b.name || a.type !== b.type || a.help !== b.help || a.samples.length !== b.samples.length) return false
  // Made from two different objects (a histogram's value after an observation): written again, not compared.
  if (a.from !== undefined && b.from !== undefined) return false
  for (let i = 0; i < a.samples.length; i++) {
    const x = a.samples[i] as MetricSample
    const y = b.samples[i] as MetricSample
    if (x.value !== y.value || x.suffix !== y.suffix || x.le !== y.le || !sameLabels(x.labels, y.labels)) return false
  }
  return true
}

export function sameTokens (a: readonly Token[], b: readonly Token[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false
  }
  return true
}

/** Whether the families of the plan's from..to are, in order, the sources of a kept chunk. */
export function sameSources (plan: Plan, from: number, to: number, at: (index: readonly [number, number]) => Rendered, sources: readonly Rendered[]): boolean {
  let k = 0
  for (let f = from; f < to; f++) {
    for (const index of plan[f] as Plan[number]) {
      if (at(index) !== sources[k++]) return false
    }
  }
  return k === sources.length
}

/** The text of the plan's families from..to: each one's header, then the lines of every reading's family of that name. */
export function writeChunk (plan: Plan, from: number, to: number, at: (index: readonly [number, number]) => Rendered): Chunk {
  const sources: Rendered[] = []
  const out: string[] = []
  for (let f = from; f < to; f++) {
    const indexes = plan[f] as Plan[number]
    let lines = ''
    for (const index of indexes) {
      const rendered = at(index)
      sources.push(rendered)
      lines += rendered.lines
    }
    if (lines !== '') out.push(at(indexes[0] as [number, number]).header, lines)
  }
  return { sources, text: out.join('') }
}
