// The soak test's server, in a child process so that its heap is measured apart from the load.
// Besides /debug/vars it has routes that change the vars while they are being scraped.
import Fastify from 'fastify'
import { Writable } from 'node:stream'
import expvar, { Registry } from './expvar.js'
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

// What an adversary found (issue 8), in a registry of its own so that its timeout does not slow
// the other scrapes: a logger that throws, an error whose getters throw, the same never-settling
// promise at every scrape (nothing per scrape may stay alive), a huge string, and an argv with a
// 64 KB argument that backtracking redaction took seconds over.
const throwing = { warn () { throw new Error('the logger is down') }, error () { throw new Error('the logger is down') } }
const adversary = new Registry({ timeout: 20, logger: throwing })
const pending = new Promise(() => {})
adversary.register('pending', () => pending)
adversary.register('unloggable', () => {
  const err = new Error('hidden')
  for (const key of ['message', 'stack', 'cause']) Object.defineProperty(err, key, { get () { throw new Error('getter') } })
  throw err
})
adversary.string('huge').set('<>&'.repeat(300_000))
adversary.register('ok', () => tick)
process.argv.push('--allowed-headers=' + 'authorization;x-api-key;x-auth-token;'.repeat(1800))
app.get('/adversary', async (_request, reply) => reply.type('application/json').send(await adversary.document()))

app.get('/heap', async () => {
  globalThis.gc?.()
  return { heapUsed: process.memoryUsage().heapUsed, gc: globalThis.gc !== undefined }
})

const url = await app.listen({ host: '127.0.0.1', port: 0 })
process.send?.(url)
process.on('disconnect', () => process.exit(0))
