// django-expvar's six tests, ported: the same behaviour through Fastify's plugin.
import { join } from 'node:path'
import Fastify from 'fastify'
import { test } from 'tap'
import expvar, { type FastifyExpvarOptions } from '../index.js'

const APPS = join(import.meta.dirname, 'fixtures', 'apps')

async function get (options: FastifyExpvarOptions): Promise<{ type: unknown, doc: Record<string, unknown> }> {
  const app = Fastify()
  await app.register(expvar, options)
  const res = await app.inject('/debug/vars')
  await app.close()
  return { type: res.headers['content-type'], doc: JSON.parse(res.body) }
}

test('test_returns_json: the document is JSON with its content type', async (t) => {
  const { type, doc } = await get({ apps: [join(APPS, 'users')] })
  t.equal(type, 'application/json; charset=utf-8')
  t.type(doc, 'object')
})

test('test_cmdline: cmdline is present', async (t) => {
  const { doc } = await get({})
  t.ok(Array.isArray(doc.cmdline))
  t.equal((doc.cmdline as string[])[0], process.argv[0])
})

test('test_resource: resource is present when enabled', async (t) => {
  const { doc } = await get({ builtins: ['resource'] })
  t.type((doc.resource as Record<string, unknown>).utime, 'number')
  t.notOk('resource' in (await get({})).doc, 'and absent when not')
})

test('test_app_var: a var found in an app is served', async (t) => {
  const { doc } = await get({ apps: [join(APPS, 'users')] })
  t.equal(doc.example, 42)
})

test('test_dict_merge: a same-name dict var from an app extends a builtin\'s dict', async (t) => {
  const { doc } = await get({ builtins: ['resource'], apps: [join(APPS, 'resource-extension')] })
  const resource = doc.resource as Record<string, unknown>
  t.equal(resource.openFiles, 3, 'the app\'s key')
  t.type(resource.maxrss, 'number', 'the builtin\'s keys')
})

test('test_skip: a skipped app\'s var is absent', async (t) => {
  const { doc } = await get({ apps: [join(APPS, 'users'), join(APPS, 'billing')], skip: ['billing'] })
  t.notOk('invoices' in doc)
  t.equal(doc.example, 42)
})
