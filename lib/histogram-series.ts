// One label set's counts (a Series) and its leaf in the document: cumulative buckets by bound, sum, count and the quantiles.
import type { HistogramLeaf } from '../types/index.js'
import { numberJSON } from './json.js'

/** The quantiles the document shows, and the keys it shows them under. */
const QUANTILES = [[0.5, 'p50'], [0.9, 'p90'], [0.99, 'p99']] as const

/** A bound as both the document's keys and the exposition's `le` write it: as the document writes numbers, integers exact. */
export function boundText (bound: number): string {
  return numberJSON(bound)
}

/**
 * The quantile q of cumulative bucket counts (the last one +Inf's), as Prometheus'
 * histogram_quantile() estimates it: linear within the bucket that holds the rank, the first
 * bucket starting at 0, the highest finite bound where the rank falls in +Inf's. Null without observations.
 */
function quantile (q: number, bounds: readonly number[], cumulative: ArrayLike<number>): number | null {
  const count = cumulative[bounds.length] as number
  if (!(count > 0)) return null
  let rank = q * count
  let b = 0
  while ((cumulative[b] as number) < rank) b++
  if (b === bounds.length) return bounds[bounds.length - 1] as number
  const end = bounds[b] as number
  if (b === 0 && end <= 0) return end
  let start = 0
  let inBucket = cumulative[b] as number
  if (b > 0) {
    const below = cumulative[b - 1] as number
    start = bounds[b - 1] as number
    inBucket -= below
    rank -= below
  }
  return start + (end - start) * (rank / inBucket)
}

/** One label set's counts: per bucket (not cumulative; the last is past every bound), sum and count. */
export class Series {
  readonly counts: Float64Array
  sum = 0
  count = 0

  constructor (size: number) {
    this.counts = new Float64Array(size + 1)
  }

  /** The counts up to each bound, +Inf's last: Prometheus' `le` buckets. */
  cumulative (): Float64Array {
    const out = new Float64Array(this.counts.length)
    let acc = 0
    for (let i = 0; i < out.length; i++) {
      acc += this.counts[i] as number
      out[i] = acc
    }
    return out
  }
}

/** The leaf of the document for counts: count, sum, cumulative buckets by bound and the quantiles. */
export function leafOf (bounds: readonly number[], texts: readonly string[], cumulative: ArrayLike<number>, sum: number): HistogramLeaf {
  const buckets: Record<string, number> = {}
  for (let i = 0; i <= bounds.length; i++) buckets[texts[i] as string] = cumulative[i] as number
  const count = cumulative[bounds.length] as number
  return {
    count,
    sum,
    buckets,
    p50: quantile(0.5, bounds, cumulative),
    p90: quantile(0.9, bounds, cumulative),
    p99: quantile(0.99, bounds, cumulative)
  }
}

/** The leaf's JSON text with the buckets in bound order (an object's integer keys would come first). */
export function leafJSON (bounds: readonly number[], keys: readonly string[], cumulative: ArrayLike<number>, sum: number): string {
  const count = cumulative[bounds.length] as number
  let out = '{"count":' + numberJSON(count) + ',"sum":' + numberJSON(sum) + ',"buckets":{'
  for (let i = 0; i <= bounds.length; i++) out += (i === 0 ? '' : ',') + (keys[i] as string) + numberJSON(cumulative[i] as number)
  out += '}'
  for (const [q, key] of QUANTILES) {
    const value = quantile(q, bounds, cumulative)
    out += ',"' + key + '":' + (value === null ? 'null' : numberJSON(value))
  }
  return out + '}'
}
