// The exposition formats as the registry, the cluster and the metrics route use them: their ids, content types,
// and how a cluster combines them (each worker writes its share, its readings' families labelled with its worker
// id, and the asking worker merges the shares family by family).
import Type from 'typebox'
import { Compile } from 'typebox/compile'
import type { CoreFormat, CoreWriter, Fail, PerWorker, Reading, Share } from '../../format.js'
import type { MetricFamily } from '../../families.js'
import { NO_META } from '../../meta.js'
import { isNamespace, NameCache, namesOf } from './names.js'
import { planOf } from './plan.js'
import type { ExpositionReading } from './readings.js'
import { ExpositionMemo, type Rendered, writeChunk } from './reuse.js'
import { writeHeader } from './text.js'
import { ExpositionWriter } from './writer.js'

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

/**
 * One reading of a share: its name and kind, and its families as the worker wrote them (name,
 * type, owner, help, lines), or why the worker's writer left it out. The least the asker needs:
 * the names a family's lines use follow from its name and type, its header from those and its
 * help, and an owner that is the reading's name is sent as ''.
 */
type Entry = readonly [name: string, kind: string, families: readonly WireFamily[] | string]
type WireFamily = readonly [name: string, type: MetricFamily['type'], owner: string, help: string, lines: string]

/** A share's entries, as the asking worker reads them: a sibling's text is checked against this, never trusted. */
const ShareSchema = Type.Array(Type.Tuple([
  Type.String({ minLength: 1 }),
  Type.String(),
  Type.Union([
    Type.String(),
    Type.Array(Type.Tuple([
      Type.String({ minLength: 1 }),
      Type.Union([Type.Literal('counter'), Type.Literal('gauge'), Type.Literal('untyped'), Type.Literal('histogram')]),
      Type.String(),
      Type.String(),
      Type.String()
    ]))
  ])
]))
// Compiled once when the module loads: a constant, not state.
const SHARE = Compile(ShareSchema)

interface ShareOptions {
  readonly openmetrics: boolean
  readonly namespace: string
  readonly names: NameCache
  readonly memo?: ExpositionMemo
  readonly labels?: Readonly<Record<string, string>>
  /** Each reading's families as text, kept while the writer keeps them (an unchanged var's are the same array). */
  readonly texts?: WeakMap<readonly Rendered[], string>
}

/** The families' wire text: what the asker merges, never the samples themselves. */
function familiesText (name: string, rendered: readonly Rendered[]): string {
  return JSON.stringify(rendered.map(({ family, owner, lines }) => [family.name, family.type, owner === name ? '' : owner, family.help, lines]))
}

/** A share's text from readings: the exposition writer's families of each, labelled, and the readings it left out with why. */
function openShare (options: ShareOptions): { add (reading: ExpositionReading): void, end (): string } {
  const { texts } = options
  const parts: string[] = []
  const writer = new ExpositionWriter<ExpositionReading>({
    ...options,
    names: options.names,
    // Said in the share: the asking worker logs it, once, as it logs its own.
    fail: (reading, err) => { parts.push(JSON.stringify([reading.name, reading.kind, err instanceof Error ? err.message : String(err)])) }
  })
  return {
    add: (reading) => writer.add(reading),
    end: () => {
      const { readings, added, clashed } = writer.settle()
      for (let i = 0; i < readings.length; i++) {
        if (clashed.has(i)) continue
        const rendered = added[i] as readonly Rendered[]
        const { name, kind } = readings[i] as ExpositionReading
        let text = texts?.get(rendered)
        if (text === undefined) {
          text = familiesText(name, rendered)
          texts?.set(rendered, text)
        }
        parts.push('[' + JSON.stringify(name) + ',' + JSON.stringify(kind) + ',' + text + ']')
      }
      return '[' + parts.join(',') + ']'
    }
  }
}

/** A share's text as it came from a worker, parsed and checked; undefined when it does not fit. */
function readShare (worker: string, text: string): Share | undefined {
  let entries: unknown
  try {
    entries = JSON.parse(text)
  } catch {
    return undefined
  }
  return SHARE.Check(entries) ? { worker, entries } : undefined
}

