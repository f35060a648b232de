// The http builtin: requests, in flight, aborted and responses by status class, from the instance's hooks.
import Fastify from 'fastify'
import { connect } from 'node:net'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'tap'
import expvar from '../index.js'
import { build, scrape } from './helpers.js'

interface HttpVar {
  requests: number
  inFlight: number
  aborted: number
  responses: Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', number>
}

async function httpVar (app: Parameters<typeof scrape>[0]): Promise<HttpVar> {
  return (await scrape(app, '?vars=http')).http as HttpVar
}

test('http is opt-in', async (t) => {
  const { app } = await build()
  t.teardown(() => app.close())
  t.notOk('http' in await scrape(app))
})

test('responses are counted by status class; the scrape itself is in flight', async (t) => {
  const { app } = await build({ builtins: ['http'] })
  t.teardown(() => app.close())
  app.get('/ok', async () => 'ok')
  app.get('/continue', async (_request, reply) => reply.code(103).send())
  app.get('/moved', async (_request, reply) => reply.redirect('/ok'))
  app.get('/boom', async () => { throw new Error('boom') })
  for (const url of ['/ok', '/ok', '/continue', '/moved', '/missing', '/boom']) await app.inject(url)
  t.same(await httpVar(app), {
    requests: 7,
    inFlight: 1,
    aborted: 0,
    responses: { '1xx': 1, '2xx': 2, '3xx': 1, '4xx': 1, '5xx': 1 }
  })
  t.same((await httpVar(app)).responses['2xx'], 3, 'the first scrape was answered 200')
})

test('a request waiting in its handler is in flight until it is answered', async (t) => {
  const { app } = await build({ builtins: ['http'] })
  t.teardown(() => app.close())
  let release = (): void => {}
  const entered = new Promise<void>((resolve) => {
    app.get('/slow', async () => {
      resolve()
      await new Promise<void>((resolve) => { release = resolve })
      return 'done'
    })
  })
  const slow = app.inject('/slow')
  await entered
  t.equal((await httpVar(app)).inFlight, 2, 'the slow request and the scrape')
  release()
  t.equal((await slow).statusCode, 200)
  t.equal((await httpVar(app)).inFlight, 1, 'only the scrape')
})

test('a client that goes away before its answer is counted as aborted, not in flight', async (t) => {
  const app = Fastify()
  await app.register(expvar, { cmdline: false, memstats: false, builtins: ['http'] })
  let release = (): void => {}
  const entered = new Promise<void>((resolve) => {
    app.get('/slow', async () => {
      resolve()
      await new Promise<void>((resolve) => { release = resolve })
      return 'late'
    })
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const { port } = app.server.address() as { port: number }
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  socket.write('GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n')
  await entered
  socket.destroy()
  let counted = await httpVar(app)
  for (let i = 0; i < 500 && counted.aborted === 0; i++) {
    await sleep(2)
    counted = await httpVar(app)
  }
  release()
  t.equal(counted.aborted, 1)
  t.equal(counted.inFlight, 1, 'only the scrape')
  t.equal(counted.requests, counted.responses['2xx'] + 1 + 1, 'every other request was a scrape, answered 200')
  // The late answer goes nowhere: it must not be counted as a response on top of the abort.
  await sleep(20)
  const after = await httpVar(app)
  t.equal(after.inFlight, 1, 'still only the scrape')
  t.equal(after.requests, after.responses['2xx'] + 1 + 1)
})

test('routes of every context under the plugin are counted, whether declared before or after it', async (t) => {
  const app = Fastify()
  app.get('/root-before', async () => 'a')
  await app.register(async (child) => { child.get('/child-before', async () => 'b') })
  await app.register(expvar, { cmdline: false, memstats: false, builtins: ['http'] })
  app.get('/root-after', async () => 'c')
  app.register(async (child) => { child.get('/child-after', async () => 'd') })
  t.teardown(() => app.close())
  for (const url of ['/root-before', '/child-before', '/root-after', '/child-after']) await app.inject(url)
  t.equal((await httpVar(app)).responses['2xx'], 4)
})

test('registered inside an encapsulated context, it counts only that context\'s routes', async (t) => {
  const app = Fastify()
  app.get('/outside', async () => 'a')
  await app.register(async (child) => {
    await child.register(expvar, { cmdline: false, memstats: false, builtins: ['http'] })
    child.get('/inside', async () => 'b')
  })
  t.teardown(() => app.close())
  await app.inject('/outside')
  await app.inject('/inside')
  const counted = (await scrape(app)).http as HttpVar
  t.same(counted.responses, { '1xx': 0, '2xx': 1, '3xx': 0, '4xx': 0, '5xx': 0 })
  t.equal(counted.requests, 2, '/inside and the scrape')
})
