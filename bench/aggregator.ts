// The servers of the cluster-scrape row against prom-client: a node:cluster primary (forked by
// bench/clusters.ts) and its workers, in one file. PEER=ours: the workers run the plugin with
// `cluster: true` and the primary calls aggregateWorkers(); a scrape is GET /metrics on any worker.
// PEER=theirs: prom-client's documented setup, an AggregatorRegistry made at load in the primary
// and in every worker (its constructor installs the IPC listeners, in the workers the one that
// answers the primary), the vars in the workers' global registry, and the primary serving
// clusterMetrics() at GET /metrics. Both: WORKERS workers with the same vars.
import cluster from 'node:cluster'
import Fastify from 'fastify'
import { AggregatorRegistry, register } from 'prom-client'
import expvar, { aggregateWorkers } from './expvar.js'
import { promClientVars } from './prom-vars.js'
import { publishVars, USER_VARS } from './vars.js'

const workers = Number(process.env.WORKERS ?? 4)
const ours = process.env.PEER === 'ours'
const aggregator = ours ? undefined : new AggregatorRegistry()

/** Told to the parent once every worker listens: where to scrape, and every process' pid (for its CPU time). */
export interface ClusterReady {
  readonly url: string
  readonly pids: readonly number[]
}

if (cluster.isPrimary) {
  let origin = ''
  if (aggregator !== undefined) {
    const app = Fastify()
    app.get('/metrics', async (_request, reply) => {
      const text = await aggregator.clusterMetrics()
      return reply.type(aggregator.contentType).send(text)
    })
    origin = await app.listen({ host: '127.0.0.1', port: 0 })
  } else {
    aggregateWorkers()
  }
  const pids: number[] = []
  for (let i = 0; i < workers; i++) {
    const worker = cluster.fork()
    worker.on('message', (message: { port?: number }) => {
      if (message.port === undefined) return
      pids.push(worker.process.pid as number)
      if (ours) origin = `http://127.0.0.1:${message.port}`
      if (pids.length === workers) process.send?.({ url: origin + '/metrics', pids: [process.pid, ...pids] } satisfies ClusterReady)
    })
  }
  // The parent's exit (or its disconnect) ends the primary, and with it the workers.
  process.on('disconnect', () => process.exit(0))
} else {
  const app = Fastify()
  if (ours) {
    await app.register(expvar, { cluster: true, prometheus: true })
    publishVars(app.expvar, USER_VARS)
  } else {
    promClientVars(USER_VARS, register)
  }
  app.get('/hello', async () => ({ hello: 'world' }))
  await app.listen({ host: '127.0.0.1', port: 0 })
  process.send?.({ port: (app.server.address() as { port: number }).port })
}
