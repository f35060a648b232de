// The resource, process and eventloop builtins: opt-in Node runtime vars, each instance stopping its own.
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import v8 from 'node:v8'
import { type Test, test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Var } from '../index.js'
import { BUILTIN_NAMES } from '../lib/builtins/index.js'
import { READING_MAX_AGE_MS } from '../lib/builtins/readings.js'
import { build, scrape, waitFor } from './helpers.js'

const RUSAGE = ['utime', 'stime', 'maxrss', 'ixrss', 'idrss', 'isrss', 'minflt', 'majflt', 'nswap', 'inblock', 'oublock', 'msgsnd', 'msgrcv', 'nsignals', 'nvcsw', 'nivcsw']
const EVENTLOOP = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99', 'samples', 'utilization', 'lag']

type Numbers = Record<string, number>

/** Scrapes eventloop until its window holds a sample; a scrape 100 ms after the last read starts a new window. */
async function sampledEventloop (app: FastifyInstance): Promise<Numbers> {
  // A try every 30 ms, longer than the histogram's 10 ms resolution, so that a window can hold a sample.
  return waitFor('an event-loop sample', async () => {
    const stats = (await scrape(app, '?vars=eventloop')).eventloop as Numbers
    return stats.samples as number > 0 && stats
  }, { every: 30 })
}

/**
 * From now on performance.now runs a readings window ahead at each call of the returned function:
 * the builtins' next read is then a new window's, whatever the wall clock did.
 */
function windows (t: Test): () => void {
  const real = performance.now
  let offset = 0
  performance.now = () => real.call(performance) + offset
  t.teardown(() => { performance.now = real })
  return () => { offset += READING_MAX_AGE_MS }
}

test('the Node runtime vars are opt-in', async (t) => {
  const { app } = await build()
  t.teardown(() => app.close())
  const doc = await scrape(app)
  for (const name of BUILTIN_NAMES) t.notOk(name in doc, `${name} is off by default`)
})

test('resource reports getrusage under its own names, CPU times in seconds', async (t) => {
  const { app } = await build({ builtins: ['resource'] })
  t.teardown(() => app.close())
  const before = process.resourceUsage()
  const resource = (await scrape(app)).resource as Numbers
  const after = process.resourceUsage()
  t.same(Object.keys(resource), RUSAGE)
  for (const name of RUSAGE) t.ok(typeof resource[name] === 'number' && resource[name] >= 0, `${name} is a non-negative number`)
  t.ok(resource.utime as number >= before.userCPUTime / 1e6 && resource.utime as number <= after.userCPUTime / 1e6, 'utime is user CPU seconds')
  t.ok(resource.stime as number >= before.systemCPUTime / 1e6 && resource.stime as number <= after.systemCPUTime / 1e6, 'stime is system CPU seconds')
  t.ok(resource.maxrss as number >= before.maxRSS && resource.maxrss as number <= after.maxRSS, 'maxrss is in kilobytes, as getrusage reports it')
  t.ok(Number.isInteger(resource.minflt) && Number.isInteger(resource.nvcsw), 'counts are integers')
})

test('process reports who and where this process is', async (t) => {
  const { app } = await build({ builtins: ['process'] })
  t.teardown(() => app.close())
  const info = (await scrape(app)).process as Record<string, unknown>
  // vm and fds come from /proc, on Linux only (as in prom-client).
  const linux = process.platform === 'linux' ? ['vm', 'fds'] : []
  t.same(Object.keys(info), ['pid', 'ppid', 'uptime', 'startTime', 'title', 'versions', 'platform', 'arch', 'memory', 'heapSpaces', 'active', ...linux])
  const memory = info.memory as NodeJS.MemoryUsage
  t.same(Object.keys(memory).sort(), Object.keys(process.memoryUsage()).sort(), 'memory is process.memoryUsage()')
  t.ok(memory.rss > 0 && memory.heapUsed > 0 && memory.heapUsed <= memory.heapTotal)
  const spaces = info.heapSpaces as Record<string, { size: number, used: number, available: number }>
  t.same(Object.keys(spaces), v8.getHeapSpaceStatistics().map((space) => space.space_name.replace(/_space$/, '')), 'V8 spaces by short name')
  t.ok(spaces.old !== undefined && spaces.old.used > 0 && spaces.old.used <= spaces.old.size)
  t.equal(info.pid, process.pid)
  t.equal(info.ppid, process.ppid)
  t.equal(info.title, process.title)
  t.same(info.versions, process.versions)
  t.equal(info.platform, process.platform)
  t.equal(info.arch, process.arch)
  t.ok(typeof info.uptime === 'number' && info.uptime > 0 && info.uptime <= process.uptime(), 'uptime in seconds')
})

