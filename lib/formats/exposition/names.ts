// Prometheus names: the sanitising of any string into one, the namespace, and the names a family's lines use.
import type { MetricFamily, MetricSample } from '../../families.js'

export const DEFAULT_LABEL = 'key'

const COMBINING_MARKS = /[\u0300-\u036f]/g

// A name prefix in snake_case, so that the names it starts stay promtool-clean.
const NAMESPACE = /^[a-z_][a-z0-9_]*$/

export const NAMESPACE_EXPECTED = 'a snake_case Prometheus name prefix ([a-z_][a-z0-9_]*) or ""'

export function isNamespace (value: unknown): value is string {
  return value === '' || (typeof value === 'string' && NAMESPACE.test(value))
}

/**
 * A Prometheus name for any string: snake_case, lower case, `[a-z0-9_]` only, one `_` for each run
 * of anything else, and a leading `_` before a digit. Stricter than the format requires (it allows
 * capitals and `:`): promtool's lint refuses camelCase and colons (reserved for recording rules), and
 * a run of `__` (reserved for Prometheus' own labels), and Go-style names are camelCase. Accented
 * letters lose their accents (`ü` → `u`) rather than become `_`, which would split words.
 */
function metricName (raw: string): string {
  const snake = raw.normalize('NFKD').replace(COMBINING_MARKS, '').replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2').toLowerCase()
  const name = snake.replace(/[^a-z0-9]+/g, '_')
  return /^[0-9]/.test(name) ? '_' + name : name
}

/** The names a family's lines use in either format: two families must not share one. */
export function namesOf (family: MetricFamily): string[] {
  const { name, type } = family
  // OpenMetrics gives counters and histograms a `_created` series of their own: a var of that name
  // beside them would be read as theirs by a strict parser.
  if (type === 'counter') return [name, name + '_total', name + '_created']
  if (type === 'histogram') return [name, name + '_bucket', name + '_sum', name + '_count', name + '_created']
  return [name]
}

// Sanitising was most of the writer's time per family, and a service's names repeat at every
// scrape: each format keeps the names it made. Bounded in entries and in characters, for vars
// whose keys are ever new: 2 KB keys that change at every scrape stay within a few MB.
const MAX_NAMES = 50_000
const MAX_CHARS = 1 << 22

/** The names one format has made, by the string each was made from. */
export class NameCache {
  readonly #names = new Map<string, string>()
  #chars = 0

  name (raw: string): string {
    let name = this.#names.get(raw)
    if (name === undefined) {
      name = metricName(raw)
      this.#chars += raw.length + name.length
      if (this.#names.size >= MAX_NAMES || this.#chars > MAX_CHARS) {
        this.#names.clear()
        this.#chars = raw.length + name.length
      }
      this.#names.set(raw, name)
    }
    return name
  }
}

/**
 * A counter's or a histogram's family name: without a `_total` the var's name may already end in
 * (a counter's samples get it back; promtool refuses it on any other type's family, and a gauge's
 * is untyped instead, see varFamily).
 */
export function familyName (names: NameCache, raw: string, type: MetricFamily['type']): string {
  const name = names.name(raw)
  return (type === 'counter' || type === 'histogram') && name.endsWith('_total') && name !== '_total' ? name.slice(0, -6) : name
}

// The suffixes of another type's series: `_total` a counter's, `_bucket` a histogram's, `_count` and
// `_sum` a histogram's or a summary's. promtool's lint refuses them on a gauge (not on an untyped).
const SERIES_SUFFIX = /_(?:total|bucket|count|sum)$/

/**
 * A var's family, named and typed. A gauge whose name ends in another type's series suffix
 * (`queue_count`) is untyped, OpenMetrics `unknown`, as the builtins' `nodejs_active_*_total` are:
 * its name, and every query of it, stay the var's.
 */
export function varFamily (names: NameCache, raw: string, type: MetricFamily['type'], help: string, samples: MetricSample[]): MetricFamily {
  const name = familyName(names, raw, type)
  return { name, type: type === 'gauge' && SERIES_SUFFIX.test(name) ? 'untyped' : type, help, samples }
}
