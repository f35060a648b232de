// The memstats builtin: Go's runtime.MemStats shape and types, fed by real GCs, per instance.
import type { FastifyInstance } from 'fastify'
import v8 from 'node:v8'
import vm from 'node:vm'
import { test } from 'tap'
import { Registry, type Var } from '../index.js'
import { build, clock, observerDisconnects, scrape, waitFor } from './helpers.js'

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

// runtime.MemStats, field by field, in Go's order, with Go's types.
const GO_MEMSTATS: ReadonlyArray<readonly [string, 'uint64' | 'uint32' | 'float64' | 'bool' | 'ring' | 'bysize']> = [
  ['Alloc', 'uint64'], ['TotalAlloc', 'uint64'], ['Sys', 'uint64'], ['Lookups', 'uint64'],
  ['Mallocs', 'uint64'], ['Frees', 'uint64'], ['HeapAlloc', 'uint64'], ['HeapSys', 'uint64'],
  ['HeapIdle', 'uint64'], ['HeapInuse', 'uint64'], ['HeapReleased', 'uint64'], ['HeapObjects', 'uint64'],
  ['StackInuse', 'uint64'], ['StackSys', 'uint64'], ['MSpanInuse', 'uint64'], ['MSpanSys', 'uint64'],
  ['MCacheInuse', 'uint64'], ['MCacheSys', 'uint64'], ['BuckHashSys', 'uint64'], ['GCSys', 'uint64'],
  ['OtherSys', 'uint64'], ['NextGC', 'uint64'], ['LastGC', 'uint64'], ['PauseTotalNs', 'uint64'],
  ['PauseNs', 'ring'], ['PauseEnd', 'ring'], ['NumGC', 'uint32'], ['NumForcedGC', 'uint32'],
  ['GCCPUFraction', 'float64'], ['EnableGC', 'bool'], ['DebugGC', 'bool'], ['BySize', 'bysize']
]
// Go's size classes: the first 61 of runtime/sizeclasses.go.
const GO_SIZES = [
  0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320,
  352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048,
  2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240,
  10880, 12288, 13568, 14336, 16384, 18432
]
const UINT32_MAX = 2 ** 32 - 1

type Counter = 'Alloc' | 'TotalAlloc' | 'Sys' | 'Lookups' | 'Mallocs' | 'Frees' | 'HeapAlloc' | 'HeapSys' | 'HeapIdle' |
  'HeapInuse' | 'HeapReleased' | 'HeapObjects' | 'StackInuse' | 'StackSys' | 'MSpanInuse' | 'MSpanSys' | 'MCacheInuse' |
  'MCacheSys' | 'BuckHashSys' | 'GCSys' | 'OtherSys' | 'NextGC' | 'LastGC' | 'PauseTotalNs' | 'NumGC' | 'NumForcedGC' | 'GCCPUFraction'
interface SizeClass { Size: number, Mallocs: number, Frees: number }
type MemStats = Record<Counter, number> & { PauseNs: number[], PauseEnd: number[], EnableGC: boolean, DebugGC: boolean, BySize: SizeClass[] }

function isUint (value: unknown, max = Number.MAX_VALUE): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max
}

async function memstatsOf (app: FastifyInstance): Promise<MemStats> {
  return (await scrape(app)).memstats as MemStats
}

async function memstatsText (app: FastifyInstance): Promise<string> {
  return (await app.inject('/debug/vars?vars=memstats')).body
}

/** Forces a full GC and waits until the instance's observer has seen it; returns the new memstats. */
async function forceGC (app: FastifyInstance, before: MemStats): Promise<MemStats> {
  gc()
  return waitFor('the forced GC observed', async () => {
    const now = await memstatsOf(app)
    return now.NumForcedGC > before.NumForcedGC && now
  })
}

test('memstats is on by default, with Go\'s 32 keys in Go\'s order', async (t) => {
  const { app } = await build({ memstats: true })
  t.teardown(() => app.close())
  const m = await memstatsOf(app)
  t.same(Object.keys(m), GO_MEMSTATS.map(([name]) => name))
})

test('memstats: false leaves it out', async (t) => {
  const { app } = await build({ memstats: false })
  t.teardown(() => app.close())
  t.notOk('memstats' in await scrape(app))
})

