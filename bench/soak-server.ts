// The soak test's server, in a child process so that its heap is measured apart from the load.
// Besides /debug/vars it has routes that change the vars while they are being scraped.
import Fastify from 'fastify'
import { Writable } from 'node:stream'
import expvar from './expvar.js'
import { MAP_KEYS, publishVars, USER_VARS } from './vars.js'

/** Names the register/delete route cycles through, so the set of vars stays bounded. */
const CHURN_NAMES = 50

// Failures are logged as in production, to a sink: the soak measures the server, not a terminal.
const sink = new Writable({ write (_chunk, _encoding, done) { done() } })
const app = Fastify({ logger: { level: 'warn', stream: sink } })
await app.register(expvar)
const registry = app.expvar
publishVars(registry, USER_VARS)

let calls = 0
registry.register('flaky', () => {
  if (++calls % 3 === 0) throw new Error('every third call fails')
  return { calls }
})

const counters = Array.from({ length: 10 }, (_, i) => registry.int(`soak.counter.${i}`))
const routes = registry.map('soak.routes')
let tick = 0

app.get('/update', async () => {
  tick++
  ;(counters[tick % counters.length] as (typeof counters)[number]).add(1)
  routes.add(`route_${tick % MAP_KEYS}`, 1)
  routes.addFloat('seconds', 0.25)
  return 'ok'
})

app.get('/churn', async () => {
  const name = `soak.churn.${tick++ % CHURN_NAMES}`
  if (registry.get(name) === undefined) {
    const created = Date.now()
    registry.register(name, () => ({ created, age: Date.now() - created }))
  } else {
    registry.delete(name)
  }
  return 'ok'
})

app.get('/heap', async () => {
  globalThis.gc?.()
  return { heapUsed: process.memoryUsage().heapUsed, gc: globalThis.gc !== undefined }
})

const url = await app.listen({ host: '127.0.0.1', port: 0 })
process.send?.(url)
process.on('disconnect', () => process.exit(0))
