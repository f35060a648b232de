// The runtime figures behind prom-client's process and event-loop families: one reading per window, shared by an instance's builtins and scrapes; a start time fixed for the process's life, a measured event-loop lag.
import fs from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
import { performance } from 'node:perf_hooks'
import v8 from 'node:v8'
import Fastify from 'fastify'
import { type Test, test } from 'tap'
import expvar from '../index.js'
import { maxOpenFiles, ProcFiles, ProcStats, readProc } from '../lib/builtins/proc.js'
import { READING_MAX_AGE_MS } from '../lib/builtins/readings.js'
import { clock } from './helpers.js'

/** Counts the calls of obj[key] from now on (the function still runs); restored at the test's end. */
function spy (t: Test, obj: object, key: string, counts: Record<string, number>, name = key): void {
  const o = obj as Record<string, (...args: unknown[]) => unknown>
  const real = o[key] as (...args: unknown[]) => unknown
  counts[name] = 0
  o[key] = Object.assign(function (this: unknown, ...args: unknown[]) {
    counts[name] = (counts[name] as number) + 1
    return real.apply(this, args)
  }, real)
  t.teardown(() => { o[key] = real })
}

/** A busy wait on the wall clock (performance.now may be the test's). */
function block (ms: number): void {
  const until = process.hrtime.bigint() + BigInt(ms * 1e6)
  while (process.hrtime.bigint() < until);
}

test('the process var\'s /proc figures: Linux only, read when asked, a failure logged once until it recovers', async (t) => {
  const logged: unknown[] = []
  const log = { warn: () => {}, error: (obj: unknown) => { logged.push(obj) } }
  t.equal(new ProcStats(log, 'darwin').read(), undefined, 'none off Linux, as in prom-client')

  let reads = 0
  let fail = false
  const files = new ProcFiles()
  const reading = readProc(files)
  files.close()
  const proc = new ProcStats(log, 'linux', () => {
    reads++
    if (fail) throw new Error('no /proc')
    return reading
  })
  t.equal(proc.read(), reading)
  t.equal(reads, 1, '/proc read once a read (the instance\'s readings share it within a window)')
  fail = true
  t.equal(proc.read(), undefined, 'a failed read leaves the figures out')
  t.equal(proc.read(), undefined)
  t.equal(reads, 3)
  t.equal(logged.length, 1, 'logged once while it fails')
  fail = false
  t.equal(proc.read(), reading, 'recovered')
  fail = true
  proc.read()
  t.equal(logged.length, 2, 'a new failure after a recovery is logged anew')
  t.match(logged[0], { var: 'process', err: { message: 'no /proc' } })

  // The limit as the kernel writes it; unlimited is no limit.
  const limits = (soft: string): string => `Limit                     Soft Limit           Hard Limit           Units     \nMax open files            ${soft.padEnd(21)}1048576              files     \n`
  t.equal(maxOpenFiles(limits('1024')), 1024)
  t.equal(maxOpenFiles(limits('unlimited')), Infinity)

  // The real reading, as prom-client reads it.
  t.ok(reading.vm.size >= process.memoryUsage.rss() && reading.vm.data > 0, 'VmSize >= the resident set; VmData')
  t.ok(reading.fds.open > 0 && reading.fds.open < reading.fds.max, 'open descriptors under the limit')
})

