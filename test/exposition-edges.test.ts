// The exposition's edges (issue 26): names and labels the formats reserve, empty help, counters
// that go negative or NaN. Each is a coded error where the var is published with its metadata, or
// the var is left out of the scrape and logged once; every body passes promtool.
import { test } from 'tap'
import { build, ERROR, logsFor } from './helpers.js'
import { haveTool, promtoolCheck } from './prometheus-tools.js'

const OPENMETRICS = { accept: 'application/openmetrics-text; version=1.0.0' }

test('labels and help the formats reserve are refused when the var is published', async (t) => {
  const { app } = await build({ prometheus: true })
  for (const label of ['le', 'quantile']) {
    t.throws(() => app.expvar.map(`by_${label}`, { label }), { code: 'FST_EXPVAR_INVALID_META', message: /le and quantile \(reserved/ }, label)
  }
  t.throws(() => app.expvar.int('quiet', { help: '' }), { code: 'FST_EXPVAR_INVALID_META', message: /help must be a non-empty string/ })
  t.throws(() => app.expvar.register('quiet', () => 1, { help: '' }), { code: 'FST_EXPVAR_INVALID_META' })
})

test('a Map labelled constructor is exposed, outside a cluster and valid for promtool', async (t) => {
  const { app, logs } = await build({ prometheus: true })
  app.expvar.map('owners', { label: 'constructor' }).add('a', 1)
  const body = (await app.inject('/metrics')).body
  t.match(body, /^owners\{constructor="a"\} 1$/m)
  t.same(logsFor(logs, 'owners', ERROR), [])
  if (haveTool(t, 'promtool')) t.same(await promtoolCheck(body), { code: 0, output: '' })
})

test('a var named like a counter\'s or a histogram\'s own series is left out and logged once; the rest is served', async (t) => {
  const { app, logs } = await build({ prometheus: true })
  app.expvar.int('jobs', { type: 'counter' }).add(1)
  app.expvar.int('jobs_created').add(2)
  app.expvar.histogram('wait').observe(1)
  for (const suffix of ['bucket', 'count', 'sum', 'created']) app.expvar.int(`wait_${suffix}`).add(3)
  for (let i = 0; i < 2; i++) {
    for (const headers of [{}, OPENMETRICS]) {
      const body = (await app.inject({ url: '/metrics', headers })).body
      t.notMatch(body, /^(jobs_created 2|wait_(bucket|count|sum|created) 3)$/m, 'the vars left out')
      t.match(body, /^jobs_total 1$/m)
      t.match(body, /^wait_count 1$/m)
      if (i === 0 && headers !== OPENMETRICS && haveTool(t, 'promtool')) t.same(await promtoolCheck(body), { code: 0, output: '' })
    }
  }
  for (const name of ['jobs_created', 'wait_bucket', 'wait_count', 'wait_sum', 'wait_created']) {
    t.match(logsFor(logs, name, ERROR).map((line) => line.err?.message), [/is taken by (jobs|wait)$/], `${name}: logged once`)
  }
})

test('a counter that is negative or NaN is left out of the exposition and logged once; the document keeps it', async (t) => {
  const { app, logs } = await build({ prometheus: true })
  app.expvar.register('down', () => -1, { type: 'counter' })
  app.expvar.register('nan', () => ({ a: { b: NaN } }), { type: 'counter' })
  app.expvar.map('drops', { type: 'counter' }).add('x', -2)
  app.expvar.register('level', () => -1, { type: 'gauge' })
  app.expvar.int('ok', { type: 'counter' }).add(1)
  for (let i = 0; i < 2; i++) {
    for (const headers of [{}, OPENMETRICS]) {
      const body = (await app.inject({ url: '/metrics', headers })).body
      t.notMatch(body, /^(down|nan|drops)/m)
      t.match(body, /^level -1$/m, 'a gauge may go below zero')
      t.match(body, /^ok_total 1$/m)
      if (i === 0 && headers !== OPENMETRICS && haveTool(t, 'promtool')) t.same(await promtoolCheck(body), { code: 0, output: '' })
    }
  }
  t.match(logsFor(logs, 'down', ERROR).map((line) => line.err?.message), [/its counter value is -1: a counter is never negative or NaN/])
  t.match(logsFor(logs, 'nan', ERROR).map((line) => line.err?.message), [/its counter at a\.b is NaN/])
  t.match(logsFor(logs, 'drops', ERROR).map((line) => line.err?.message), [/its counter key "x" is -2/])
  const doc = JSON.parse((await app.inject('/debug/vars')).body) as Record<string, unknown>
  t.same([doc.down, doc.drops], [-1, { x: -2 }])
})
