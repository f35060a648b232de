// The benchmark's servers, run in a child process so that autocannon (in the parent) and the
// server under test do not share an event loop. Reports each server's URL to the parent.
import Fastify, { type FastifyInstance } from 'fastify'
import expvar from './expvar.js'
import { BIG_VARS, publishVars, USER_VARS } from './vars.js'

export interface ServerUrls {
  /** /debug/vars with the default vars and 100 user vars. */
  readonly expvar: string
  /** The same body, computed once, from a bare route: the ceiling. */
  readonly ceiling: string
  /** A hello route, plugin registered without builtins. */
  readonly hello: string
  /** The same hello route with `builtins: ['http']`; null while the http builtin does not exist. */
  readonly helloHttp: string
  /** /metrics (text 0.0.4) of the scrape server, and the same body from a bare route. */
  readonly metrics: string
  readonly metricsCeiling: string
}

/**
 * A hello route and /debug/vars on a server with the default vars and 10,000 user vars: in a
 * process of its own (SERVERS=large), since its heap would slow every other server's GC.
 */
export interface LargeUrls {
  readonly bigHello: string
  readonly bigVars: string
}

async function listen (app: FastifyInstance, path: string): Promise<string> {
  return await app.listen({ host: '127.0.0.1', port: 0 }) + path
}

function hello (app: FastifyInstance): void {
  app.get('/hello', async () => ({ hello: 'world' }))
}

async function large (): Promise<LargeUrls> {
  const big = Fastify()
  await big.register(expvar)
  publishVars(big.expvar, BIG_VARS)
  hello(big)
  const origin = await listen(big, '')
  return { bigHello: origin + '/hello', bigVars: origin + '/debug/vars' }
}

async function servers (): Promise<ServerUrls> {
  const scrape = Fastify()
  await scrape.register(expvar, { prometheus: true })
  publishVars(scrape.expvar, USER_VARS)
  // As in a service, a counter moves with every request: no two scrapes send the same document.
  const requests = scrape.expvar.int('requests')
  scrape.addHook('onRequest', (_request, _reply, done) => {
    requests.add(1)
    done()
  })

  const body = await scrape.expvar.document()
  const ceiling = Fastify()
  ceiling.get('/debug/vars', (_request, reply) => {
    reply.header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-store').send(body)
  })
  const metrics = await scrape.expvar.metrics()
  ceiling.get('/metrics', (_request, reply) => {
    reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').header('cache-control', 'no-store').send(metrics)
  })

  const plain = Fastify()
  await plain.register(expvar)
  hello(plain)
  const withHttp = Fastify()
  await withHttp.register(expvar, { builtins: ['http'] })
  hello(withHttp)

  const scrapeOrigin = await listen(scrape, '')
  const ceilingOrigin = await listen(ceiling, '')
  const urls: ServerUrls = {
    expvar: scrapeOrigin + '/debug/vars',
    ceiling: ceilingOrigin + '/debug/vars',
    hello: await listen(plain, '/hello'),
    helloHttp: await listen(withHttp, '/hello'),
    metrics: scrapeOrigin + '/metrics',
    metricsCeiling: ceilingOrigin + '/metrics'
  }
  return urls
}

async function main (): Promise<void> {
  process.send?.(process.env.SERVERS === 'large' ? await large() : await servers())
  // The parent's exit (or its disconnect) ends this process; it asks for the CPU time used so far.
  process.on('disconnect', () => process.exit(0))
  process.on('message', (message) => { if (message === 'cpu') process.send?.(process.cpuUsage()) })
}

await main()