test('process_start_time_seconds is one number for the life of the process; nodejs_eventloop_lag_seconds a measured lag', async (t) => {
  const time = clock(t)
  const app = Fastify()
  await app.register(expvar, { prometheus: true })
  t.teardown(() => app.close())
  // Read after eventloop in each scrape (names in order), in the same turn: the immediate queued
  // at eventloop's read runs at least this late, and the next scrape reports it.
  app.expvar.register('zz_block', () => {
    block(20)
    return 0
  })
  // The immediate queued when the builtin started has run.
  await new Promise((resolve) => setImmediate(resolve))
  const starts = new Set<string>()
  const lags: number[] = []
  for (let i = 0; i < 5; i++) {
    // Each scrape in a window of its own: the eventloop builtin reads again at each.
    time.to(i * READING_MAX_AGE_MS)
    const text = (await app.inject('/metrics')).body
    starts.add(/^process_start_time_seconds (\S+)$/m.exec(text)?.[1] as string)
    lags.push(Number(/^nodejs_eventloop_lag_seconds (\S+)$/m.exec(text)?.[1]))
    // inject() runs on microtasks alone: a turn of the loop between scrapes, as a socket's scrapes have.
    await new Promise((resolve) => setImmediate(resolve))
  }
  t.same([...starts], [String(Math.round(performance.timeOrigin / 1000))], 'the process\'s time origin, rounded, at every scrape')
  t.ok(lags.every((lag) => lag > 0), 'every scrape has a lag')
  t.ok(lags.slice(1).every((lag) => lag >= 0.02), `the blocked turn is seen by the next scrape, in seconds: ${lags.join(', ')}`)
  const doc = await app.expvar.snapshot()
  t.equal((doc.process as { startTime: number }).startTime, Math.round(performance.timeOrigin / 1000), 'the document\'s process.startTime')
  t.ok((doc.eventloop as { lag: number }).lag > 0, 'the document\'s eventloop.lag, in ns')
})

test('the process var\'s memory (rss read from /proc on Linux) is read at most once per window, shared by the scrapes in it', async (t) => {
  const time = clock(t)
  const app = Fastify()
  await app.register(expvar, { cmdline: false, memstats: false, builtins: ['process'] })
  t.teardown(() => app.close())
  const memoryOf = async (): Promise<NodeJS.MemoryUsage> => ((await app.expvar.snapshot()).process as { memory: NodeJS.MemoryUsage }).memory
  const first = await memoryOf()
  // Kept, so that the next reading is larger whatever a GC in between frees: 64 MiB outside V8's
  // heap (a heap of small objects was not enough: a GC between the readings could free more).
  const retained = Buffer.alloc(2 ** 26)
  time.to(READING_MAX_AGE_MS - 1)
  t.same(await memoryOf(), first, 'shared within the window')
  time.to(READING_MAX_AGE_MS)
  const next = await memoryOf()
  t.ok(next.arrayBuffers - first.arrayBuffers >= 2 ** 25, `read again at the interval: arrayBuffers ${first.arrayBuffers} then ${next.arrayBuffers}`)
  t.equal(retained.length, 2 ** 26)
})

test('an instance reads each runtime source once per window, for all its builtins and scrapes; another instance reads its own', async (t) => {
  const time = clock(t)
  const reads: Record<string, number> = {}
  spy(t, process, 'resourceUsage', reads)
  spy(t, process, 'memoryUsage', reads)
  spy(t, v8, 'getHeapStatistics', reads)
  spy(t, v8, 'getHeapSpaceStatistics', reads)
  // eventloop's read of a window: two utilization calls.
  spy(t, performance, 'eventLoopUtilization', reads)
  // /proc/self/status and /proc/self/limits (kept open: read, not opened, at each reading), and the
  // /proc/self/fd listing: the named imports follow the spies.
  spy(t, fs, 'readSync', reads)
  spy(t, fs, 'readdirSync', reads)
  syncBuiltinESMExports()
  t.teardown(() => syncBuiltinESMExports())

  const start = async (): Promise<ReturnType<typeof Fastify>> => {
    const app = Fastify()
    // prometheus: true turns on resource, process, eventloop and gc beside cmdline and memstats.
    await app.register(expvar, { prometheus: true })
    t.teardown(() => app.close())
    await app.ready()
    return app
  }
  const a = await start()
  const b = await start()
  const scrape = async (app: typeof a): Promise<void> => {
    for (const url of ['/metrics', '/debug/vars', '/metrics']) t.equal((await app.inject(url)).statusCode, 200)
  }
  const counted = (): Record<string, number> => ({ ...reads })
  // What starting the builtins read (the event-loop monitor's first utilization, memstats' first used heap size).
  const zero = counted()
  const since = (base: Record<string, number>): Record<string, number> =>
    Object.fromEntries(Object.entries(reads).map(([name, n]) => [name, n - (base[name] as number)]))
  // readSync: status and limits, each read to its end (a read that returns nothing).
  const once = { resourceUsage: 1, memoryUsage: 1, getHeapStatistics: 1, getHeapSpaceStatistics: 1, eventLoopUtilization: 2, readSync: 4, readdirSync: 1 }

  await scrape(a)
  t.same(since(zero), once, 'three scrapes of both formats in one window: each source read once, shared by memstats and process')
  const afterA = counted()
  await scrape(b)
  t.same(since(afterA), once, 'another instance reads its own')
  const afterB = counted()
  time.to(READING_MAX_AGE_MS - 1)
  await scrape(a)
  t.same(since(afterB), { resourceUsage: 0, memoryUsage: 0, getHeapStatistics: 0, getHeapSpaceStatistics: 0, eventLoopUtilization: 0, readSync: 0, readdirSync: 0 }, 'still the same window: nothing read')
  time.to(READING_MAX_AGE_MS)
  await scrape(a)
  t.same(since(afterB), once, 'the next window: each read once again')
})

