// The route sends a large document as its pieces' bytes: those bytes are document()'s, through
// fastify.inject and through a real socket, for GET and HEAD, before and after values change.
import type { FastifyInstance } from 'fastify'
import { test, type Test } from 'tap'
import { build } from './helpers.js'

// About 210 KB: well past the size (128 KiB) above which the route sends bytes instead of one string.
const VARS = 5000

/** Every kind of var, with text that is longer in UTF-8 than in UTF-16 (accents, emoji, U+2028). */
function publish (app: FastifyInstance, count: number): { change: () => void } {
  const ints = []
  for (let i = 0; i < count; i++) {
    const name = `v${String(i).padStart(4, '0')}`
    switch (i % 4) {
      case 0: ints.push(app.expvar.int(name + '_requests')); break
      case 1: {
        const map = app.expvar.map(name + '_status')
        map.add('200', i)
        map.add('naïve ✓', 1)
        break
      }
      case 2: app.expvar.func(name + '_pool', () => ({ idle: i % 7, note: 'café 🚀\u2028<&>' })); break
      default: app.expvar.string(name + '_version').set(`v1.${i} «beta» 😀`)
    }
  }
  // One Int in the middle of the document: its piece changes, the others are reused.
  const middle = ints[ints.length >> 1]
  return { change: () => middle?.add(1) }
}

/** Asserts that the route's GET and HEAD through inject carry document()'s bytes and their length. */
async function assertInjected (t: Test, app: FastifyInstance, what: string): Promise<void> {
  const expected = Buffer.from(await app.expvar.document())
  const get = await app.inject('/debug/vars')
  t.equal(get.statusCode, 200, what)
  t.ok(get.rawPayload.equals(expected), `${what}: the body is document()'s bytes`)
  t.equal(get.headers['content-length'], String(expected.length), `${what}: content-length is the byte length`)
  t.equal(get.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(get.headers['cache-control'], 'no-store')
  const head = await app.inject({ method: 'HEAD', url: '/debug/vars' })
  t.equal(head.rawPayload.length, 0, `${what}: HEAD has no body`)
  t.equal(head.headers['content-length'], String(expected.length), `${what}: HEAD has GET's content-length`)
}

for (const [size, count] of [['large', VARS], ['small', 40]] as const) {
  test(`a ${size} document is served as document()'s bytes through inject, before and after a change`, async (t) => {
    const { app } = await build()
    const { change } = publish(app, count)
    await assertInjected(t, app, 'first scrape')
    await assertInjected(t, app, 'unchanged')
    change()
    await assertInjected(t, app, 'one value changed')
  })

  test(`a ${size} document is served as document()'s bytes through a real socket`, async (t) => {
    const { app } = await build()
    const { change } = publish(app, count)
    const origin = await app.listen({ host: '127.0.0.1', port: 0 })
    t.teardown(() => app.close())
    for (const what of ['first scrape', 'one value changed']) {
      const expected = Buffer.from(await app.expvar.document())
      const res = await fetch(origin + '/debug/vars')
      const body = Buffer.from(await res.arrayBuffer())
      t.ok(body.equals(expected), `${what}: the body is document()'s bytes`)
      t.equal(res.headers.get('content-length'), String(expected.length))
      t.equal(res.headers.get('transfer-encoding'), null, 'sent with a length, not chunked')
      const head = await fetch(origin + '/debug/vars', { method: 'HEAD' })
      t.equal(head.headers.get('content-length'), String(expected.length), `${what}: HEAD`)
      t.equal((await head.arrayBuffer()).byteLength, 0)
      change()
    }
  })
}
