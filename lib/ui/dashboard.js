// The dashboard's script: polls the document, keeps five minutes of history, draws it with uPlot.
'use strict'

const UPlot = window.uPlot // loaded by the script before this one

const WINDOW_S = 300 // seconds of history kept in the page
const MIN_SPAN_S = 10 // the time axis spans at least this much, so that its ticks are whole seconds from the first poll
// A poll that hangs (a proxy that never answers) must show as a failure, not stop the polling.
const FETCH_TIMEOUT_MS = 10_000
const MAX_CHARTS = 120 // beyond this, narrow with the filter: a Map of 10,000 keys must not freeze the tab
// Values nested deeper than this are shown as text: any document the route serves must leave the tab responsive.
const MAX_DEPTH = 32
const MAX_BUCKETS = 1000 // a histogram with more buckets than this is read as a plain object
const GC_RING = 256 // Go's PauseNs and PauseEnd hold the last 256 GCs
const DOCUMENT_URL = document.documentElement.dataset.document
const META_URL = document.documentElement.dataset.meta
const $ = (id) => document.getElementById(id)

const times = [] // poll times in seconds, shared by every series
const series = new Map() // path -> { keys, values, view, card, chart, … }; histograms also keep quantiles
const gc = { t: [], ms: [], count: -1 } // GC pauses read from memstats' PauseNs ring; count: the NumGC they were read up to
const latency = { prev: new Map(), p50: [], p90: [], p99: [] } // the http builtin's histograms, all label sets together
const openPaths = new Set() // tree nodes the user opened, kept across re-renders
let meta = new Map() // var name -> { kind, type, help, builtin } from the page's metadata route
let metaFor = null // the names meta was read for: read again when they change
let panels = []
let filter = ''
let interval = 1000
let paused = false
let showZeros = false
let timer = 0
let inFlight = false
let failures = 0
let treeShape = ''
let created = 0 // series made so far: their order among the user's vars or among the builtins'
let colors

const numberFormats = new Map()
function sig (digits, compact) {
  const key = `${digits}${compact ? 'c' : ''}`
  let f = numberFormats.get(key)
  if (!f) numberFormats.set(key, (f = new Intl.NumberFormat(undefined, compact ? { notation: 'compact', maximumSignificantDigits: digits } : { maximumSignificantDigits: digits })))
  return f
}
const exact = new Intl.NumberFormat(undefined, { maximumFractionDigits: 3 })
const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' })
const wallClock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })

// Tick steps for byte axes: powers of two, so that ticks fall on 64 MiB rather than 47.7 MiB. Up to
// 2^1023, the largest power of two a double holds: no byte value is past the last step.
const BYTE_STEPS = Array.from({ length: 1024 }, (_, i) => 2 ** i)
// Tick steps for counts: 1, 2, 5 times a power of ten, never a fraction.
const COUNT_STEPS = Array.from({ length: 16 * 3 }, (_, i) => [1, 2, 5][i % 3] * 10 ** Math.floor(i / 3))
// Tick steps of the time axis: whole seconds, then minutes and hours.
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400]

function bytes (n, digits = 3) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB']
  let i = 0
  while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return `${sig(digits).format(n)} ${units[i]}`
}

const seconds = (s, digits = 3) => Math.abs(s) >= 1 || s === 0 ? `${sig(digits).format(s)} s` : `${sig(digits).format(s * 1e3)} ms`

/**
 * How each unit reads: `value` a value of it, `rate` its per-second rate (a counter's). Values stay in
 * the document's unit in the charts; only their labels change.
 */
