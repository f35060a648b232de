// The dashboard's routes without a browser: the page, its assets, headers, auth, options and links.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import Fastify, { type FastifyInstance } from 'fastify'
import { test } from 'tap'
import expvar, { type FastifyExpvarOptions } from '../index.js'
import { relativeUrl } from '../lib/routes/ui.js'

const require = createRequire(import.meta.url)

async function appWith (options: FastifyExpvarOptions, fastifyOptions = {}): Promise<FastifyInstance> {
  const app = Fastify(fastifyOptions)
  await app.register(expvar, { memstats: false, cmdline: false, ...options })
  return app
}

/** The page's links: the document URL it polls and every asset, as written in the HTML. */
function links (html: string): { document: string, meta: string, assets: string[] } {
  const document = /data-document="([^"]+)"/.exec(html)?.[1] as string
  const meta = /data-meta="([^"]+)"/.exec(html)?.[1] as string
  const assets = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1] as string)
  return { document, meta, assets }
}

const resolve = (link: string, page: string): string => new URL(link, `http://h${page}`).pathname

test('ui: true serves the page at /debug/vars/ui, and it links the document and its assets', async (t) => {
  const app = await appWith({ ui: true })
  t.teardown(() => app.close())
  const res = await app.inject('/debug/vars/ui')
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'text/html; charset=utf-8')
  t.equal(res.headers['cache-control'], 'no-store')
  t.match(res.headers['content-security-policy'], /default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'/)
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.match(res.body, /^<!doctype html>/)
  const { document, assets } = links(res.body)
  t.equal(document, '../vars')
  t.equal(resolve(document, '/debug/vars/ui'), '/debug/vars')
  t.equal(assets.length, 5, 'icon, two stylesheets, two scripts')
  t.notOk(res.body.includes('{{'), 'every placeholder is filled')
  t.notOk(res.body.includes('<base'), 'no base element at the configured path')
  for (const asset of assets) t.match(asset, /^\.\/ui\/[a-z]+\.[0-9a-f]{12}\.(js|css|svg)$/)
})

test('every asset is served from the package with its content type and a long-lived private cache', async (t) => {
  const app = await appWith({ ui: true })
  t.teardown(() => app.close())
  const { assets } = links((await app.inject('/debug/vars/ui')).body)
  const expected: Record<string, [string, string]> = {
    uplot: ['', ''],
    dashboard: ['', ''],
    icon: ['image/svg+xml', await readFile(new URL('../lib/ui/icon.svg', import.meta.url), 'utf8')]
  }
  const types = new Set<string>()
  for (const asset of assets) {
    const url = resolve(asset, '/debug/vars/ui')
    const res = await app.inject(url)
    t.equal(res.statusCode, 200, url)
    t.equal(res.headers['cache-control'], 'private, max-age=31536000, immutable')
    t.equal(res.headers['x-content-type-options'], 'nosniff')
    const type = res.headers['content-type'] as string
    types.add(type)
    const [name, , ext] = url.split('/').pop()?.split('.') as [string, string, string]
    if (name === 'uplot') {
      const file = ext === 'js' ? 'uplot/dist/uPlot.iife.min.js' : 'uplot/dist/uPlot.min.css'
      t.equal(res.body, await readFile(require.resolve(file), 'utf8'), `${url} is uPlot's own ${file}`)
    } else if (name === 'dashboard') {
      t.equal(res.body, await readFile(new URL(`../lib/ui/dashboard.${ext}`, import.meta.url), 'utf8'))
    } else {
      t.equal(type, expected.icon?.[0])
      t.equal(res.body, expected.icon?.[1])
    }
    const head = await app.inject({ method: 'HEAD', url })
    t.equal(head.statusCode, 200, `HEAD ${url}`)
  }
  t.same([...types].sort(), ['image/svg+xml', 'text/css; charset=utf-8', 'text/javascript; charset=utf-8'])
  t.equal((await app.inject('/debug/vars/ui/dashboard.js')).statusCode, 404, 'an asset is only at its hashed URL')
})

