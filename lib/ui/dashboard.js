// The dashboard's script: polls the document, keeps five minutes of history, draws it with uPlot.
'use strict'

const UPlot = window.uPlot // loaded by the script before this one

const WINDOW_S = 300 // seconds of history kept in the page
// A poll that hangs (a proxy that never answers) must show as a failure, not stop the polling.
const FETCH_TIMEOUT_MS = 10_000
const MAX_CHARTS = 120 // beyond this, narrow with the filter: a Map of 10,000 keys must not freeze the tab
const DOCUMENT_URL = document.documentElement.dataset.document
const $ = (id) => document.getElementById(id)

const times = [] // poll times in seconds, shared by every series
const series = new Map() // path -> { values, rising, fell, card, chart }
const gc = { t: [], ms: [], seen: -1 } // GC pauses read from memstats' PauseNs ring
const openPaths = new Set() // tree nodes the user opened, kept across re-renders
let panels = []
let filter = ''
let interval = 1000
let paused = false
let timer = 0
let inFlight = false
let failures = 0
let treeShape = ''
let colors

const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 2 })
const short = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 3 })
const exact = new Intl.NumberFormat(undefined, { maximumFractionDigits: 3 })
const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' })

// Tick steps for byte axes: powers of two, so that ticks fall on 64 MiB rather than 47.7 MiB.
const BYTE_STEPS = Array.from({ length: 50 }, (_, i) => 2 ** i)

function bytes (n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return `${short.format(n)} ${units[i]}`
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
  { v: 'memstats', title: 'Memory', format: bytes, keys: ['HeapAlloc', 'HeapInuse', 'HeapSys', 'Sys'], labels: ['HeapAlloc', 'HeapInuse', 'HeapSys', 'Sys (RSS)'] },
  { v: 'memstats', title: 'GC pauses (ms)', format: compact.format, gc: true },
  { v: 'eventloop', title: 'Event-loop delay (ms)', format: compact.format, keys: ['p50', 'p90', 'p99', 'max'], scale: 1e-6 },
  { v: 'eventloop', title: 'Event-loop utilization (%)', format: compact.format, keys: ['utilization'], scale: 100 },
  { v: 'http', title: 'HTTP responses by status class (/s)', format: compact.format, keys: ['1xx', '2xx', '3xx', '4xx', '5xx'].map((c) => `responses.${c}`), labels: ['1xx', '2xx', '3xx', '4xx', '5xx'], rate: true },
  { v: 'http', title: 'HTTP in flight', format: compact.format, keys: ['inFlight'] }
]

// Wide enough for the longest tick label, which uPlot would otherwise clip on the left.
const labelWidth = (_u, labels) => 28 + 7 * Math.max(3, ...(labels ?? []).map((l) => String(l).length))
const widthOf = (card) => Math.max(160, card.clientWidth - 20)

function makeChart (container, labels, format, { height = 110, points = false, range } = {}) {
  const axis = { stroke: colors.muted, grid: { stroke: colors.grid, width: 1 }, ticks: { stroke: colors.grid, width: 1 } }
  return new UPlot({
    width: widthOf(container),
    height,
    // The card's headline holds the latest values; the legend names the series.
    legend: { show: labels.length > 1, live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true, range } },
    axes: [{ ...axis, size: 28 }, { ...axis, size: labelWidth, values: (_u, ticks) => ticks.map(format), ...(format === bytes ? { incrs: BYTE_STEPS } : {}) }],
    series: [{}, ...labels.map((label, i) => ({
      label,
      stroke: colors.palette[i % colors.palette.length],
      width: 1.5,
      value: (_u, v) => (v == null ? '–' : format(v)),
      points: points ? { show: true, size: 6, fill: colors.palette[i % colors.palette.length] } : { show: false },
      ...(points ? { paths: () => null } : {})
    }))]
  }, [[], ...labels.map(() => [])], container)
}

function card (parent, title) {
  const c = element('div', 'card')
  c.dataset.key = title
  const value = element('div', 'value')
  c.append(element('h3', '', title), value)
  c.firstChild.title = title
  parent.append(c)
  return { card: c, value }
}

// A counter is a series seen only to grow: it is drawn as a per-second rate.
function isCounter (s) { return s.rising && !s.fell }

function rates (values) {
  const out = new Array(values.length).fill(null)
  for (let i = 1; i < values.length; i++) {
    if (values[i] != null && values[i - 1] != null) out[i] = (values[i] - values[i - 1]) / (times[i] - times[i - 1])
  }
  return out
}

function last (values) {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] != null) return values[i]
  return null
}

function walk (value, path, visit) {
  if (typeof value === 'number') visit(path, value)
  else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const key of Object.keys(value)) walk(value[key], `${path}.${key}`, visit)
  }
}

function record (doc, now) {
  times.push(now)
  const seen = new Set()
  for (const name of Object.keys(doc)) {
    walk(doc[name], name, (path, v) => {
      // Keys may hold dots: { 'a.b': 1 } beside { a: { b: 2 } } give one path; the first is kept.
      if (seen.has(path)) return
      seen.add(path)
      let s = series.get(path)
      if (!s) series.set(path, (s = { values: new Array(times.length - 1).fill(null), rising: false, fell: false }))
      const prev = last(s.values)
      if (prev != null && v > prev) s.rising = true
      if (prev != null && v < prev) s.fell = true
      s.values.push(v)
    })
  }
  for (const [path, s] of series) if (!seen.has(path)) s.values.push(null)
  if (doc.memstats) recordPauses(doc.memstats, now)
  while (times.length && times[0] < now - WINDOW_S) {
    times.shift()
    for (const s of series.values()) s.values.shift()
  }
  for (const [path, s] of series) {
    if (last(s.values) === null) {
      s.chart?.destroy()
      s.card?.remove()
      series.delete(path)
    }
  }
}