const UNITS = {
  none: { value: (v, d) => sig(d, true).format(v), rate: (v, d) => `${sig(d, true).format(v)}/s` },
  bytes: { value: bytes, rate: (v, d) => `${bytes(v, d)}/s`, incrs: BYTE_STEPS },
  kib: { value: (v, d) => bytes(v * 1024, d), rate: (v, d) => `${bytes(v * 1024, d)}/s` },
  // Nanoseconds read as milliseconds, the unit an event-loop delay or a GC pause is thought of in.
  ns: { value: (v, d) => `${sig(d).format(v / 1e6)} ms`, rate: (v, d) => `${sig(d).format(v / 1e6)} ms/s` },
  ms: { value: (v, d) => `${sig(d).format(v)} ms`, rate: (v, d) => `${sig(d).format(v)} ms/s` },
  // Seconds of CPU per second of time: a share of one core.
  s: { value: seconds, rate: (v, d) => `${sig(d).format(v * 100)} %` },
  fraction: { value: (v, d) => `${sig(d).format(v * 100)} %`, rate: (v, d) => `${sig(d).format(v * 100)} %/s` },
  // A count of things (requests in flight): whole-number ticks.
  count: { value: (v, d) => sig(d, true).format(v), rate: (v, d) => `${sig(d, true).format(v)}/s`, incrs: COUNT_STEPS }
}

/**
 * What the builtins' fields are: counters (drawn as rates) and units, by path under the var ('*': any
 * key). A field not named as a counter is a gauge; every field of a builtin has a unit, the default
 * given last. A user's var is a counter only when its metadata says `type: 'counter'`.
 */