test('the page learns each var\'s kind, type and help from a metadata route beside it; the document stays Go\'s', async (t) => {
  const app = await appWith({ ui: true, memstats: true, builtins: ['http'] })
  t.teardown(() => app.close())
  app.expvar.int('hits', { type: 'counter', help: 'Hits served.' })
  app.expvar.float('load', { type: 'gauge' })
  app.expvar.map('by_route')
  let pulled = 0
  app.expvar.register('queue', () => ({ waiting: ++pulled }))
  app.expvar.register('__proto__', () => 1)
  app.expvar.histogram('took_seconds', { labels: ['route'] })
  app.expvar.histogram('sizes_bytes')
  const document = (await app.inject('/debug/vars')).body
  const { meta } = links((await app.inject('/debug/vars/ui')).body)
  t.equal(meta, './ui/meta.json')
  const res = await app.inject(resolve(meta, '/debug/vars/ui'))
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(res.headers['cache-control'], 'no-store')
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.same(res.json(), {
    vars: [
      { name: '__proto__', kind: 'func', builtin: false },
      { name: 'by_route', kind: 'map', builtin: false },
      { name: 'hits', kind: 'int', type: 'counter', help: 'Hits served.', builtin: false },
      { name: 'http', kind: 'custom', builtin: true },
      { name: 'load', kind: 'float', type: 'gauge', builtin: false },
      { name: 'memstats', kind: 'custom', builtin: true },
      { name: 'queue', kind: 'func', builtin: false },
      { name: 'sizes_bytes', kind: 'histogram', builtin: false },
      { name: 'took_seconds', kind: 'histogram', labels: ['route'], builtin: false }
    ]
  })
  t.notOk(res.body.includes('waiting'), 'no value in it')
  t.equal((await app.inject('/debug/vars')).body.replace(/"(memstats|http|queue)": .*/g, ''), document.replace(/"(memstats|http|queue)": .*/g, ''),
    'the document is what it was: no metadata in it')
  t.notOk(document.includes('Hits served'))
})

test('a user\'s var of a builtin\'s name is not marked a builtin when that builtin is off', async (t) => {
  const app = await appWith({ ui: true, memstats: false })
  t.teardown(() => app.close())
  app.expvar.register('memstats', () => ({ NumGC: 1 }))
  t.same((await app.inject('/debug/vars/ui/meta.json')).json(), { vars: [{ name: 'memstats', kind: 'func', builtin: false }] })
})

test('ui is off by default, and false registers nothing', async (t) => {
  for (const ui of [undefined, false]) {
    const app = await appWith({ ui })
    t.equal((await app.inject('/debug/vars/ui')).statusCode, 404)
    t.equal((await app.inject('/debug/vars')).statusCode, 200)
    await app.close()
  }
})

test('ui.url moves the page and its assets; the links stay relative to it', async (t) => {
  const app = await appWith({ url: '/internal/expvar', ui: { url: '/dash/' } })
  t.teardown(() => app.close())
  const res = await app.inject('/dash/')
  t.equal(res.statusCode, 200)
  const { document, meta, assets } = links(res.body)
  t.equal(resolve(document, '/dash/'), '/internal/expvar')
  t.equal(resolve(meta, '/dash/'), '/dash/meta.json')
  t.equal((await app.inject(resolve(meta, '/dash/'))).statusCode, 200, 'the metadata beside the moved page')
  for (const asset of assets) {
    t.match(asset, /^\.\/[a-z]+\./)
    t.equal((await app.inject(resolve(asset, '/dash/'))).statusCode, 200, asset)
  }
})

test('under a parent plugin\'s prefix the page polls the prefixed document', async (t) => {
  const app = Fastify()
  await app.register(async (admin) => {
    await admin.register(expvar, { memstats: false, ui: true })
  }, { prefix: '/admin' })
  t.teardown(() => app.close())
  const res = await app.inject('/admin/debug/vars/ui')
  t.equal(res.statusCode, 200)
  const { document, meta, assets } = links(res.body)
  t.equal(resolve(document, '/admin/debug/vars/ui'), '/admin/debug/vars')
  t.equal((await app.inject(resolve(meta, '/admin/debug/vars/ui'))).statusCode, 200, 'the metadata under the prefix')
  t.equal((await app.inject(resolve(document, '/admin/debug/vars/ui'))).statusCode, 200)
  for (const asset of assets) t.equal((await app.inject(resolve(asset, '/admin/debug/vars/ui'))).statusCode, 200, asset)
})

test('a router that ignores trailing slashes gets a <base> that keeps the links right', async (t) => {
  const app = await appWith({ ui: true }, { routerOptions: { ignoreTrailingSlash: true } })
  t.teardown(() => app.close())
  const page = (await app.inject('/debug/vars/ui/?x=1')).body
  t.match(page, /<head>\n<base href="\.\.\/">/)
  const base = resolve('../', '/debug/vars/ui/')
  const { document, meta, assets } = links(page.replace(/<base[^>]*>/, ''))
  t.equal(resolve(document, base + 'x'), '/debug/vars')
  t.equal(resolve(meta, base + 'x'), '/debug/vars/ui/meta.json')
  for (const asset of assets.filter((a) => a !== '../')) t.equal((await app.inject(resolve(asset, base + 'x'))).statusCode, 200, asset)

  const slashed = await appWith({ ui: { url: '/dash/' } }, { routerOptions: { ignoreTrailingSlash: true } })
  t.teardown(() => slashed.close())
  t.match((await slashed.inject('/dash')).body, /<head>\n<base href="\.\/dash\/">/)
  t.notOk((await slashed.inject('/dash/')).body.includes('<base'))
})