test('every field has Go\'s JSON type, and counters are written as integer literals', async (t) => {
  const { app } = await build({ memstats: true })
  t.teardown(() => app.close())
  const body = (await app.inject('/debug/vars')).body
  const m = JSON.parse(body).memstats as MemStats
  for (const [name, type] of GO_MEMSTATS) {
    const value: unknown = m[name as keyof MemStats]
    switch (type) {
      case 'uint64':
        t.ok(isUint(value), `${name} is a non-negative integer`)
        t.match(body, new RegExp(`"${name}":\\d+[,}]`), `${name} is an integer literal`)
        break
      case 'uint32':
        t.ok(isUint(value, UINT32_MAX), `${name} is a uint32`)
        break
      case 'float64':
        t.ok(typeof value === 'number' && value >= 0 && value <= 1, `${name} is a fraction`)
        break
      case 'bool':
        t.type(value, 'boolean', `${name} is a boolean`)
        break
      case 'ring':
        t.equal((value as number[]).length, 256, `${name} has 256 slots`)
        t.ok((value as number[]).every((slot) => isUint(slot)), `${name} holds non-negative integers`)
        break
      case 'bysize': {
        const classes = value as SizeClass[]
        t.same(classes.map((c) => Object.keys(c)), GO_SIZES.map(() => ['Size', 'Mallocs', 'Frees']), 'BySize entries are {Size, Mallocs, Frees}')
        t.same(classes.map((c) => c.Size), GO_SIZES, 'BySize carries Go\'s size classes')
        t.ok(classes.every((c) => c.Mallocs === 0 && c.Frees === 0), 'BySize counts are 0: V8 counts neither allocations nor frees')
      }
    }
  }
  t.equal(m.EnableGC, true)
  t.equal(m.DebugGC, false)
})

test('the fields keep Go\'s invariants', async (t) => {
  const { app } = await build({ memstats: true })
  t.teardown(() => app.close())
  const m = await memstatsOf(app)
  t.ok(m.Alloc > 0, 'Alloc is read from the heap')
  t.equal(m.HeapAlloc, m.Alloc, 'HeapAlloc is Alloc')
  t.ok(m.TotalAlloc >= m.Alloc, 'TotalAlloc counts at least what is allocated now')
  // V8 counts no allocations, frees or objects: the README says these are 0, not a guess.
  t.same([m.Mallocs, m.Frees, m.HeapObjects], [0, 0, 0], 'Mallocs, Frees and HeapObjects are 0')
  t.equal(m.HeapInuse + m.HeapIdle, m.HeapSys, 'HeapSys = HeapInuse + HeapIdle')
  t.ok(m.HeapInuse >= m.HeapAlloc, 'in-use spans hold at least the allocated bytes')
  t.ok(m.HeapReleased <= m.HeapIdle, 'released memory is idle memory')
  t.equal(m.Sys, m.HeapSys + m.StackSys + m.MSpanSys + m.MCacheSys + m.BuckHashSys + m.GCSys + m.OtherSys, 'Sys is the sum of the *Sys fields')
  t.ok(m.Sys >= process.memoryUsage().heapTotal, 'Sys covers the V8 heap')
  t.equal(m.NextGC, m.HeapSys, 'NextGC is the committed heap')
})

test('a forced GC advances NumGC and NumForcedGC and fills the newest ring slot', async (t) => {
  const { app } = await build({ memstats: true })
  t.teardown(() => app.close())
  const before = await memstatsOf(app)
  const startedNs = Date.now() * 1e6
  const after = await forceGC(app, before)
  t.ok(after.NumGC > before.NumGC, 'NumGC advanced')
  t.ok(after.NumForcedGC === before.NumForcedGC + 1, 'one more forced GC')
  const newest = (after.NumGC + 255) % 256
  t.ok((after.PauseNs[newest] ?? 0) > 0, 'the newest slot holds the pause')
  t.equal(after.PauseEnd[newest], after.LastGC, 'the newest slot ends at LastGC')
  t.ok(after.LastGC >= startedNs - 1e9 && after.LastGC <= Date.now() * 1e6 + 1e9, 'LastGC is in ns since the Unix epoch')
  t.ok(after.PauseTotalNs > before.PauseTotalNs, 'PauseTotalNs grew')
  // Fewer than 256 GCs were seen, so the ring still holds every pause.
  t.ok(after.NumGC < 256)
  t.equal(after.PauseNs.reduce((sum, ns) => sum + ns, 0), after.PauseTotalNs, 'PauseTotalNs sums the pauses')
  t.ok(after.GCCPUFraction > 0 && after.GCCPUFraction <= 1, 'GCCPUFraction counts the pauses')
  // PauseEnd holds ns since the epoch (~1.7e18, beyond 2^53): still plain integer literals, as Go's uint64.
  const body = (await app.inject('/debug/vars')).body
  t.match(body, /"PauseNs":\[\d+(,\d+){255}\],"PauseEnd":\[\d+(,\d+){255}\]/, 'the rings are integer literals')
})