// GC number k (0-based) sits in slot k % 256 of PauseNs and PauseEnd (ns since the epoch).
function recordPauses (m, now) {
  if (!Array.isArray(m.PauseNs) || !Array.isArray(m.PauseEnd) || typeof m.NumGC !== 'number') return
  const first = Math.max(gc.seen + 1, m.NumGC - 256)
  for (let k = first; k < m.NumGC; k++) {
    const end = m.PauseEnd[k % 256] / 1e9
    if (end >= now - WINDOW_S) { gc.t.push(end); gc.ms.push(m.PauseNs[k % 256] / 1e6) }
  }
  gc.seen = m.NumGC - 1
  while (gc.t.length && gc.t[0] < now - WINDOW_S) { gc.t.shift(); gc.ms.shift() }
}

const matches = (text) => text.toLowerCase().includes(filter)

// Pauses from the ring may predate the page's first poll: the axis reaches back to them.
function gcRange () {
  const from = Math.min(times[0], gc.t[0] ?? Infinity)
  return [from, Math.max(times[times.length - 1], from + 1)]
}

function drawPanels (doc) {
  const host = $('panels')
  for (const p of PANELS) {
    const keys = (p.keys ?? []).map((k) => `${p.v}.${k}`)
    const present = doc[p.v] !== undefined && (p.gc || keys.some((k) => series.has(k)))
    const shown = present && (matches(p.title) || matches(p.v) || keys.some(matches))
    if (!shown) { if (p.view) p.view.card.hidden = true; continue }
    if (!p.view) {
      p.view = card(host, p.title)
      p.view.chart = makeChart(p.view.card, p.gc ? ['pause'] : (p.labels ?? p.keys), p.format, {
        height: 170, points: p.gc, range: p.gc ? gcRange : undefined
      })
      panels.push(p)
    }
    p.view.card.hidden = false
    if (p.gc) {
      p.view.value.textContent = `${doc.memstats.NumGC} GC${doc.memstats.NumGC === 1 ? '' : 's'}, ${exact.format(doc.memstats.PauseTotalNs / 1e6)} ms paused in total`
      p.view.chart.setData([gc.t, gc.ms])
      continue
    }
    const data = keys.map((k) => {
      const values = series.get(k)?.values ?? times.map(() => null)
      return p.rate ? rates(values) : values.map((v) => (v == null ? null : v * (p.scale ?? 1)))
    })
    p.view.value.textContent = (p.labels ?? p.keys).map((label, i) => `${label} ${p.format(last(data[i]) ?? 0)}`).join(' · ')
    p.view.chart.setData([times, ...data])
  }
}

function drawCharts () {
  const host = $('charts')
  let shown = 0
  let matching = 0
  for (const [path, s] of series) {
    const visible = matches(path) && ++matching <= MAX_CHARTS
    if (!visible) { if (s.card) s.card.hidden = true; continue }
    shown++
    if (!s.card) {
      Object.assign(s, card(host, path))
      s.raw = element('span', 'raw')
      s.chart = makeChart(s.card, [path], compact.format)
    }
    s.card.hidden = false
    const raw = last(s.values)
    if (isCounter(s)) {
      const data = rates(s.values)
      s.value.textContent = `${compact.format(last(data) ?? 0)}/s`
      s.raw.textContent = exact.format(raw)
      s.value.append(s.raw)
      s.chart.setData([times, data])
    } else {
      s.value.textContent = exact.format(raw)
      s.chart.setData([times, s.values])
    }
  }
  $('count').textContent = `${shown} of ${series.size} charted`
  $('more').hidden = matching <= MAX_CHARTS
  $('more').textContent = `${matching - MAX_CHARTS} more values match: narrow them with the filter.`
}

function leafText (value) {
  return JSON.stringify(value) ?? String(value)
}

function shape (value, path, out) {
  out.push(path)
  if (value !== null && typeof value === 'object' && !isLeaf(value)) for (const k of Object.keys(value)) shape(value[k], `${path}.${k}`, out)
  return out
}

// Arrays of plain values (e.g. PauseNs) read best on one line.
function isLeaf (value) {
  return Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')
}

function renderNode (keys, value, path) {
  const key = keys[keys.length - 1]
  const depth = keys.length - 1
  if (value !== null && typeof value === 'object' && !isLeaf(value)) {
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
  row.append(element('span', 'k', key), element('span', 'v', leafText(value)))
  return row
}

function drawTree (doc) {
  const host = $('tree')
  const names = Object.keys(doc)
  const now = names.map((n) => shape(doc[n], n, []).join('\n')).join('\n')
  if (now !== treeShape) {
    treeShape = now
    host.replaceChildren(...names.map((n) => renderNode([n], doc[n], n)))
  } else {
    for (const row of host.querySelectorAll('.leaf')) {
      let v = doc
      for (const k of row.keys) v = v?.[k]
      row.lastChild.textContent = leafText(v)
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
  drawPanels(lastDoc)
  drawCharts()
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

async function poll () {
  timer = 0
  if (inFlight) return
  inFlight = true
  const started = performance.now()
  try {
    let res
    try {
      res = await fetch(DOCUMENT_URL, {
        cache: 'no-store',
        credentials: 'same-origin',
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS)
      })
    } catch (err) {
      throw new Error(err.name === 'TimeoutError' ? `no answer within ${FETCH_TIMEOUT_MS / 1000} s` : `network error (${err.message})`)
    }
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim())
    lastDoc = await res.json()
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
window.addEventListener('resize', resize)
window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', rebuild)
colors = readColors()
poll()
