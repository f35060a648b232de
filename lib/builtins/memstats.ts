// Go's `memstats` var: runtime.MemStats' 32 fields in Go's order, filled from V8's heap statistics and GC entries.
import type { FastifyPluginAsync } from 'fastify'
import { constants, performance, PerformanceObserver, type NodeGCPerformanceDetail, type PerformanceEntry } from 'node:perf_hooks'
import v8 from 'node:v8'
import type { Var } from '../../types/index.js'
import { type Families, field, single } from '../families.js'
import { numberJSON, writeJSON } from '../json.js'
import { byField } from '../cluster/aggregate.js'
import { isPlainObject } from '../merge.js'
import { type Builtin, builtinSource, publishBuiltin } from './publish.js'
import { type BuiltinContext, deepFreeze, type Readings } from './readings.js'

/** Go's ring buffers of recent pauses: the newest at (NumGC + 255) % 256. */
export const RING_SIZE = 256

// Go's size classes (runtime/sizeclasses.go, class_to_size); MemStats.BySize reports the first 61.
// V8 allocates by bump pointer and counts no objects, so only Size carries information here.
const GO_SIZE_CLASSES = [
  0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320,
  352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048,
  2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240,
  10880, 12288, 13568, 14336, 16384, 18432
]
// Never changes: made and written once per process, shared by every instance (frozen).
const BY_SIZE = deepFreeze(GO_SIZE_CLASSES.map((Size) => ({ Size, Mallocs: 0, Frees: 0 })))
const BY_SIZE_JSON = writeJSON(BY_SIZE)

const NS_PER_MS = 1e6
// Young-generation spaces: what is not used there is the empty semispace, idle rather than in use.
const YOUNG_SPACE = /^new_/

/** The fields that are read from V8 at every scrape, in Go's order. */
interface Sample {
  Alloc: number
  TotalAlloc: number
  Sys: number
  HeapSys: number
  HeapIdle: number
  HeapInuse: number
  HeapReleased: number
  OtherSys: number
}

/** Go's MemStats as a var: scalar fields read per scrape, GC history kept from GC performance entries. */
class MemStats implements Var {
  readonly source = builtinSource('memstats')
  #numGC = 0
  #numForcedGC = 0
  #pauseTotalNs = 0
  #lastGC = 0
  readonly #pauseNs = new Float64Array(RING_SIZE)
  readonly #pauseEnd = new Float64Array(RING_SIZE)
  // The rings as frozen arrays and as JSON, made at the first reading after a GC rather than at every GC.
  #rings: { readonly PauseNs: readonly number[], readonly PauseEnd: readonly number[] } | null = null
  #ringsJSON: string | null = null
  // TotalAlloc: V8 counts no allocation, so every growth of the used heap seen between two samples
  // (scrapes and GCs) is added up. A lower bound of the bytes allocated, and monotonic.
  #totalAlloc: number
  #lastUsed: number
  readonly #createdAt = performance.now()
  // One reading (V8's two statistics calls, /proc for the RSS, the text) costs more than the rest
  // of a scrape of the default vars: made once per window of the instance's readings, as JSON and
  // as a frozen value from the same numbers (the exposition reads the value, the document the text).
  readonly #readings: Readings
  readonly #heap: () => v8.HeapInfo
  #text = ''
  #value: Readonly<Record<string, unknown>> = {}
  #window = 0
  readonly #observer: PerformanceObserver

  constructor (readings: Readings) {
    this.#readings = readings
    this.#heap = readings.source(() => v8.getHeapStatistics())
    this.#lastUsed = this.#totalAlloc = v8.getHeapStatistics().used_heap_size
    this.#observer = new PerformanceObserver((list) => this.#record(list.getEntries()))
    this.#observer.observe({ entryTypes: ['gc'] })
  }

  /** Stops observing GCs; the var keeps answering with what it saw. */
  close (): void {
    this.#observer.disconnect()
  }

  /** The reading as a value, frozen, so that no caller can change what the next one gets. */
  value (): Readonly<Record<string, unknown>> {
    this.#renew()
    return this.#value
  }

  string (): string {
    this.#renew()
    return this.#text
  }

