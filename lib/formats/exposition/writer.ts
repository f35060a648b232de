// The exposition writer of one scrape: each reading's families rendered (or the last scrape's reused), then planned, chunked and joined.
import { writeEach } from '../../format.js'
import type { Families } from '../../families.js'
import type { NameCache } from './names.js'
import { planOf } from './plan.js'
import { type ExpositionReading, histogramFamily, isMap, varFamilies } from './readings.js'
import { ExpositionMemo, type Plan, type Rendered, sameFamily, sameShape, sameSources, sameTokens, writeChunk, CHUNK, type Chunk } from './reuse.js'
import { render } from './text.js'
import { mapTokens, tokensOf } from './tokens.js'

interface ExpositionOptions<R extends ExpositionReading = ExpositionReading> {
  readonly openmetrics: boolean
  /** Prefixed, with `_`, to every name a var's value gives (not to the builtins' fixed names). */
  readonly namespace: string
  /** Names already sanitised, raw to Prometheus: the format's own, kept across scrapes. */
  readonly names: NameCache
  /** What the last scrape wrote, for the next one to reuse: the format's own, kept across scrapes. */
  readonly memo?: ExpositionMemo
  /** Leaves a reading out of the scrape and logs why (a value that throws when read, a cycle, a name taken). */
  readonly fail: (reading: R, err: unknown) => void
  /**
   * Constant labels of every reading that has none of its own: a cluster worker's `worker` in its
   * share (format.ts). The same at every scrape, so its families are kept in the memo.
   */
  readonly labels?: Readonly<Record<string, string>>
}

/** What an exposition writer's readings became: their families, and the output's families planned from them. */
interface Settled<R> {
  readonly readings: readonly R[]
  readonly added: readonly (readonly Rendered[])[]
  readonly plan: Plan
  /** Whether the plan was made anew (not the last scrape's). */
  readonly replanned: boolean
  /** The indexes of the readings left out because a name they need is taken. */
  readonly clashed: ReadonlySet<number>
}

/** Writes readings (sorted by name) in text 0.0.4 or OpenMetrics 1.0.0, one family per name. */
export function writeExposition<R extends ExpositionReading> (readings: readonly R[], options: ExpositionOptions<R>): string {
  return writeEach(new ExpositionWriter(options), readings)
}

/** The exposition of readings added one at a time, in name order. */
export class ExpositionWriter<R extends ExpositionReading> {
  readonly #options: ExpositionOptions<R>
  // Each written reading's families; the names they take are checked at the end, all at once.
  readonly #readings: R[] = []
  readonly #added: (readonly Rendered[])[] = []
  #read = 0

  constructor (options: ExpositionOptions<R>) {
    this.#options = options
  }

  add (reading: R): void {
    this.#read++
    try {
      this.#added.push(this.#rendered(reading))
      this.#readings.push(reading)
    } catch (err) {
      this.#options.fail(reading, err)
    }
  }

  /** The readings' families planned into the output's; the readings whose names are taken failed. For end(), and for a cluster's share (format.ts). */
  settle (): Settled<R> {
    const { memo } = this.#options
    const added = this.#added
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
      if (memo.vars.size > 2 * this.#read + 64) memo.vars.clear()
    }
    // The first var keeps a name: a second family of it would make the whole scrape invalid.
    for (const [index, err] of clashes) this.#options.fail(this.#readings[index] as R, err)
    return { readings: this.#readings, added, plan, replanned, clashed: new Set(clashes.map(([index]) => index)) }
  }

  end (): string {
    const { openmetrics, memo } = this.#options
    const { added, plan, replanned } = this.settle()
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

  /** A reading's families, written; an ordinary var's reused from the last scrape when its inputs are the same. */
  #rendered (reading: R): readonly Rendered[] {
    if (reading.builtin !== undefined) return this.#builtinRendered(reading, reading.builtin.families)
    const { openmetrics, namespace, names, memo } = this.#options
    const { kind, value, meta: { help, type, label } } = reading
    const map = isMap(reading)
    // A reading's own constant labels vary by reading: only those without are kept (a share's labels are its format's).
    const keep = reading.labels === undefined ? memo?.vars : undefined
    const last = keep?.get(reading.name)
    const same = last !== undefined && last.kind === kind && last.map === map && last.help === help && last.type === type && last.label === label
    // A HistogramVar's value is the same object while nothing was observed: the same text.
    if (same && last.histogram && last.value === value) return last.rendered
    // A Map's own value is frozen while unchanged: the same one again has the same keys and numbers.
    if (same && !last.histogram && map && last.value === value && Object.isFrozen(value)) return last.rendered
    const constant = reading.labels ?? this.#options.labels
    const histogram = histogramFamily(reading, namespace, names, constant)
    if (histogram !== undefined) {
      const mine = [render(histogram, reading.name, constant, openmetrics)]
      keep?.set(reading.name, { kind, map, help, type, label, value, tokens: [], histogram: true, rendered: mine })
      return mine
    }
    const tokens = map ? mapTokens(value as object) : tokensOf(value)
    if (same && !last.histogram && sameTokens(last.tokens, tokens)) return last.rendered
    const mine = varFamilies(reading, tokens, namespace, names, constant).map(([family, owner]) => render(family, owner, constant, openmetrics))
    keep?.set(reading.name, { kind, map, help, type, label, value, tokens, histogram: false, rendered: mine })
    return mine
  }

  /**
   * A builtin's families, written; each one that writes the same text as at the last scrape is
   * the last one's (and all of them the last array when none changed), so that its chunk is kept.
   */
  #builtinRendered (reading: R, families: Families): readonly Rendered[] {
    const { openmetrics, memo } = this.#options
    // A reading's own constant labels vary by reading: only those without are kept (a share's labels are its format's).
    const keep = reading.labels === undefined ? memo?.builtins : undefined
    const kept = keep?.get(reading.name)
    const last = kept?.families === families ? kept.rendered : undefined
    const made = families(reading.value, last?.map((old) => old.family))
    let changed = last === undefined || last.length !== made.length
    const mine = made.map((family, i) => {
      const old = last?.[i]
      if (old !== undefined && sameFamily(old.family, family)) return old
      changed = true
      return render(family, `builtin ${reading.name}\0${family.name}`, reading.labels ?? this.#options.labels, openmetrics, old)
    })
    if (!changed) return last as readonly Rendered[]
    keep?.set(reading.name, { families, rendered: mine })
    return mine
  }
}