/** The descriptors of this process open on /proc/<pid>/<file>. */
function openOn (file: string): number {
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === `/proc/${process.pid}/${file}`
    } catch {
      return false // the listing's own descriptor, closed by now
    }
  }).length
}

test('the /proc files are opened once and read afresh from their start at each reading, and closed with the instance', { skip: process.platform !== 'linux' && 'Linux only' }, async (t) => {
  const time = clock(t)
  const app = Fastify()
  await app.register(expvar, { cmdline: false, memstats: false, builtins: ['process'] })
  const vmOf = async (): Promise<{ size: number }> => ((await app.expvar.snapshot()).process as { vm: { size: number } }).vm
  const before = await vmOf()
  t.same([openOn('status'), openOn('limits')], [1, 1], 'status and limits held open while the instance lives')
  // 64 MiB mapped outside V8's heap: the virtual size grows by at least that.
  const retained = Buffer.alloc(2 ** 26, 1)
  time.to(READING_MAX_AGE_MS)
  const after = await vmOf()
  t.ok(after.size - before.size >= 2 ** 25, `the open file read again shows the new size: VmSize ${before.size} then ${after.size}`)
  t.same([openOn('status'), openOn('limits')], [1, 1], 'no descriptor opened again')
  const processVar = app.expvar.get('process')
  await app.close()
  t.same([openOn('status'), openOn('limits')], [0, 0], 'closed with the instance')
  time.to(2 * READING_MAX_AGE_MS)
  const closed = processVar?.value() as { vm: { size: number } }
  t.ok(closed.vm.size > 0, 'a closed instance\'s var still reads /proc')
  t.same([openOn('status'), openOn('limits')], [0, 0], 'and keeps nothing open')
  t.equal(retained.length, 2 ** 26)

  // A file longer than one read is read whole.
  const files = new ProcFiles()
  t.teardown(() => files.close())
  const maps = files.read('/proc/self/maps')
  t.ok(maps.length > 8192 && maps.endsWith('\n'), `read whole: ${maps.length} bytes`)
})

test('a scrape that straddles the end of a window reads each source once: the window lasts to the end of its turn', async (t) => {
  const time = clock(t)
  const reads: Record<string, number> = {}
  spy(t, process, 'memoryUsage', reads)
  const app = Fastify()
  await app.register(expvar, { prometheus: true, cmdline: false, memstats: true, builtins: ['process'] })
  t.teardown(() => app.close())
  // Read between memstats and process (names in order), in the same turn: the clock moves a window on.
  let at = 0
  app.expvar.register('nn_clock', () => {
    at += READING_MAX_AGE_MS
    time.to(at)
    return 0
  })
  await app.ready()
  for (let i = 0; i < 2; i++) {
    const before = reads.memoryUsage as number
    const text = (await app.inject('/metrics')).body
    t.match(text, /^nn_clock 0$/m)
    t.equal((reads.memoryUsage as number) - before, 1, `scrape ${i + 1}: memstats and process share one memoryUsage()`)
  }
  t.equal(at, 2 * READING_MAX_AGE_MS, 'each scrape ended a window in its middle')
})
