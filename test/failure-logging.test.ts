// The failure path cannot fail: whatever a var's error or the logger does, the scrape is served,
// the process survives, and the failure is logged (a safe description where the error cannot be).
import { inspect } from 'node:util'
import { test, type Test } from 'tap'
import { type ExpvarLogger, Registry } from '../index.js'
import { build, ERROR, logsFor, processWarnings, scrape } from './helpers.js'

/** Errors pino's serializer (or a logger reading them) cannot walk: each reason a case of its own. */
function hostileErrors (): Record<string, unknown> {
  const frozen = Object.freeze(new Error('frozen'))
  const proxy = new Proxy(new Error('proxied'), { get () { throw new Error('trap') }, has () { throw new Error('trap') }, ownKeys () { throw new Error('trap') } })
  const getters = new Error('getters')
  // stack first: redefining it makes V8 format the error, which reads message.
  for (const key of ['stack', 'cause', 'message']) Object.defineProperty(getters, key, { get () { throw new Error(`${key} getter`) }, enumerable: true })
  const custom = new Error('custom inspect')
  Object.defineProperty(custom, inspect.custom, { value () { throw new Error('inspect.custom') } })
  return { frozen, proxy, getters, custom }
}

/** Fails the test on an unhandled rejection or an uncaught exception while fn runs. */
async function survives (t: Test, fn: () => Promise<void>): Promise<void> {
  const escaped: unknown[] = []
  const note = (err: unknown): void => { escaped.push(err) }
  process.on('unhandledRejection', note)
  process.on('uncaughtException', note)
  try {
    await fn()
    // A rejection that escaped surfaces after the current turn.
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.off('unhandledRejection', note)
    process.off('uncaughtException', note)
  }
  t.same(escaped, [], 'nothing escaped the scrape')
}

test('a var rejecting or throwing an error pino cannot serialise is left out and logged, with Fastify\'s logger', async (t) => {
  const errors = hostileErrors()
  const { app, logs } = await build()
  t.teardown(() => app.close())
  app.expvar.register('ok', () => 1)
  for (const [name, err] of Object.entries(errors)) {
    app.expvar.register(`rejects_${name}`, () => Promise.reject(err))
    app.expvar.register(`throws_${name}`, () => { throw err })
    // JSON.stringify calls toJSON: its error surfaces at write time, inside the format.
    app.expvar.register(`tojson_${name}`, () => ({ toJSON () { throw err } }))
  }
  await survives(t, async () => {
    const doc = await scrape(app)
    t.same(doc, { ok: 1 }, 'only the healthy var is served')
    await scrape(app)
  })
  for (const name of Object.keys(errors)) {
    for (const prefix of ['rejects', 'throws', 'tojson']) {
      const lines = logsFor(logs, `${prefix}_${name}`, ERROR)
      t.equal(lines.length, 1, `${prefix}_${name}: logged once over two scrapes`)
    }
  }
  // Whether pino serialises it or the safe description replaces it, the line names the error.
  t.match(JSON.stringify(logsFor(logs, 'rejects_frozen', ERROR)[0]?.err), /frozen/, 'the frozen error is described by its message')
  const proxied = logsFor(logs, 'rejects_proxy', ERROR)[0]
  t.equal(proxied?.logError, 'the error could not be logged as it is', 'a Proxy error is logged as a safe description')
  t.equal(proxied?.err, 'object: an error whose message cannot be read')
})

test('through route: { logLevel: \'warn\' } (request.log) the same errors are logged and the route answers 200', async (t) => {
  const { proxy } = hostileErrors()
  const { app, logs } = await build({ route: { logLevel: 'warn' } })
  t.teardown(() => app.close())
  app.expvar.register('bad', () => Promise.reject(proxy))
  await survives(t, async () => {
    const res = await app.inject('/debug/vars')
    t.equal(res.statusCode, 200)
    t.same(JSON.parse(res.body), {})
  })
  t.equal(logsFor(logs, 'bad', ERROR).length, 1)
})

test('a self-rendering var in a Map whose string() throws such an error: the Map is left out and logged, not a 500', async (t) => {
  const { proxy } = hostileErrors()
  const { app, logs } = await build()
  t.teardown(() => app.close())
  const jobs = app.expvar.map('jobs')
  jobs.set('broken', { value: () => 1, string: () => { throw proxy } })
  app.expvar.int('ok').add(1)
  await survives(t, async () => {
    t.same(await scrape(app), { ok: 1 })
  })
  t.equal(logsFor(logs, 'jobs', ERROR).length, 1)
})

test('a standalone registry without a logger: an error whose inspect.custom throws still becomes a process warning', async (t) => {
  const { custom } = hostileErrors()
  const registry = new Registry()
  registry.register('bad', () => { throw custom })
  const warnings = processWarnings(t)
  await survives(t, async () => {
    t.equal(await registry.document(), '{\n\n}\n')
  })
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(warnings.length, 1)
  t.equal(warnings[0]?.name, 'ExpvarWarning')
  t.match(warnings[0]?.message, /"bad" is left out [\s\S]*err: 'Error: custom inspect'/)
})

test('a logger that always throws: the failure becomes a process warning; a failure path that cannot log at all tries again next scrape', async (t) => {
  let calls = 0
  const logger: ExpvarLogger = {
    warn () { calls++; throw new Error('logger down') },
    error () { calls++; throw new Error('logger down') }
  }
  const registry = new Registry({ logger })
  registry.register('bad', () => { throw 'a string' })  // eslint-disable-line no-throw-literal
  registry.register('sym', () => { throw Symbol('s') })
  registry.register('ok', () => 2)
  const warnings = processWarnings(t)
  await survives(t, async () => {
    t.equal(await registry.document(), '{\n"ok": 2\n}\n')
  })
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(calls, 4, 'each failure tried the logger twice: as it is, then described safely')
  t.same(warnings.map((w) => w.message).sort(), [
    'expvar: "bad" is left out of the scrape until it recovers (string: a string)',
    'expvar: "sym" is left out of the scrape until it recovers (symbol: a symbol)'
  ])
  await registry.document()
  t.equal(calls, 4, 'logged once: a warning counts as logged')

  // Nothing can be written at all (process.emitWarning throws too): the scrape is still served,
  // and the failure is not marked as logged, so the next scrape tries again.
  const silent = new Registry({ logger })
  silent.register('bad', () => { throw new Error('x') })
  const emit = process.emitWarning
  process.emitWarning = () => { throw new Error('no warnings either') }
  try {
    await survives(t, async () => {
      t.equal(await silent.document(), '{\n\n}\n')
      calls = 0
      await silent.document()
    })
  } finally {
    process.emitWarning = emit
  }
  t.equal(calls, 2, 'not logged, so tried again at the next scrape')
})