test('the route passthrough guards the page and every asset: 401 without credentials', async (t) => {
  const app = await appWith({
    ui: true,
    route: {
      logLevel: 'silent',
      onRequest: async (request, reply) => {
        if (request.headers.authorization !== 'Bearer ok') return reply.code(401).send({ error: 'Unauthorized' })
      }
    }
  })
  t.teardown(() => app.close())
  const authorized = { authorization: 'Bearer ok' }
  const page = await app.inject({ url: '/debug/vars/ui', headers: authorized })
  t.equal(page.statusCode, 200)
  const { meta, assets } = links(page.body)
  const urls = ['/debug/vars/ui', '/debug/vars', resolve(meta, '/debug/vars/ui'), ...assets.map((a) => resolve(a, '/debug/vars/ui'))]
  t.equal(urls.length, 8)
  for (const url of urls) {
    t.equal((await app.inject(url)).statusCode, 401, `${url} without credentials`)
    t.equal((await app.inject({ url, headers: authorized })).statusCode, 200, `${url} with them`)
  }
})

test('route options reach the page and every asset, as they reach the document', async (t) => {
  const app = Fastify()
  const routes: { url: string, method: string | string[], schema?: { hide?: boolean }, logLevel?: string }[] = []
  app.addHook('onRoute', (options) => { routes.push({ ...options, schema: options.schema as { hide?: boolean } }) })
  await app.register(expvar, { memstats: false, ui: true, route: { logLevel: 'warn', schema: { hide: true } } })
  await app.ready()
  t.teardown(() => app.close())
  const ui = routes.filter((r) => r.url.startsWith('/debug/vars/ui') && r.method === 'GET')
  t.equal(ui.length, 8, 'the page (with and without a trailing slash), its metadata and five assets')
  for (const r of ui) {
    t.equal(r.schema?.hide, true, r.url)
    t.equal(r.logLevel, 'warn', r.url)
  }
})

const invalid: [unknown, RegExp][] = [
  ['yes', /^Invalid option "ui": expected true, false or \{ url: string \}, got 'yes'$/],
  [null, /^Invalid option "ui": expected true, false or \{ url: string \}, got null$/],
  [[], /"ui": expected true, false or \{ url: string \}, got \[\]$/],
  [{ url: 'dash' }, /^Invalid option "ui.url": expected a path starting with "\/", got 'dash'$/],
  [{ url: 42 }, /"ui.url": expected a path starting with "\/", got 42$/],
  [{ path: '/dash' }, /^Invalid option "ui": expected only the keys url, got 'path'$/],
  [{ url: '/debug/vars' }, /^Invalid option "ui.url": expected a path other than the document's \(\/debug\/vars\), got '\/debug\/vars'$/]
]

for (const [ui, message] of invalid) {
  test(`a bad ui option fails register with FST_EXPVAR_INVALID_OPTION (${JSON.stringify(ui)})`, async (t) => {
    const app = Fastify()
    await t.rejects(async () => { await app.register(expvar, { ui } as unknown as FastifyExpvarOptions) }, { code: 'FST_EXPVAR_INVALID_OPTION', message })
    await app.close()
  })
}

test('ui without a document route is an error: the page has nothing to poll', async (t) => {
  const app = Fastify()
  await t.rejects(async () => { await app.register(expvar, { url: false, ui: true }) }, {
    code: 'FST_EXPVAR_INVALID_OPTION',
    message: 'Invalid option "ui": expected a document route to poll: ui needs url to be a path, not false, got true'
  })
  await app.close()
})

test('relativeUrl finds the link from a page to a path, whatever the two paths share', async (t) => {
  const pairs: [string, string][] = [
    ['/debug/vars/ui', '/debug/vars'],
    ['/debug/vars/ui', '/debug/vars/ui/x.js'],
    ['/dash/', '/dash/x.js'],
    ['/dash/', '/vars'],
    ['/', '/debug/vars'],
    ['/a/b/c', '/'],
    ['/a/b/c', '/x/y/'],
    ['/a', '/a:b'],
    ['/ops/ui', '/ops/ui']
  ]
  for (const [from, to] of pairs) {
    const link = relativeUrl(from, to)
    t.notOk(link.startsWith('/'), `${link} is relative`)
    t.equal(resolve(link, from), to, `${from} -> ${to} via ${link}`)
  }
})
