// The exposition row: app.expvar.metrics() against prom-client's register.metrics() of the same vars.
import Fastify from 'fastify'
import expvar from './expvar.js'
import { count, MICRO_ROUNDS, median, ratio, report } from './measure.js'
import { promClientVars } from './prom-vars.js'
import { publishVars, USER_VARS } from './vars.js'

const EXPOSITIONS = 200

/** Median scrapes/s of two async scrapers, measured alternately after one warm-up round each. */
async function compareScrapes (calls: number, ours: () => Promise<string>, theirs: () => Promise<string>): Promise<{ ours: number, theirs: number }> {
  const rate = async (scrape: () => Promise<string>): Promise<number> => {
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

export async function benchExposition (): Promise<void> {
  const app = Fastify()
  await app.register(expvar, { builtins: ['resource', 'process', 'eventloop', 'gc', 'http'] })
  publishVars(app.expvar, USER_VARS)
  await app.ready()
  const register = promClientVars(USER_VARS)
  const { ours, theirs } = await compareScrapes(EXPOSITIONS, () => app.expvar.metrics(), () => register.metrics())
  await app.close()
  const x = ours / theirs
  report({
    name: `Prometheus text of ${USER_VARS} user vars + every builtin (app.expvar.metrics()) vs prom-client register.metrics() of the same + default metrics`,
    measured: `${ratio(x)} (${count(ours)} vs ${count(theirs)} scrapes/s)`,
    target: '≥ 2.00×',
    verdict: x >= 2 ? 'PASS' : 'MISS'
  })
}
