// The route: headers, HEAD, the url and route options, and the ?vars= filter with its schema.
import Fastify from 'fastify'
import { test } from 'tap'
import expvar from '../index.js'
import { build, scrape } from './helpers.js'

test('GET answers 200 with JSON, utf-8 and no-store', async (t) => {
  const { app } = await build()
  app.expvar.int('requests').add(2)
  const res = await app.inject('/debug/vars')
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(res.headers['cache-control'], 'no-store')
  t.equal(res.body, '{\n"requests": 2\n}\n')
})

test('an empty registry is written as Go writes it', async (t) => {
  const { app } = await build()
  t.equal((await app.inject('/debug/vars')).body, '{\n\n}\n')
})

test('HEAD answers the same headers without a body', async (t) => {
  const { app } = await build()
  app.expvar.int('requests')
  const get = await app.inject('/debug/vars')
  const head = await app.inject({ method: 'HEAD', url: '/debug/vars' })
  t.equal(head.statusCode, 200)
  t.equal(head.body, '')
  t.equal(head.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(head.headers['content-length'], get.headers['content-length'])
})

test('url moves the route', async (t) => {
  const { app } = await build({ url: '/internal/vars' })
  app.expvar.int('n')
  t.equal((await app.inject('/debug/vars')).statusCode, 404)
  t.same(JSON.parse((await app.inject('/internal/vars')).body), { n: 0 })
})

test('url: false registers no route; document() serves it from another route', async (t) => {
  const { app } = await build({ url: false })
  app.expvar.string('name').set('x')
  app.get('/elsewhere', async (_request, reply) => reply.type('application/json; charset=utf-8').send(await app.expvar.document()))
  t.equal((await app.inject('/debug/vars')).statusCode, 404)
  t.equal((await app.inject('/elsewhere')).body, '{\n"name": "x"\n}\n')
})

test('route options pass through: an auth hook can answer 401', async (t) => {
  const { app } = await build({
    route: {
      onRequest: async (request, reply) => {
        if (request.headers.authorization !== 'Bearer s3cret') await reply.code(401).send({ error: 'unauthorized' })
      },
      config: { purpose: 'debug' },
      schema: { hide: true, tags: ['debug'] }
    }
  })
  app.expvar.int('n')
  t.equal((await app.inject('/debug/vars')).statusCode, 401)
  const ok = await app.inject({ url: '/debug/vars', headers: { authorization: 'Bearer s3cret' } })
  t.equal(ok.statusCode, 200)
  t.same(JSON.parse(ok.body), { n: 0 })
})

test('route passthrough keeps the route\'s own schema and config', async (t) => {
  const app = Fastify()
  const seen: unknown[] = []
  app.addHook('onRoute', (route) => { if (route.url === '/debug/vars') seen.push(route.schema, route.config, route.logLevel) })
  await app.register(expvar, { cmdline: false, memstats: false, route: { logLevel: 'warn', config: { a: 1 }, schema: { hide: true } } })
  await app.ready()
  const [schema, config, logLevel] = seen as [Record<string, unknown>, Record<string, unknown>, string]
  t.equal(schema.hide, true)
  t.ok(schema.querystring, 'the querystring schema is kept beside hide')
  t.ok(schema.response, 'the response schema is kept beside hide')
  t.equal(config.a, 1)
  t.equal(logLevel, 'warn')
})

test('?vars=a,b returns only those names, in sorted order', async (t) => {
  const { app } = await build()
  app.expvar.int('a').add(1)
  app.expvar.int('b').add(2)
  app.expvar.int('c').add(3)
  const res = await app.inject('/debug/vars?vars=c,a,missing')
  t.equal(res.body, '{\n"a": 1,\n"c": 3\n}\n')
})

test('?vars= that is malformed or overlong answers 400 with the reason', async (t) => {
  const { app } = await build()
  for (const query of ['vars=', 'vars=a,,b', 'vars=,a', 'vars=a,', `vars=${'x'.repeat(4097)}`]) {
    const res = await app.inject(`/debug/vars?${query}`)
    t.equal(res.statusCode, 400, query.slice(0, 20))
    t.match(JSON.parse(res.body).message, /^querystring\/vars must/, query.slice(0, 20))
  }
  t.equal((await app.inject(`/debug/vars?vars=${'x'.repeat(4096)}`)).statusCode, 200, 'the limit itself is accepted')
})

test('the route declares a record response schema, so docs show a document of any keys', async (t) => {
  const app = Fastify()
  let response: unknown
  app.addHook('onRoute', (route) => { if (route.method === 'GET') response = (route.schema as { response: unknown }).response })
  await app.register(expvar, { cmdline: false, memstats: false })
  app.expvar.register('anything', () => ({ nested: [1] }))
  t.match(response, { 200: { type: 'object', patternProperties: {} } })
  t.same(await scrape(app), { anything: { nested: [1] } })
})