const BUILTINS = {
  memstats: {
    counters: ['TotalAlloc', 'Lookups', 'Mallocs', 'Frees', 'PauseTotalNs', 'NumGC', 'NumForcedGC', 'BySize.*.Mallocs', 'BySize.*.Frees'],
    units: {
      bytes: ['Alloc', 'TotalAlloc', 'Sys', 'HeapAlloc', 'HeapSys', 'HeapIdle', 'HeapInuse', 'HeapReleased', 'StackInuse', 'StackSys',
        'MSpanInuse', 'MSpanSys', 'MCacheInuse', 'MCacheSys', 'BuckHashSys', 'GCSys', 'OtherSys', 'NextGC', 'BySize.*.Size'],
      ns: ['PauseTotalNs'],
      fraction: ['GCCPUFraction']
    },
    skip: ['LastGC'] // a time, not a measure: it stays in the tree
  },
  resource: {
    counters: ['utime', 'stime', 'minflt', 'majflt', 'nswap', 'inblock', 'oublock', 'msgsnd', 'msgrcv', 'nsignals', 'nvcsw', 'nivcsw'],
    units: { s: ['utime', 'stime'], kib: ['maxrss', 'ixrss', 'idrss', 'isrss'] }
  },
  process: { counters: [], units: { s: ['uptime'], bytes: ['memory.*', 'heapSpaces.*.*', 'vm.*'] }, skip: ['pid', 'ppid', 'startTime'] },
  eventloop: { counters: [], units: { ns: ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99', 'lag'], fraction: ['utilization'] } },
  http: { counters: ['requests', 'aborted', 'responses.*'], units: {}, histograms: 's' },
  cluster: { counters: [], units: {} }
}

function fits (pattern, keys) {
  const parts = pattern.split('.')
  return parts.length === keys.length && parts.every((part, i) => part === '*' || part === keys[i])
}

/** How the value at keys (the var's name first) is drawn: { counter, unit, builtin, help }; null: not charted. */
function describe (keys, histogram) {
  const [name, ...rest] = keys
  const info = meta.get(name)
  const known = info?.builtin ? BUILTINS[name] : undefined
  if (known) {
    if (known.skip?.some((p) => fits(p, rest))) return null
    if (histogram) return { counter: false, unit: known.histograms ?? 'none', builtin: true, help: info.help }
    const unit = Object.keys(known.units).find((u) => known.units[u].some((p) => fits(p, rest))) ?? 'none'
    return { counter: known.counters.some((p) => fits(p, rest)), unit, builtin: true, help: info.help }
  }
  // A user's histogram says its unit the Prometheus way, in its name: *_seconds, *_bytes.
  const unit = histogram ? (keys.some((k) => /seconds/i.test(k)) ? 's' : keys.some((k) => /bytes/i.test(k)) ? 'bytes' : 'none') : 'none'
  return { counter: info?.type === 'counter', unit, builtin: false, help: info?.help, title: histogram ? labelled(keys, info?.labels) : undefined }
}

// A labelled histogram's label set the Prometheus way, name{label="value", …}, when its labels are known.
function labelled (keys, labels) {
  if (!Array.isArray(labels) || labels.length !== keys.length - 1) return undefined
  return `${keys[0]}{${labels.map((label, i) => `${label}="${keys[i + 1]}"`).join(', ')}}`
}

function element (tag, className, text) {
  const e = document.createElement(tag)
  if (className) e.className = className
  if (text !== undefined) e.textContent = text
  return e
}

function readColors () {
  const style = window.getComputedStyle(document.documentElement)
  const get = (name) => style.getPropertyValue(name).trim()
  return { muted: get('--muted'), grid: get('--grid'), palette: [1, 2, 3, 4, 5, 6].map((i) => get(`--c${i}`)) }
}

// The panels: curated views of the runtime vars, each shown while its var is in the document.
const PANELS = [
  { v: 'memstats', title: 'Memory', unit: 'bytes', keys: ['HeapAlloc', 'HeapInuse', 'HeapSys', 'Sys'], labels: ['HeapAlloc', 'HeapInuse', 'HeapSys', 'Sys (RSS)'] },
  { v: 'memstats', title: 'GC pauses', unit: 'ms', gc: true },
  { v: 'eventloop', title: 'Event-loop delay', unit: 'ns', keys: ['p50', 'p90', 'p99', 'max'] },
  { v: 'eventloop', title: 'Event-loop utilization', unit: 'fraction', keys: ['utilization'] },
  { v: 'http', title: 'HTTP responses by status class', unit: 'none', keys: ['1xx', '2xx', '3xx', '4xx', '5xx'].map((c) => `responses.${c}`), labels: ['1xx', '2xx', '3xx', '4xx', '5xx'], rate: true },
  { v: 'http', title: 'HTTP latency, all routes', unit: 's', latency: true, labels: ['p50', 'p90', 'p99'] },
  { v: 'http', title: 'HTTP in flight', unit: 'count', keys: ['inFlight'] }
]

// Wide enough for the longest tick label, which uPlot would otherwise clip on the left.
const labelWidth = (_u, labels) => 28 + 7 * Math.max(3, ...(labels ?? []).map((l) => String(l).length))
const widthOf = (card) => Math.max(160, card.clientWidth - 20)

/** Tick labels told apart: more digits until no two ticks read the same. */
function distinct (ticks, format) {
  let labels = []
  for (let digits = 3; digits <= 12; digits++) {
    labels = ticks.map((v) => format(v, digits))
    if (new Set(labels).size === labels.length) break
  }
  return labels
}

// The time axis grows from MIN_SPAN_S up to the window; never a span under a second.
function timeRange (_u, min, max) {
  if (min == null) { const now = Date.now() / 1000; return [now - MIN_SPAN_S, now] }
  return [min, Math.max(max, min + MIN_SPAN_S)]
}

/**
 * The value axis, padded as uPlot pads it, and never narrower than a 2^-40 part of its magnitude: a
 * tick step must be larger than a double's spacing there, or uPlot's tick loop would not advance.
 */
function valueRange (_u, min, max) {
  if (min == null || max == null) return [0, 1]
  let [lo, hi] = UPlot.rangeNum(min, max, 0.1, true)
  lo = Math.max(lo, -Number.MAX_VALUE)
  hi = Math.min(hi, Number.MAX_VALUE)
  const least = Math.max(Math.abs(lo), Math.abs(hi)) * 2 ** -40
  if (hi - lo < least) {
    const mid = lo / 2 + hi / 2
    lo = mid - least
    hi = mid + least
  }
  return [lo, hi]
}

/** Records the labels a chart's axes show, on its card, where a test or a curious user can read them. */
function noteTicks (card, axis, labels) {
  card.dataset[axis] = labels.join('|')
  return labels
}

function makeChart (host, labels, format, { height = 110, points = false, range = timeRange, incrs } = {}) {
  const axis = { stroke: colors.muted, grid: { stroke: colors.grid, width: 1 }, ticks: { stroke: colors.grid, width: 1 } }
  return new UPlot({
    width: widthOf(host),
    height,
    // The card's headline holds the latest values; the legend names the series.
    legend: { show: labels.length > 1, live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true, range }, y: { range: valueRange } },
    axes: [
      { ...axis, size: 28, space: 64, incrs: TIME_STEPS, values: (_u, ticks) => noteTicks(host, 'xTicks', ticks.map((t) => wallClock.format(new Date(t * 1000)))) },
      { ...axis, size: labelWidth, values: (_u, ticks) => noteTicks(host, 'yTicks', distinct(ticks, format)), ...(incrs ? { incrs } : {}) }
    ],
    series: [{}, ...labels.map((label, i) => ({
      label,
      stroke: colors.palette[i % colors.palette.length],
      width: 1.5,
      value: (_u, v) => (v == null ? '–' : format(v, 3)),
      points: points ? { show: true, size: 6, fill: colors.palette[i % colors.palette.length] } : { show: false },
      ...(points ? { paths: () => null } : {})
    }))]
  }, [[], ...labels.map(() => [])], host)
}

function card (parent, key, rank, help, title = key) {
  const c = element('div', 'card')
  c.dataset.key = key
  c.rank = rank
  const value = element('div', 'value')
  const heading = element('h3', '', title)
  heading.title = help ? `${title}: ${help}` : title
  c.append(heading, value)
  // In rank order: the user's vars first, each group in the order its values were first seen.
  const next = [...parent.children].find((other) => other.rank > rank)
  parent.insertBefore(c, next ?? null)
  return { card: c, value }
}

const finite = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null)

