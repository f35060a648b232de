// The dashboard answers at its path with and without a trailing slash, on Fastify's default router
// as on one that ignores trailing slashes, and its links resolve from either.
import Fastify, { type FastifyInstance } from 'fastify'
import { test } from 'tap'
import expvar, { type FastifyExpvarOptions } from '../index.js'

async function appWith (options: FastifyExpvarOptions, fastifyOptions = {}): Promise<FastifyInstance> {
  const app = Fastify(fastifyOptions)
  await app.register(expvar, { memstats: false, cmdline: false, ...options })
  return app
}

/** Every link of a page, resolved as a browser at `path` resolves it (honouring a <base>). */
function resolvedLinks (html: string, path: string): string[] {
  const base = /<base href="([^"]+)">/.exec(html)?.[1]
  const from = base === undefined ? `http://h${path}` : new URL(base, `http://h${path}`).href
  const links = [...html.matchAll(/(?:href|src|data-document)="([^"]+)"/g)].map((m) => m[1] as string)
  return links.filter((link) => link !== base).map((link) => new URL(link, from).pathname)
}

test('/debug/vars/ui/ answers with the page, and its document and assets resolve from there', async (t) => {
  const app = await appWith({ ui: true })
  t.teardown(() => app.close())
  const plain = await app.inject('/debug/vars/ui')
  const slashed = await app.inject('/debug/vars/ui/')
  t.equal(slashed.statusCode, 200)
  t.equal(slashed.headers['content-type'], 'text/html; charset=utf-8')
  t.equal(slashed.headers['content-security-policy'], plain.headers['content-security-policy'])
  t.same(resolvedLinks(slashed.body, '/debug/vars/ui/'), resolvedLinks(plain.body, '/debug/vars/ui'), 'the same URLs from either path')
  for (const link of resolvedLinks(slashed.body, '/debug/vars/ui/')) t.equal((await app.inject(link)).statusCode, 200, link)
})

test('a ui.url with a trailing slash answers without it too', async (t) => {
  const app = await appWith({ ui: { url: '/dash/' } })
  t.teardown(() => app.close())
  const res = await app.inject('/dash')
  t.equal(res.statusCode, 200)
  for (const link of resolvedLinks(res.body, '/dash')) t.equal((await app.inject(link)).statusCode, 200, link)
})

test('the other form gets the route hooks too: both are guarded', async (t) => {
  const app = await appWith({
    ui: true,
    route: {
      onRequest: async (request, reply) => {
        if (request.headers.authorization !== 'Bearer ok') return reply.code(401).send({ error: 'Unauthorized' })
      }
    }
  })
  t.teardown(() => app.close())
  t.equal((await app.inject('/debug/vars/ui/')).statusCode, 401)
  t.equal((await app.inject({ url: '/debug/vars/ui/', headers: { authorization: 'Bearer ok' } })).statusCode, 200)
})

test('under ignoreTrailingSlash the router answers both forms itself, and registering does not fail', async (t) => {
  for (const fastifyOptions of [{ routerOptions: { ignoreTrailingSlash: true } }]) {
    const app = await appWith({ ui: true }, fastifyOptions)
    t.teardown(() => app.close())
    await app.ready()
    t.equal((await app.inject('/debug/vars/ui/')).statusCode, 200)
    t.equal((await app.inject('/debug/vars/ui')).statusCode, 200)
  }
})

test('ui.url "/" has no shorter form, and a dashboard at the document\'s other form is refused', async (t) => {
  const root = await appWith({ url: '/vars', ui: { url: '/' } })
  t.teardown(() => root.close())
  t.equal((await root.inject('/')).statusCode, 200)
  await t.rejects(appWith({ url: '/ops', ui: { url: '/ops/' } }), { code: 'FST_EXPVAR_INVALID_OPTION' }, 'the same path with and without its slash is one route to a router that ignores it')
})
