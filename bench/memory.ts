// The memory rows: heap growth over 100,000 scrapes of each format, after a forced GC.
import Fastify from 'fastify'
import expvar from './expvar.js'
import { count, report } from './measure.js'
import { publishVars, USER_VARS } from './vars.js'

const SCRAPES = 100_000
const MB = 1024 * 1024

export async function benchMemory (): Promise<void> {
  const gc = globalThis.gc
  if (gc === undefined) {
    report({ name: 'heap growth', measured: 'n/a (run with node --expose-gc)', target: '< 2 MB', verdict: 'n/a' })
    return
  }
  const app = Fastify()
  await app.register(expvar, { prometheus: true })
  publishVars(app.expvar, USER_VARS)
  await app.ready()
  for (const [what, scrape] of [['app.expvar.document()', () => app.expvar.document()], ['app.expvar.metrics()', () => app.expvar.metrics()]] as const) {
    // Warm up first: JIT code, caches of quoted keys, sanitised names and sorted lists are meant to stay.
    for (let i = 0; i < 1000; i++) await scrape()
    gc()
    const before = process.memoryUsage().heapUsed
    for (let i = 0; i < SCRAPES; i++) await scrape()
    gc()
    const growth = process.memoryUsage().heapUsed - before
    report({
      name: `heap growth after ${count(SCRAPES)} scrapes (${what}, no HTTP) and a forced GC`,
      measured: `${(growth / MB).toFixed(2)} MB`,
      target: '< 2 MB',
      verdict: growth < 2 * MB ? 'PASS' : 'MISS'
    })
  }
  await app.close()
}