function rates (values) {
  const out = new Array(values.length).fill(null)
  for (let i = 1; i < values.length; i++) {
    if (values[i] != null && values[i - 1] != null) out[i] = finite((values[i] - values[i - 1]) / (times[i] - times[i - 1]))
  }
  return out
}

function last (values) {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] != null) return values[i]
  return null
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * A histogram as the document writes one, `{ count, sum, buckets: { bound: cumulative, …, '+Inf': n } }`,
 * as bounds and counts in increasing order; null for anything else.
 */
function histogramOf (value) {
  if (!isObject(value) || typeof value.count !== 'number' || !isObject(value.buckets)) return null
  if (typeof value.sum !== 'number' && value.sum !== null) return null
  const keys = Object.keys(value.buckets)
  if (!keys.includes('+Inf') || keys.length > MAX_BUCKETS) return null
  const pairs = []
  for (const key of keys) {
    const bound = key === '+Inf' ? Infinity : Number(key)
    const count = value.buckets[key]
    if (key.trim() === '' || Number.isNaN(bound) || typeof count !== 'number' || !(count >= 0) || !Number.isFinite(count)) return null
    pairs.push([bound, count])
  }
  pairs.sort((a, b) => a[0] - b[0])
  if (pairs.some(([bound], i) => i > 0 && bound === pairs[i - 1][0])) return null
  // Cumulative as Prometheus defines them; a count lower than the one below it is read as that one.
  let most = 0
  return { bounds: pairs.map(([bound]) => bound), counts: pairs.map(([, count]) => (most = Math.max(most, count))), id: keys.join('\n') }
}

/** The counts observed between two readings of a histogram: since prev, or since a restart when the counts went down. */
function observedSince (prev, now) {
  if (!prev || prev.id !== now.id) return null
  const delta = now.counts.map((c, i) => c - prev.counts[i])
  return delta.some((d) => d < 0) ? now.counts : delta
}

/** The q-quantile of cumulative bucket counts, as Prometheus' histogram_quantile() estimates it; null without observations. */
function quantile (q, bounds, counts) {
  const total = counts[counts.length - 1]
  if (!(total > 0)) return null
  const rank = q * total
  const b = counts.findIndex((c) => c >= rank)
  if (b === bounds.length - 1) return bounds.length > 1 ? bounds[b - 1] : null // in +Inf: the highest finite bound
  const end = bounds[b]
  if (b === 0 && end <= 0) return end
  const start = b === 0 ? 0 : bounds[b - 1]
  const below = b === 0 ? 0 : counts[b - 1]
  return finite(start + (end - start) * (rank - below) / (counts[b] - below))
}

