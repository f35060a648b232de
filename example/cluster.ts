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
  // The URL once the port is open (the first worker listening), with the port it got (PORT=0).
  let printed = false
  cluster.on('listening', (_worker, address) => {
    if (printed) return
    printed = true
    const url = `http://${address.address ?? host}:${address.port}`
    console.log(`fastify-expvar cluster example: ${url}/debug/vars (?worker=1 for worker 1 alone), ${url}/metrics`)
  })
  // A worker that dies is replaced; its counts leave the summed document with it (docs/cluster.md).
  cluster.on('exit', (worker, code, signal) => {
    if (worker.exitedAfterDisconnect) return
    console.log(`worker ${worker.id} exited (${signal ?? code}); forking a new one`)
    cluster.fork()
  })
} else {
  const app = Fastify({ logger: { level: 'warn' } })
  await app.register(expvar, { cluster: true, prometheus: true, builtins: ['http', 'eventloop'] })
  const hits = app.expvar.int('hits')
  app.get('/', async () => {
    hits.add(1)
    return { worker: cluster.worker?.id, pid: process.pid }
  })
  await app.listen({ port, host })
}
