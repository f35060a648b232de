// The example app: `npm start` runs it and prints the URLs of its document, its metrics and its dashboard.
import { join } from 'node:path'
import Fastify from 'fastify'
// In your app: import expvar from 'fastify-expvar'
import expvar from '../index.js'

const app = Fastify({ logger: { level: 'warn' } })

// A decorator the var files can reach: registered before the expvar plugin.
app.decorate('sessions', new Map<string, { user: string }>([['s1', { user: 'ada' }], ['s2', { user: 'grace' }]]))

await app.register(expvar, {
  apps: [join(import.meta.dirname, 'apps', 'users'), join(import.meta.dirname, 'apps', 'billing')],
  skip: ['billing'],
  builtins: ['resource', 'process', 'http', 'eventloop'],
  prometheus: true,
  ui: true
})

// Go-style handles on the instance's registry.
const hits = app.expvar.map('hits', { type: 'counter', label: 'route', help: 'Requests by route.' })
app.addHook('onRequest', async (request) => { hits.add(request.routeOptions.url ?? 'unknown', 1) })
app.expvar.register('queue', () => ({ waiting: 0, workers: 4 }))

app.get('/', async () => ({ hello: 'world' }))

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
// The address it listens on, so that PORT=0 (any free port) prints a URL that works.
const address = await app.listen({ port, host })
console.log(`fastify-expvar example: ${address}/debug/vars`)
console.log(`metrics: ${address}/metrics`)
console.log(`dashboard: ${address}/debug/vars/ui`)