const QUANTILES = [['p50', 0.5], ['p90', 0.9], ['p99', 0.99]]

function walk (value, keys, visit) {
  if (typeof value === 'number') visit(keys, value, null)
  else if (isObject(value)) {
    const histogram = histogramOf(value)
    if (histogram) visit(keys, value.count, histogram)
    else if (keys.length < MAX_DEPTH) for (const key of Object.keys(value)) walk(value[key], [...keys, key], visit)
  }
}

function newSeries (keys, histogram) {
  const view = describe(keys, histogram)
  if (view === null) return null
  const s = { keys, values: new Array(times.length - 1).fill(null), view, rank: (view.builtin ? 1e9 : 0) + created++, isHistogram: Boolean(histogram), histogram: null }
  if (histogram) for (const [q] of QUANTILES) s[q] = new Array(times.length - 1).fill(null)
  return s
}

function record (doc, now) {
  times.push(now)
  const seen = new Set()
  const observed = []
  for (const name of Object.keys(doc)) {
    walk(doc[name], [name], (keys, v, histogram) => {
      const path = keys.join('.')
      // Keys may hold dots: { 'a.b': 1 } beside { a: { b: 2 } } give one path; the first is kept.
      if (seen.has(path)) return
      seen.add(path)
      let s = series.get(path)
      if (!s || s.isHistogram !== Boolean(histogram)) {
        s?.chart?.destroy()
        s?.card?.remove()
        s = newSeries(keys, histogram)
        if (s === null) {
          series.delete(path)
          return
        }
        series.set(path, s)
      }
      s.values.push(v)
      if (!histogram) return
      const delta = observedSince(s.histogram, histogram)
      for (const [q, at] of QUANTILES) s[q].push(delta && quantile(at, histogram.bounds, delta))
      s.histogram = histogram
      if (name === 'http' && delta && s.view.builtin) observed.push({ path, histogram, delta })
    })
  }
  for (const [path, s] of series) {
    if (seen.has(path)) continue
    s.values.push(null)
    for (const [q] of QUANTILES) s[q]?.push(null)
  }
  recordLatency(observed)
  if (isObject(doc.memstats)) recordPauses(doc.memstats, now)
  while (times.length && times[0] < now - WINDOW_S) {
    times.shift()
    for (const s of series.values()) {
      s.values.shift()
      for (const [q] of QUANTILES) s[q]?.shift()
    }
    for (const [q] of QUANTILES) latency[q].shift()
  }
  for (const [path, s] of series) {
    if (last(s.values) === null) {
      s.chart?.destroy()
      s.card?.remove()
      series.delete(path)
    }
  }
}

// Every label set of the http builtin's histograms in one: their bucket deltas added where the bounds agree.
function recordLatency (observed) {
  const same = observed.filter((o) => o.histogram.id === observed[0].histogram.id)
  const total = same.length ? same[0].delta.map((_, i) => same.reduce((sum, o) => sum + o.delta[i], 0)) : null
  for (const [q, at] of QUANTILES) latency[q].push(total && quantile(at, same[0].histogram.bounds, total))
}

// GC number k (0-based) sits in slot k % 256 of PauseNs and PauseEnd (ns since the epoch). Only
// what can be read exactly is: a count past 2^53 or a slot that is not a sane time is skipped.
function recordPauses (m, now) {
  const count = m.NumGC
  if (!Array.isArray(m.PauseNs) || !Array.isArray(m.PauseEnd) || !Number.isSafeInteger(count) || count < 0) return
  // A count that went down is another process (a restart): all its ring is new.
  const since = count < gc.count ? 0 : Math.max(gc.count, 0)
  const fresh = Math.min(GC_RING, count - since, m.PauseNs.length, m.PauseEnd.length)
  for (let k = count - fresh; k < count; k++) {
    const end = m.PauseEnd[k % GC_RING] / 1e9
    const ms = m.PauseNs[k % GC_RING] / 1e6
    if (end >= now - WINDOW_S && end <= now + WINDOW_S && ms >= 0 && Number.isFinite(ms) && (gc.t.length === 0 || end >= gc.t[gc.t.length - 1])) {
      gc.t.push(end)
      gc.ms.push(ms)
    }
  }
  gc.count = count
  while (gc.t.length && gc.t[0] < now - WINDOW_S) { gc.t.shift(); gc.ms.shift() }
}