test('garbage made by the program is collected without being forced, and counted', async (t) => {
  const { app } = await build({ memstats: true })
  t.teardown(() => app.close())
  const before = await memstatsOf(app)
  // Garbage made until a GC that nothing forced is observed (NumGC advanced).
  const after = await waitFor('an unforced GC observed', async () => {
    let garbage: unknown[] = []
    for (let j = 0; j < 1e5; j++) garbage.push({ j })
    garbage = []
    const now = await memstatsOf(app)
    return now.NumGC > before.NumGC && now
  }, { every: 1 })
  t.equal(after.NumForcedGC, before.NumForcedGC, 'nothing was forced')
  t.ok(after.TotalAlloc > before.TotalAlloc, 'TotalAlloc grew with the allocations')
})

test('PauseTotalNs and TotalAlloc never go back', async (t) => {
  const { app } = await build({ memstats: true })
  t.teardown(() => app.close())
  let previous = await memstatsOf(app)
  for (let i = 0; i < 5; i++) {
    // Garbage for the forced GC to collect.
    Array.from({ length: 1e5 }, (_, j) => ({ j }))
    const now = await forceGC(app, previous)
    t.ok(now.PauseTotalNs >= previous.PauseTotalNs, 'PauseTotalNs is monotonic')
    t.ok(now.TotalAlloc >= previous.TotalAlloc, 'TotalAlloc is monotonic')
    previous = now
  }
})

test('two instances each observe GCs until their own close', async (t) => {
  const a = (await build({ memstats: true })).app
  const b = (await build({ memstats: true })).app
  t.teardown(() => b.close())
  const aBefore = await memstatsOf(a)
  const aMemstats = a.expvar.get('memstats') as Var
  await a.close()
  const bAfter = await forceGC(b, await memstatsOf(b))
  t.ok(bAfter.NumForcedGC > 0, 'the open instance saw the GC')
  // Past the 100 ms in which scrapes share a reading, so a's answer is read anew.
  clock(t).to(100)
  // The closed instance's var still answers, through both of Go's Var methods, without the GC.
  const aAfter = JSON.parse(aMemstats.string()) as MemStats
  t.equal(aAfter.NumGC, aBefore.NumGC, 'the closed instance stopped observing')
  const aValue = aMemstats.value() as MemStats
  t.same(Object.keys(aValue), GO_MEMSTATS.map(([name]) => name), 'value() has the same fields')
  t.equal(aValue.NumGC, aBefore.NumGC)
})

test('scrapes within 100 ms of a reading share it; the first one after reads V8 and /proc again', async (t) => {
  const { app } = await build({ memstats: true })
  t.teardown(() => app.close())
  const time = clock(t)
  const first = await memstatsText(app)
  // Retained, so the heap in use is larger at the next reading.
  const retained = Array.from({ length: 5e5 }, (_, j) => ({ j }))
  time.to(99)
  t.equal(await memstatsText(app), first, 'shared 99 ms later')
  time.to(100)
  const next = await memstatsText(app)
  t.not(next, first, 'read again at 100 ms')
  t.ok(JSON.parse(next).memstats.Alloc > JSON.parse(first).memstats.Alloc, 'the new reading sees the retained heap')
  t.equal(retained.length, 5e5)
})

test('a memstats refused by the registry stops the GC observer it started', async (t) => {
  const disconnects = observerDisconnects(t)
  const registry = new Registry({ collisions: 'error' })
  registry.register('memstats', () => 'taken')
  await t.rejects(build({ registry, memstats: true }), { code: 'FST_EXPVAR_DUPLICATE' })
  t.equal(disconnects.count, 1)
})

test('memstats\' value is frozen, so that no caller changes what the next one reads; it is its text\'s data', async (t) => {
  // One moment: the value and the text of one reading.
  clock(t)
  const { app } = await build({ memstats: true })
  const memstats = app.expvar.get('memstats') as Var
  const value = memstats.value() as { BySize: object[], PauseNs: number[] }
  t.ok(Object.isFrozen(value))
  t.ok(Object.isFrozen(value.BySize[0]), 'all the way down')
  t.ok(Object.isFrozen(value.PauseNs), 'the rings too')
  t.same(value, JSON.parse(memstats.string?.() as string), 'the same data as the text Go\'s tools read')
  t.throws(() => { (value as Record<string, unknown>).NumGC = -1 })
})
