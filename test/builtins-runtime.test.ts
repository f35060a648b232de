// The runtime figures behind prom-client's process and event-loop families: /proc read once per interval, a start time fixed for the process's life, a measured event-loop lag.
import { performance } from 'node:perf_hooks'
import Fastify from 'fastify'
import { test } from 'tap'
import expvar from '../index.js'
import { maxOpenFiles, PROC_MAX_AGE_MS, ProcStats, readProc } from '../lib/builtins/proc.js'
import { waitFor } from './helpers.js'

test('the process var\'s /proc figures: Linux only, read once per interval, a failure logged once until it recovers', async (t) => {
  const logged: unknown[] = []
  const log = { warn: () => {}, error: (obj: unknown) => { logged.push(obj) } }
  t.equal(new ProcStats(log, 'darwin').read(), undefined, 'none off Linux, as in prom-client')

  let reads = 0
  let fail = false
  const reading = readProc()
  const proc = new ProcStats(log, 'linux', () => {
    reads++
    if (fail) throw new Error('no /proc')
    return reading
  })
  t.equal(proc.read(), reading)
  t.equal(proc.read(), reading, 'a second read at once shares the first')
  t.equal(reads, 1, '/proc read once')
  const later = async (): Promise<void> => {
    const from = performance.now()
    await waitFor('the last /proc reading to age', () => performance.now() - from > PROC_MAX_AGE_MS, { every: PROC_MAX_AGE_MS / 4 })
  }
  fail = true
  await later()
  t.equal(proc.read(), undefined, 'a failed read leaves the figures out')
  await later()
  t.equal(proc.read(), undefined)
  t.equal(reads, 3)
  t.equal(logged.length, 1, 'logged once while it fails')
  fail = false
  await later()
  t.equal(proc.read(), reading, 'recovered')
  fail = true
  await later()
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
  const app = Fastify()
  await app.register(expvar, { prometheus: true })
  t.teardown(() => app.close())
  // Read after eventloop in each scrape (names in order), in the same turn: the immediate queued
  // at eventloop's read runs at least this late, and the next scrape reports it.
  app.expvar.register('zz_block', () => {
    const until = performance.now() + 20
    while (performance.now() < until);
    return 0
  })
  // The immediate queued when the builtin started has run.
  await new Promise((resolve) => setImmediate(resolve))
  const starts = new Set<string>()
  const lags: number[] = []
  for (let i = 0; i < 5; i++) {
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

test('the process var\'s memory (rss read from /proc on Linux) is read at most once per interval, shared by the scrapes in it', async (t) => {
  const real = performance.now
  const start = real.call(performance)
  let time = start
  performance.now = () => time
  t.teardown(() => { performance.now = real })
  const app = Fastify()
  await app.register(expvar, { cmdline: false, memstats: false, builtins: ['process'] })
  t.teardown(() => app.close())
  const memoryOf = async (): Promise<NodeJS.MemoryUsage> => ((await app.expvar.snapshot()).process as { memory: NodeJS.MemoryUsage }).memory
  const first = await memoryOf()
  // Kept, so that the next reading is larger whatever a GC in between frees: 64 MiB outside V8's
  // heap (a heap of small objects was not enough: a GC between the readings could free more).
  const retained = Buffer.alloc(2 ** 26)
  time = start + PROC_MAX_AGE_MS - 1
  t.same(await memoryOf(), first, 'shared within the interval')
  time = start + PROC_MAX_AGE_MS
  const next = await memoryOf()
  t.ok(next.arrayBuffers - first.arrayBuffers >= 2 ** 25, `read again at the interval: arrayBuffers ${first.arrayBuffers} then ${next.arrayBuffers}`)
  t.equal(retained.length, 2 ** 26)
})