  #renew (): void {
    const window = this.#readings.window()
    if (window === this.#window) return
    this.#window = window
    const s = this.#sample()
    const gcCPUFraction = this.#gcCPUFraction()
    this.#rings ??= { PauseNs: Object.freeze(Array.from(this.#pauseNs)), PauseEnd: Object.freeze(Array.from(this.#pauseEnd)) }
    this.#ringsJSON ??= `"PauseNs":${ringJSON(this.#pauseNs)},"PauseEnd":${ringJSON(this.#pauseEnd)}`
    this.#value = Object.freeze({
      Alloc: s.Alloc,
      TotalAlloc: s.TotalAlloc,
      Sys: s.Sys,
      Lookups: 0,
      Mallocs: 0,
      Frees: 0,
      HeapAlloc: s.Alloc,
      HeapSys: s.HeapSys,
      HeapIdle: s.HeapIdle,
      HeapInuse: s.HeapInuse,
      HeapReleased: s.HeapReleased,
      HeapObjects: 0,
      StackInuse: 0,
      StackSys: 0,
      MSpanInuse: 0,
      MSpanSys: 0,
      MCacheInuse: 0,
      MCacheSys: 0,
      BuckHashSys: 0,
      GCSys: 0,
      OtherSys: s.OtherSys,
      NextGC: s.HeapSys,
      LastGC: this.#lastGC,
      PauseTotalNs: this.#pauseTotalNs,
      PauseNs: this.#rings.PauseNs,
      PauseEnd: this.#rings.PauseEnd,
      NumGC: this.#numGC,
      NumForcedGC: this.#numForcedGC,
      GCCPUFraction: gcCPUFraction,
      EnableGC: true,
      DebugGC: false,
      BySize: BY_SIZE
    })
    this.#text = '{"Alloc":' + numberJSON(s.Alloc) +
      ',"TotalAlloc":' + numberJSON(s.TotalAlloc) +
      ',"Sys":' + numberJSON(s.Sys) +
      ',"Lookups":0,"Mallocs":0,"Frees":0' +
      ',"HeapAlloc":' + numberJSON(s.Alloc) +
      ',"HeapSys":' + numberJSON(s.HeapSys) +
      ',"HeapIdle":' + numberJSON(s.HeapIdle) +
      ',"HeapInuse":' + numberJSON(s.HeapInuse) +
      ',"HeapReleased":' + numberJSON(s.HeapReleased) +
      ',"HeapObjects":0,"StackInuse":0,"StackSys":0,"MSpanInuse":0,"MSpanSys":0,"MCacheInuse":0,"MCacheSys":0,"BuckHashSys":0,"GCSys":0' +
      ',"OtherSys":' + numberJSON(s.OtherSys) +
      ',"NextGC":' + numberJSON(s.HeapSys) +
      ',"LastGC":' + numberJSON(this.#lastGC) +
      ',"PauseTotalNs":' + numberJSON(this.#pauseTotalNs) +
      ',' + this.#ringsJSON +
      ',"NumGC":' + numberJSON(this.#numGC) +
      ',"NumForcedGC":' + numberJSON(this.#numForcedGC) +
      ',"GCCPUFraction":' + numberJSON(gcCPUFraction) +
      ',"EnableGC":true,"DebugGC":false,"BySize":' + BY_SIZE_JSON + '}'
  }

  #sample (): Sample {
    const heap = this.#heap()
    const used = this.#observeUsed(heap.used_heap_size)
    let inuse = 0
    for (const space of this.#readings.heapSpaces()) {
      // Pages holding objects, with their fragmentation, as Go counts in-use spans.
      const held = YOUNG_SPACE.test(space.space_name) ? space.space_used_size : space.space_size - space.space_available_size
      inuse += Math.min(space.space_size, Math.max(space.space_used_size, held))
    }
    const heapSys = heap.total_heap_size
    const heapIdle = heapSys - inuse
    // memoryUsage() rather than its rss(): the process var reads the same reading.
    const rss = this.#readings.memoryUsage().rss
    return {
      Alloc: used,
      TotalAlloc: this.#totalAlloc,
      // Go's invariant: Sys is the sum of the *Sys fields; here HeapSys + OtherSys, the resident set.
      Sys: Math.max(rss, heapSys),
      HeapSys: heapSys,
      HeapIdle: heapIdle,
      HeapInuse: inuse,
      // Committed but not resident: what Go calls returned to the OS.
      HeapReleased: Math.min(heapIdle, Math.max(0, heapSys - heap.total_physical_size)),
      OtherSys: Math.max(0, rss - heapSys)
    }
  }

  #observeUsed (used: number): number {
    if (used > this.#lastUsed) this.#totalAlloc += used - this.#lastUsed
    this.#lastUsed = used
    return used
  }

  #gcCPUFraction (): number {
    // Of the JS thread's wall time since the var was created, the share spent in GC pauses.
    const elapsedNs = Math.max(1, (performance.now() - this.#createdAt) * NS_PER_MS)
    return Math.min(1, this.#pauseTotalNs / elapsedNs)
  }

  #record (entries: readonly PerformanceEntry[]): void {
    for (const entry of entries) {
      const pauseNs = Math.round(entry.duration * NS_PER_MS)
      const slot = this.#numGC % RING_SIZE
      this.#lastGC = Math.round((performance.timeOrigin + entry.startTime + entry.duration) * NS_PER_MS)
      this.#pauseNs[slot] = pauseNs
      this.#pauseEnd[slot] = this.#lastGC
      this.#pauseTotalNs += pauseNs
      this.#numGC++
      const { flags } = (entry as PerformanceEntry & { detail: NodeGCPerformanceDetail }).detail
      if ((flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0) this.#numForcedGC++
    }
    this.#rings = null
    this.#ringsJSON = null
    this.#observeUsed(v8.getHeapStatistics().used_heap_size)
  }
}

function ringJSON (ring: Float64Array): string {
  let out = '['
  for (let i = 0; i < ring.length; i++) out += (i === 0 ? '' : ',') + numberJSON(ring[i] as number)
  return out + ']'
}

/** memstats in the exposition formats, under prom-client's names; its GC pauses are the gc builtin's, by kind. */
const memstatsFamilies: Families = (value) => [
  single('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap committed, in bytes (memstats HeapSys).', field(value, 'HeapSys')),
  single('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap in use, in bytes (memstats HeapAlloc).', field(value, 'HeapAlloc'))
]

/** Publishes `memstats`; its GC observer is disconnected when the instance closes. */
const memstats: FastifyPluginAsync<BuiltinContext> = async function memstats (fastify, { readings }) {
  const stats = new MemStats(readings)
  publishBuiltin(fastify, memstatsBuiltin, stats, () => stats.close())
}

/**
 * memstats' PauseNs and PauseEnd: every worker's recent pauses merged by end time, the newest 256
 * kept, laid out so that the newest is at (NumGC + 255) % 256 for the summed NumGC, as Go has it.
 */
function mergeRings (stats: readonly Record<string, unknown>[], numGC: number): { PauseNs: number[], PauseEnd: number[] } {
  const pauses: { end: number, ns: number }[] = []
  for (const s of stats) {
    const n = Number(s.NumGC)
    const ns = s.PauseNs
    const end = s.PauseEnd
    if (!Array.isArray(ns) || !Array.isArray(end) || !(n > 0)) continue
    for (let k = 0; k < Math.min(n, RING_SIZE); k++) {
      const slot = (n - 1 - k) % RING_SIZE
      pauses.push({ end: Number(end[slot]), ns: Number(ns[slot]) })
    }
  }
  pauses.sort((a, b) => b.end - a.end)
  const PauseNs = new Array<number>(RING_SIZE).fill(0)
  const PauseEnd = new Array<number>(RING_SIZE).fill(0)
  for (let i = 0; i < Math.min(pauses.length, RING_SIZE); i++) {
    const slot = (((numGC - 1 - i) % RING_SIZE) + RING_SIZE) % RING_SIZE
    PauseNs[slot] = (pauses[i] as { ns: number }).ns
    PauseEnd[slot] = (pauses[i] as { end: number }).end
  }
  return { PauseNs, PauseEnd }
}

function memstatsAggregate (values: readonly unknown[]): unknown {
  const stats = values.filter(isPlainObject)
  const merged = byField({ GCCPUFraction: 'avg', LastGC: 'max', EnableGC: 'first', DebugGC: 'first', BySize: 'first' }, {
    PauseNs: (rings) => rings[0],
    PauseEnd: (rings) => rings[0]
  })(stats) as Record<string, unknown>
  if (stats.length > 1) Object.assign(merged, mergeRings(stats, Number(merged.NumGC)))
  return merged
}

/** memstats in the table: Go's MemStats, prom-client's heap and GC families, the rings merged across workers. */
export const memstatsBuiltin: Builtin = { name: 'memstats', plugin: memstats, families: memstatsFamilies, aggregate: memstatsAggregate }