/** The exposition's word on a cluster: each worker's share labelled `worker="<id>"`, merged by the asker. */
function perWorker (openmetrics: boolean, namespace: string, id: string): PerWorker {
  const label = 'worker'
  // A worker's share format, one per worker id (its own, in practice), each with its own memo.
  const shares = new Map<string, CoreFormat<string>>()
  return {
    label,
    namespace,
    share (worker) {
      let format = shares.get(worker)
      if (format === undefined) {
        const options = { openmetrics, namespace, names: new NameCache(), memo: new ExpositionMemo(), labels: { [label]: worker }, texts: new WeakMap() }
        format = { id: `${id}@${label}=${worker}`, open: () => openShare(options) }
        shares.set(worker, format)
      }
      return format
    },
    read: readShare,
    labelled (worker, readings) {
      // A worker of an older protocol sent its values: its share written here, without a memo.
      const writer = openShare({ openmetrics, namespace, names: new NameCache(), labels: { [label]: worker } })
      for (const reading of readings) writer.add(reading)
      return readShare(worker, writer.end()) as Share
    },
    combine (all, own, fail) {
      return combine({ openmetrics, namespace, label }, all, own, fail)
    }
  }
}

/**
 * An exposition format for registry.scrape(): a builtin's reading becomes its own families, an
 * ordinary var's is mapped by the rules of readings.ts. In a cluster, each worker's samples are labelled
 * worker="<id>", not summed (Prometheus sums, and sees each worker's counter resets).
 */
export function expositionFormat (openmetrics: boolean, namespace: string): CoreFormat<string> {
  const names = new NameCache()
  const memo = new ExpositionMemo()
  const id = `${openmetrics ? 'openmetrics' : 'prometheus'}:${namespace}`
  const open = (fail: Fail): CoreWriter<string> => new ExpositionWriter<Reading>({ openmetrics, namespace, fail, names, memo })
  return { id, open, perWorker: perWorker(openmetrics, namespace, id) }
}

/** A share's entry as a reading, for the asker's log: its name, kind and worker. */
function readingOf (entry: Entry, labels: Reading['labels']): Reading {
  return { name: entry[0], kind: entry[1] as Reading['kind'], meta: NO_META, value: undefined, builtin: undefined, labels }
}

/**
 * The cluster's text: every share's families merged, one family per name (its HELP and TYPE from
 * the first reading that has it), the lines of each worker's in name order and then worker order,
 * as one writer given every worker's labelled readings writes them; `own` (the cluster's own
 * readings, unlabelled) replaces any worker's reading of its name. A reading a worker's writer
 * left out, or whose names another worker's reading took first, is failed with its worker.
 */
function combine (options: { readonly openmetrics: boolean, readonly namespace: string, readonly label: string }, all: readonly Share[], own: readonly Reading[], fail: Fail): string {
  const { openmetrics, namespace, label } = options
  const mine = openShare({ openmetrics, namespace, names: new NameCache() })
  for (const reading of own) mine.add(reading)
  const replaced = new Set(own.map((reading) => reading.name))
  // Each entry with its worker's label, for the log: the cluster's own have none.
  const rows: [entry: Entry, labels: Reading['labels']][] = []
  for (const { worker, entries } of all) {
    const labels = { [label]: worker }
    for (const entry of entries as readonly Entry[]) if (!replaced.has(entry[0])) rows.push([entry, labels])
  }
  for (const entry of JSON.parse(mine.end()) as Entry[]) rows.push([entry, undefined])
  // Stable: each name's entries stay in worker order, so its family lists the workers in order.
  rows.sort((a, b) => a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : 0)
  const added: Rendered[][] = []
  const from: (typeof rows)[number][] = []
  for (const row of rows) {
    const [entry, labels] = row
    const families = entry[2]
    if (typeof families === 'string') {
      fail(readingOf(entry, labels), new Error(families))
      continue
    }
    added.push(families.map(([name, type, owner, help, lines]) => {
      const family = { name, type, help, samples: [] }
      // Only the first family of each name is asked for its header.
      return { family, owner: owner === '' ? entry[0] : owner, names: namesOf(family), get header () { return writeHeader(family, openmetrics) }, lines }
    }))
    from.push(row)
  }
  const [plan, clashes] = planOf(added)
  for (const [index, err] of clashes) {
    const [entry, labels] = from[index] as (typeof rows)[number]
    fail(readingOf(entry, labels), err)
  }
  const { text } = writeChunk(plan, 0, plan.length, ([reading, family]) => (added[reading] as Rendered[])[family] as Rendered)
  return openmetrics ? text + '# EOF\n' : text
}

/** The exposition format of a format id ("prometheus:<namespace>", "openmetrics:<namespace>"), as a sibling names it; undefined for any other. */
export function expositionId (id: string): { readonly openmetrics: boolean, readonly namespace: string } | undefined {
  const at = id.indexOf(':')
  const kind = id.slice(0, at)
  const namespace = id.slice(at + 1)
  if ((kind !== 'prometheus' && kind !== 'openmetrics') || !isNamespace(namespace)) return undefined
  return { openmetrics: kind === 'openmetrics', namespace }
}
