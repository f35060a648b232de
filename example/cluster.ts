// The cluster example: `npm run start:cluster` forks 4 workers on one port; any of them answers
// /debug/vars (and /metrics, labelled by worker) for the whole cluster.
import cluster from 'node:cluster'
import Fastify from 'fastify'
// In your app: import expvar, { aggregateWorkers } from 'fastify-expvar'
import expvar, { aggregateWorkers } from '../index.js'

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'

if (cluster.isPrimary) {
  // The relay between the workers, over the cluster's IPC channels: no port of its own.
  aggregateWorkers()
  for (let i = 0; i < Number(process.env.WORKERS ?? 4); i++) cluster.fork()
  console.log(`fastify-expvar cluster example: http://${host}:${port}/debug/vars (?worker=1 for worker 1 alone), http://${host}:${port}/metrics`)
} else {
  const app = Fastify({ logger: { level: 'warn' } })
  await app.register(expvar, { cluster: true, prometheus: true, builtins: ['http', 'eventloop'] })
  const hits = app.expvar.int('hits')
  app.get('/', async () => {
    hits.add(1)
    return { worker: cluster.worker?.id }
  })
  await app.listen({ port, host })
}
