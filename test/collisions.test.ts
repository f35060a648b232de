// The same name registered more than once: plain objects merge, anything else the later wins
// with one warning, and collisions: 'error' refuses the second registration.
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'tap'
import { ERROR, WARN, build, logsFor, scrape } from './helpers.js'

test('same-name plain objects merge key by key, recursively, later keys winning', async (t) => {
  const { app, logs } = await build()
  app.expvar.register('app', () => ({ db: { pool: 5, idle: 1 }, version: '1' }))
  app.expvar.register('app', async () => ({ db: { idle: 2, busy: 3 }, region: 'eu' }))
  t.same(await scrape(app), { app: { db: { pool: 5, idle: 2, busy: 3 }, version: '1', region: 'eu' } })
  t.equal(logsFor(logs, 'app', WARN).length, 0, 'a merge is not a clash')
})

test('a Map handle merges with a plain object registered under its name', async (t) => {
  const { app } = await build()
  const stats = app.expvar.map('stats')
  stats.add('hits', 2)
  app.expvar.register('stats', () => ({ misses: 1, hits: 'overridden later' }))
  t.equal(app.expvar.map('stats'), stats, 'the first registration is still the handle')
  t.same(await scrape(app), { stats: { hits: 'overridden later', misses: 1 } })
})

test('any other clash: the later registration wins, with one warning naming both sources', async (t) => {
  const { app, logs } = await build()
  app.expvar.register('version', () => '1.0')
  app.expvar.register('version', () => ({ major: 2 }))
  t.same(await scrape(app), { version: { major: 2 } })
  t.same(await scrape(app), { version: { major: 2 } })
  const warnings = logsFor(logs, 'version', WARN)
  t.equal(warnings.length, 1, 'warned once across scrapes')
  t.equal(warnings[0]?.sources?.length, 2)
  for (const source of warnings[0]?.sources ?? []) t.match(source, /collisions\.test\.ts:\d+:\d+$/)
  t.not(warnings[0]?.sources?.[0], warnings[0]?.sources?.[1])
  t.match(warnings[0]?.msg, /"version" is registered by .* and .*the last registration wins/)
  app.expvar.register('version', () => 3)
  t.same(await scrape(app), { version: 3 })
  t.equal(logsFor(logs, 'version', WARN).length, 2, 'a later clash is warned about anew')
  t.equal(logsFor(logs, 'version', WARN)[1]?.sources?.length, 3)
})

test('a failing source of a shared name leaves the others served', async (t) => {
  const { app, logs } = await build({ timeout: 30 })
  app.expvar.register('shared', () => ({ a: 1 }))
  app.expvar.register('shared', () => { throw new Error('nope') })
  app.expvar.register('shared', async () => ({ b: 2 }))
  app.expvar.register('shared', () => new Promise(() => {}))
  t.same(await scrape(app), { shared: { a: 1, b: 2 } })
  t.same(logsFor(logs, 'shared', ERROR).map((line) => line.err?.message), ['nope', 'value() did not settle within 30 ms'])
})

test('a name whose every source fails is left out', async (t) => {
  const { app } = await build()
  app.expvar.register('gone', async () => { throw new Error('a') })
  app.expvar.register('gone', async () => { await sleep(1); throw new Error('b') })
  app.expvar.int('kept')
  t.same(await scrape(app), { kept: 0 })
})

test("collisions: 'error' refuses a second registration, as Go's Publish does", async (t) => {
  const { app } = await build({ collisions: 'error' })
  app.expvar.register('once', () => 1)
  t.throws(() => app.expvar.register('once', () => 2), {
    code: 'FST_EXPVAR_DUPLICATE',
    message: /^Var "once" is already registered \(by .*collisions\.test\.ts:\d+:\d+\); a second registration from .*collisions\.test\.ts:\d+:\d+ is refused/
  })
  const hits = app.expvar.int('hits')
  t.equal(app.expvar.int('hits'), hits, 'get-or-create of the same kind is not a collision')
  t.throws(() => app.expvar.map('hits'), { code: 'FST_EXPVAR_WRONG_KIND' })
  t.same(await scrape(app), { hits: 0, once: 1 })
})
