// The `gc` var: every garbage collection's pause in a histogram by kind, prom-client's nodejs_gc_duration_seconds.
import type { FastifyPluginAsync } from 'fastify'
import { constants, PerformanceObserver, type NodeGCPerformanceDetail, type PerformanceEntry } from 'node:perf_hooks'
import { type Families, keptFamily, type MetricFamily } from '../families.js'
import { HistogramVar } from '../histogram.js'
import { histogramSamples, isHistogramLeaf, mergeHistograms } from '../histogram-samples.js'
import { isPlainObject } from '../merge.js'
import { builtinSource, type Builtin, publishBuiltin } from './publish.js'

/** prom-client's bounds for GC pauses, in seconds. */
const GC_BUCKETS: readonly number[] = Object.freeze([0.001, 0.01, 0.1, 1, 2, 5])

// V8's young-generation collector other than the scavenger: minor mark-compact (--minor-mc, Node 20)
// or minor mark-sweep (--minor-ms, Node 22 on). Node reports its GCType, which perf_hooks does not name.
const GC_MINOR_MARK = 2

/**
 * A GC entry's detail.kind (V8's GCType) to prom-client's `kind` label: every type V8 reports. The
 * other young-generation collector is a minor GC too; prom-client, which knows only the four
 * constants, has no name for it.
 */
const KINDS: Readonly<Record<number, string>> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [GC_MINOR_MARK]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb'
}

const MS_PER_S = 1000
const HELP = 'GC pauses by kind (major, minor, incremental, weakcb), in seconds'

/** The histogram, named as the builtin in logs; observes every GC's pause from its start until closed. */
class GcHistogram extends HistogramVar<'kind'> {
  readonly source = builtinSource('gc')
  readonly #observer = new PerformanceObserver((list) => this.#record(list.getEntries()))

  constructor () {
    super({ help: HELP + '.', buckets: GC_BUCKETS, labels: ['kind'] })
    this.#observer.observe({ entryTypes: ['gc'] })
  }

  close (): void {
    this.#observer.disconnect()
  }

  // Every entry of the batch (prom-client counts only the first of each).
  #record (entries: readonly PerformanceEntry[]): void {
    for (const entry of entries) {
      const kind = KINDS[(entry as PerformanceEntry & { detail: NodeGCPerformanceDetail }).detail.kind] as string
      this.observe({ kind }, entry.duration / MS_PER_S)
    }
  }
}

/**
 * gc in the exposition formats: one histogram family, a `kind` label per kind seen, each kind's
 * buckets in bound order, `_sum` and `_count` (as any HistogramVar's).
 */
const gcFamilies: Families = (value, last) => [keptFamily(last, 0, value, gcFamily)]

function gcFamily (value: unknown): MetricFamily {
  // A kind merged in from a user's var that is not a histogram's counts is left out: no histogram without its +Inf bucket.
  const kinds = isPlainObject(value) ? Object.fromEntries(Object.entries(value).filter(([, leaf]) => isHistogramLeaf(leaf))) : {}
  return { name: 'nodejs_gc_duration_seconds', type: 'histogram', help: HELP + ' (gc).', samples: histogramSamples(kinds, ['kind']) }
}

/**
 * gc in a cluster's document: per kind, every worker's counts, sums and buckets added and the
 * quantiles estimated again, as any HistogramVar's (a worker with other bounds is left out).
 */
function gcAggregate (values: readonly unknown[]): unknown {
  return mergeHistograms(values, 1).value
}

const gc: FastifyPluginAsync = async function gc (fastify) {
  const histogram = new GcHistogram()
  publishBuiltin(fastify, gcBuiltin, histogram, () => histogram.close())
}

/** gc in the table: the pauses by kind, added across workers. */
export const gcBuiltin: Builtin = { name: 'gc', plugin: gc, families: gcFamilies, aggregate: gcAggregate }