const matches = (text) => text.toLowerCase().includes(filter)

// Pauses from the ring may predate the page's first poll: the axis reaches back to them.
function gcRange () {
  const from = Math.min(times[0], gc.t[0] ?? Infinity)
  return [from, Math.max(times[times.length - 1], from + MIN_SPAN_S)]
}

function drawPanels (doc) {
  const host = $('panels')
  for (const p of PANELS) {
    const keys = (p.keys ?? []).map((k) => `${p.v}.${k}`)
    const present = isObject(doc[p.v]) && (p.gc || (p.latency ? latency.p50.some((v) => v != null) : keys.some((k) => series.has(k))))
    const shown = present && (matches(p.title) || matches(p.v) || keys.some(matches))
    if (!shown) { if (p.view) p.view.card.hidden = true; continue }
    const unit = UNITS[p.unit]
    const format = p.rate ? unit.rate : unit.value
    if (!p.view) {
      p.view = card(host, p.title, PANELS.indexOf(p))
      p.view.chart = makeChart(p.view.card, p.gc ? ['pause'] : (p.labels ?? p.keys), format, {
        height: 170, points: p.gc, range: p.gc ? gcRange : timeRange, incrs: unit.incrs
      })
      panels.push(p)
    }
    p.view.card.hidden = false
    if (p.gc) {
      const { NumGC: count, PauseTotalNs: paused } = doc.memstats
      p.view.value.textContent = `${exact.format(count)} GC${count === 1 ? '' : 's'}, ${UNITS.ns.value(paused, 4)} paused in total`
      p.view.chart.setData([gc.t, gc.ms])
      continue
    }
    const data = p.latency
      ? QUANTILES.map(([q]) => latency[q])
      : keys.map((k) => {
        const values = series.get(k)?.values ?? times.map(() => null)
        return p.rate ? rates(values) : values
      })
    p.view.value.textContent = (p.labels ?? p.keys).map((label, i) => `${label} ${format(last(data[i]) ?? 0, 3)}`).join(' · ')
    p.view.chart.setData([times, ...data])
  }
}

// Flat zeros: a value that stayed 0, or a counter that did not move in the window (a page that was
// asked for once). A counter's first poll has no rate yet: it is shown until one says it stood still.
function allZero (s) {
  if (s.values.every((v) => v === null || v === 0)) return true
  if (!s.view.counter) return false
  const data = rates(s.values)
  return data.some((v) => v !== null) && data.every((v) => v === null || v === 0)
}

