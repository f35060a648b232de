// The exposition rows: app.expvar.metrics() against prom-client's register.metrics() of the same vars,
// back to back and with every scrape in a readings window of its own; and each builtin's cost per scrape.
import { performance } from 'node:perf_hooks'
import Fastify from 'fastify'
import type { BuiltinName } from '../index.js'
import expvar from './expvar.js'
import { count, MICRO_ROUNDS, median, ratio, report } from './measure.js'
import { promClientVars } from './prom-vars.js'
import { publishVars, USER_VARS } from './vars.js'

const EXPOSITIONS = 200
const BUILTIN_SCRAPES = 300
// Longer than the plugin's readings window (100 ms): each scrape then reads the runtime afresh.
const WINDOW_STEP_MS = 1000
const EVERY_BUILTIN: BuiltinName[] = ['resource', 'process', 'eventloop', 'gc', 'http']

/**
 * Moves performance.now() on by a second at every step(): every scrape is then in a readings window
 * of its own, as scrapes seconds apart are (Prometheus scrapes every 15 s), without waiting.
 * The rates below are timed with process.hrtime, which this does not touch.
 */
function steppedClock (): { step: () => void, restore: () => void } {
  const real = performance.now
  let offset = 0
  performance.now = () => real.call(performance) + offset
  return { step: () => { offset += WINDOW_STEP_MS }, restore: () => { performance.now = real } }
}

/** Median calls/s of two async calls, measured alternately after one warm-up round each. */
async function compareScrapes (calls: number, ours: () => Promise<unknown>, theirs: () => Promise<unknown>): Promise<{ ours: number, theirs: number }> {
  const rate = async (scrape: () => Promise<unknown>): Promise<number> => {
    const start = process.hrtime.bigint()
    for (let i = 0; i < calls; i++) await scrape()
    return calls / Number(process.hrtime.bigint() - start) * 1e9
  }
  await rate(ours)
  await rate(theirs)
  const a: number[] = []
  const b: number[] = []
  for (let r = 0; r < MICRO_ROUNDS; r++) {
    a.push(await rate(ours))
    b.push(await rate(theirs))
  }
  return { ours: median(a), theirs: median(b) }
}

async function benchVsPromClient (): Promise<void> {
  const app = Fastify()
  await app.register(expvar, { builtins: EVERY_BUILTIN })
  publishVars(app.expvar, USER_VARS)
  await app.ready()
  const register = promClientVars(USER_VARS)
  const shared = await compareScrapes(EXPOSITIONS, () => app.expvar.metrics(), () => register.metrics())
  const clock = steppedClock()
  let fresh: { ours: number, theirs: number }
  try {
    fresh = await compareScrapes(EXPOSITIONS, async () => { clock.step(); return await app.expvar.metrics() }, async () => { clock.step(); return await register.metrics() })
  } finally {
    clock.restore()
  }
  await app.close()
  const x = shared.ours / shared.theirs
  const y = fresh.ours / fresh.theirs
  report({
    name: `Prometheus text of ${USER_VARS} user vars + every builtin (app.expvar.metrics()) vs prom-client register.metrics() of the same + default metrics`,
    measured: `${ratio(x)} back to back (${count(shared.ours)} vs ${count(shared.theirs)} scrapes/s); ${ratio(y)} each scrape in a readings window of its own (${count(fresh.ours)} vs ${count(fresh.theirs)})`,
    target: '≥ 2.00×',
    verdict: Math.min(x, y) >= 2 ? 'PASS' : 'MISS'
  })
}

/** A registry's metrics() with cmdline, memstats and these builtins, no user vars. */
async function builtinApp (builtins: BuiltinName[], memstats = true): Promise<ReturnType<typeof Fastify>> {
  const app = Fastify()
  await app.register(expvar, { url: false, memstats, builtins })
  await app.ready()
  return app
}

const us = (perSecond: number): string => (1e6 / perSecond).toFixed(1)

/**
 * What each builtin adds to a scrape of metrics(): the registry with it against the same without
 * it (cmdline alone under memstats, cmdline and memstats under the others), in µs per scrape,
 * fresh (each scrape in a window of its own) and back to back (scrapes sharing a window's readings).
 */
async function benchBuiltinCosts (): Promise<void> {
  const base = await builtinApp([])
  const bare = await builtinApp([], false)
  const cells: string[] = []
  const clock = steppedClock()
  try {
    for (const name of ['memstats', ...EVERY_BUILTIN, 'all'] as const) {
      const app = name === 'memstats' ? base : await builtinApp(name === 'all' ? EVERY_BUILTIN : [name as BuiltinName])
      const without = name === 'memstats' ? bare : base
      const fresh = await compareScrapes(BUILTIN_SCRAPES, async () => { clock.step(); return await app.expvar.metrics() }, async () => { clock.step(); return await without.expvar.metrics() })
      const shared = await compareScrapes(BUILTIN_SCRAPES, async () => await app.expvar.metrics(), async () => await without.expvar.metrics())
      const cost = (r: { ours: number, theirs: number }): string => `${(1e6 / r.ours - 1e6 / r.theirs).toFixed(1)}`
      cells.push(`${name} +${cost(fresh)} / +${cost(shared)} µs`)
      if (app !== base) await app.close()
    }
    const fresh = await compareScrapes(BUILTIN_SCRAPES, async () => { clock.step(); return await base.expvar.metrics() }, async () => { clock.step(); return await bare.expvar.metrics() })
    cells.push(`(cmdline + memstats: ${us(fresh.ours)} µs a fresh scrape)`)
  } finally {
    clock.restore()
    await base.close()
    await bare.close()
  }
  report({
    name: 'each builtin\'s cost per metrics() scrape, fresh / back to back (readings shared)',
    measured: cells.join('; '),
    target: 'measured',
    verdict: 'n/a'
  })
}

export async function benchExposition (): Promise<void> {
  await benchVsPromClient()
  await benchBuiltinCosts()
}
