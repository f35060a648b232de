// The cluster benchmark's servers: a node:cluster primary (forked by run.ts) and its workers, in
// one file. CLUSTER=on|off says whether the workers run cluster mode; WORKERS how many there are.
import cluster from 'node:cluster'
import Fastify from 'fastify'
import expvar, { aggregateWorkers } from './expvar.js'
import { publishVars, USER_VARS } from './vars.js'

const workers = Number(process.env.WORKERS ?? 4)
const on = process.env.CLUSTER === 'on'

if (cluster.isPrimary) {
  if (on) aggregateWorkers()
  let listening = 0
  for (let i = 0; i < workers; i++) {
    cluster.fork().on('message', (message: { port?: number }) => {
      if (message.port !== undefined && ++listening === workers) process.send?.({ base: `http://127.0.0.1:${message.port}` })
    })
  }
  // The parent's exit (or its disconnect) ends the primary, and with it the workers.
  process.on('disconnect', () => process.exit(0))
} else {
  const app = Fastify()
  await app.register(expvar, { cluster: on })
  publishVars(app.expvar, USER_VARS)
  app.get('/hello', async () => ({ hello: 'world' }))
  await app.listen({ host: '127.0.0.1', port: 0 })
  process.send?.({ port: (app.server.address() as { port: number }).port, id: cluster.worker?.id })
}