function drawCharts () {
  const hosts = { user: $('charts'), builtin: $('runtime') }
  const ordered = [...series.values()].sort((a, b) => a.rank - b.rank)
  let shown = 0
  let matching = 0
  let zeros = 0
  const groups = { user: 0, builtin: 0 }
  for (const s of ordered) {
    const path = s.keys.join('.')
    const zero = allZero(s)
    if (zero && matches(path)) zeros++
    const visible = matches(path) && (showZeros || !zero) && ++matching <= MAX_CHARTS
    if (!visible) { if (s.card) s.card.hidden = true; continue }
    shown++
    const group = s.view.builtin ? 'builtin' : 'user'
    groups[group]++
    const unit = UNITS[s.view.unit]
    if (!s.card) {
      Object.assign(s, card(hosts[group], path, s.rank, s.view.help, s.view.title ?? path))
      s.card.dataset.kind = s.isHistogram ? 'histogram' : s.view.counter ? 'counter' : 'gauge'
      s.card.dataset.unit = s.view.unit
      s.raw = element('span', 'raw')
      const labels = s.isHistogram ? QUANTILES.map(([q]) => q) : [path]
      s.chart = makeChart(s.card, labels, s.view.counter ? unit.rate : unit.value, { incrs: unit.incrs })
    }
    s.card.hidden = false
    s.card.dataset.zero = String(zero)
    const raw = last(s.values)
    if (s.isHistogram) {
      const data = QUANTILES.map(([q]) => s[q])
      s.value.textContent = QUANTILES.map(([q], i) => `${q} ${last(data[i]) == null ? '–' : unit.value(last(data[i]), 3)}`).join(' · ')
      s.raw.textContent = `${UNITS.none.rate(last(rates(s.values)) ?? 0, 3)} · ${exact.format(raw)} in all`
      s.value.append(s.raw)
      s.chart.setData([times, ...data])
    } else if (s.view.counter) {
      const data = rates(s.values)
      s.value.textContent = unit.rate(last(data) ?? 0, 3)
      s.raw.textContent = s.view.unit === 'none' ? exact.format(raw) : unit.value(raw, 6)
      s.value.append(s.raw)
      s.chart.setData([times, data])
    } else {
      s.value.textContent = s.view.unit === 'none' ? exact.format(raw) : unit.value(raw, 4)
      s.chart.setData([times, s.values.map(finite)])
    }
  }
  $('count').textContent = `${shown} of ${series.size} charted`
  $('none').hidden = groups.user > 0
  $('runtime-heading').hidden = groups.builtin === 0
  $('more').hidden = matching <= MAX_CHARTS
  $('more').textContent = `${matching - MAX_CHARTS} more values match: narrow them with the filter.`
  $('zeros').hidden = zeros === 0
  $('zeros').textContent = `${showZeros ? 'Hide' : 'Show'} ${zeros} all-zero value${zeros === 1 ? '' : 's'}`
  $('zeros').setAttribute('aria-pressed', String(showZeros))
}

function leafText (value) {
  return JSON.stringify(value) ?? String(value)
}

// Arrays of plain values (e.g. PauseNs) read best on one line.
function isLeaf (value) {
  return Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')
}

const isBranch = (value, depth) => value !== null && typeof value === 'object' && !isLeaf(value) && depth < MAX_DEPTH

function shape (value, path, depth, out) {
  out.push(path)
  if (isBranch(value, depth)) for (const k of Object.keys(value)) shape(value[k], `${path}.${k}`, depth + 1, out)
  return out
}

function renderNode (keys, value, path) {
  const key = keys[keys.length - 1]
  const depth = keys.length - 1
  if (isBranch(value, depth)) {
    const node = element('details')
    node.dataset.path = path
    node.open = depth === 0 || openPaths.has(path)
    node.addEventListener('toggle', () => {
      if (filter) return
      if (node.open) openPaths.add(path)
      else openPaths.delete(path)
    })
    const children = Object.keys(value)
    node.append(element('summary', 'k', Array.isArray(value) ? `${key} [${children.length}]` : key))
    for (const k of children) node.append(renderNode([...keys, k], value[k], `${path}.${k}`))
    return node
  }
  const row = element('div', 'leaf')
  row.dataset.path = path
  row.keys = keys
  row.append(element('span', 'k', key), element('span', 'v', treeText(value, depth)))
  return row
}

// Deeper than the tree goes, a value is summed up rather than written out.
const treeText = (value, depth) => (isBranch(value, 0) && depth >= MAX_DEPTH ? (Array.isArray(value) ? '[…]' : '{…}') : leafText(value))

// The user's vars first, then the builtins, each in the document's order.
const treeNames = (doc) => Object.keys(doc).sort((a, b) => (meta.get(a)?.builtin ? 1 : 0) - (meta.get(b)?.builtin ? 1 : 0))

function drawTree (doc) {
  const host = $('tree')
  const names = treeNames(doc)
  const now = names.map((n) => shape(doc[n], n, 0, []).join('\n')).join('\n')
  if (now !== treeShape) {
    treeShape = now
    host.replaceChildren(...names.map((n) => renderNode([n], doc[n], n)))
  } else {
    for (const row of host.querySelectorAll('.leaf')) {
      let v = doc
      for (const k of row.keys) v = v?.[k]
      row.lastChild.textContent = treeText(v, row.keys.length - 1)
    }
  }
  filterTree(host)
}