test('eventloop reports the delay in ns over the window since the previous scrape, and utilization', async (t) => {
  const { app } = await build({ builtins: ['eventloop'] })
  t.teardown(() => app.close())
  const stats = await sampledEventloop(app)
  t.same(Object.keys(stats), EVENTLOOP)
  const { min, p50, p90, p99, max, mean, stddev, utilization } = stats as Record<'min' | 'p50' | 'p90' | 'p99' | 'max' | 'mean' | 'stddev' | 'utilization', number>
  t.ok(min > 0 && min <= p50 && p50 <= p90 && p90 <= p99 && p99 <= max, 'min <= p50 <= p90 <= p99 <= max')
  // The histogram times a 10 ms timer: in ns, its slowest turn is far above 1e6 (in ms or µs, far below).
  t.ok(max >= 1e6, 'nanoseconds')
  t.ok(mean >= min && mean <= max, 'mean within the range')
  t.ok(stddev >= 0)
  t.ok(utilization >= 0 && utilization <= 1, 'utilization is a fraction')
})

test('a window without a sample reports zeros; a closed instance stops sampling', async (t) => {
  const { app } = await build({ builtins: ['eventloop'] })
  await sampledEventloop(app)
  const eventloop = app.expvar.get('eventloop') as Var
  await app.close()
  const next = windows(t)
  next()
  eventloop.value() // ends the window that was open while the instance was
  await sleep(30)
  next()
  const stats = eventloop.value() as Numbers
  // The lag is the last one measured while the instance was open: no probe runs after close.
  t.ok(stats.lag as number > 0, 'a lag was measured while open')
  await sleep(30)
  next()
  t.equal((eventloop.value() as Numbers).lag, stats.lag, 'and none since')
  t.same({ ...stats, utilization: 0, lag: 0 }, { min: 0, max: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p99: 0, samples: 0, utilization: 0, lag: 0 })
})

test('two instances with every builtin run side by side, and each stops its own on close', async (t) => {
  const builtins = BUILTIN_NAMES
  const a = (await build({ memstats: true, cmdline: true, builtins })).app
  const b = (await build({ memstats: true, cmdline: true, builtins })).app
  t.teardown(() => b.close())
  await sampledEventloop(a)
  await sampledEventloop(b)
  const aLoop = a.expvar.get('eventloop') as Var
  await a.close()
  const next = windows(t)
  next()
  aLoop.value() // ends the window that was open while the instance was
  await sleep(30)
  next()
  t.equal((aLoop.value() as Numbers).samples, 0, 'the closed instance no longer samples')
  t.ok((await sampledEventloop(b)).samples as number > 0, 'the open one still does')
  const doc = await scrape(b)
  t.same(Object.keys(doc), ['cmdline', 'eventloop', 'gc', 'http', 'memstats', 'process', 'resource'])
})

test('builtins are published in the registry the plugin is given, like any var', async (t) => {
  const { Registry } = await import('../index.js')
  const registry = new Registry()
  const { app } = await build({ registry, memstats: true, cmdline: true, builtins: ['process'] })
  t.teardown(() => app.close())
  t.same(registry.names(), ['cmdline', 'memstats', 'process'])
  t.same(Object.keys(await registry.snapshot()), ['cmdline', 'memstats', 'process'])
})

test('a builtin is named as the source when a var of its name is refused', async (t) => {
  const { app } = await build({ collisions: 'error', memstats: true, cmdline: true, builtins: ['http'] })
  t.teardown(() => app.close())
  for (const name of ['memstats', 'cmdline', 'http']) {
    t.throws(() => app.expvar.register(name, () => 1), {
      code: 'FST_EXPVAR_DUPLICATE',
      message: new RegExp(`already registered \\(by fastify-expvar builtin ${name}\\)`)
    })
  }
})