function filterTree (node) {
  let any = false
  for (const child of node.children) {
    if (child.tagName === 'SUMMARY') continue
    const visible = child.tagName === 'DETAILS' ? filterTree(child) || (filter && matches(child.dataset.path)) : !filter || matches(child.dataset.path)
    child.hidden = !visible
    if (child.tagName === 'DETAILS' && filter && visible) child.open = true
    any ||= visible
  }
  return any
}

let lastDoc = {}
function draw () {
  drawCharts()
  drawPanels(lastDoc)
  drawTree(lastDoc)
}

function showFailure (err) {
  const banner = $('banner')
  if (err === null) {
    if (failures) $('status').textContent += ` · recovered after ${failures} failed poll${failures > 1 ? 's' : ''}`
    failures = 0
    banner.hidden = true
    return
  }
  failures++
  banner.textContent = `Poll failed at ${clock.format(new Date())}: ${err.message}. Retrying every ${interval / 1000} s (${failures} failed).`
  banner.hidden = false
}

async function fetchJson (url, what) {
  let res
  try {
    res = await fetch(url, {
      cache: 'no-store',
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS)
    })
  } catch (err) {
    throw new Error(`${what}: ${err.name === 'TimeoutError' ? `no answer within ${FETCH_TIMEOUT_MS / 1000} s` : `network error (${err.message})`}`)
  }
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${res.statusText}`.trim())
  return await res.json()
}

// The vars' kinds and metadata, read again whenever the document's names change.
async function readMeta (names) {
  const key = names.join('\n')
  if (key === metaFor) return
  const body = await fetchJson(META_URL, 'metadata')
  const vars = Array.isArray(body?.vars) ? body.vars : []
  meta = new Map(vars.filter((v) => isObject(v) && typeof v.name === 'string').map((v) => [v.name, v]))
  metaFor = key
}

async function poll () {
  timer = 0
  if (inFlight) return
  inFlight = true
  const started = performance.now()
  try {
    const doc = await fetchJson(DOCUMENT_URL, 'document')
    if (!isObject(doc)) throw new Error('document: not a JSON object')
    await readMeta(Object.keys(doc))
    lastDoc = doc
    record(lastDoc, Date.now() / 1000)
    draw()
    $('status').textContent = `updated ${clock.format(new Date())} in ${Math.round(performance.now() - started)} ms · ${Object.keys(lastDoc).length} vars`
    showFailure(null)
  } catch (err) {
    showFailure(err)
  } finally {
    inFlight = false
    schedule()
  }
}

function schedule () {
  if (!paused && !timer && !inFlight) timer = setTimeout(poll, interval)
}

function resize () {
  for (const c of [...panels.map((p) => p.view), ...series.values()]) {
    if (c.chart && !c.card.hidden) c.chart.setSize({ width: widthOf(c.card), height: c.chart.height })
  }
}

function rebuild () {
  colors = readColors()
  for (const c of [...panels.map((p) => p.view), ...series.values()]) {
    c.chart?.destroy()
    c.card?.remove()
    c.chart = c.card = undefined
  }
  for (const p of panels) p.view = undefined
  panels = []
  draw()
}

$('filter').addEventListener('input', (e) => {
  filter = e.target.value.trim().toLowerCase()
  draw()
  resize()
})
$('interval').addEventListener('change', (e) => {
  interval = Number(e.target.value)
  clearTimeout(timer)
  timer = 0
  schedule()
})
$('pause').addEventListener('click', () => {
  paused = !paused
  $('pause').textContent = paused ? 'Resume' : 'Pause'
  $('pause').setAttribute('aria-pressed', String(paused))
  clearTimeout(timer)
  timer = 0
  if (!paused) poll()
})
$('zeros').addEventListener('click', () => {
  showZeros = !showZeros
  draw()
  resize()
})
window.addEventListener('resize', resize)
window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', rebuild)
colors = readColors()
poll()
