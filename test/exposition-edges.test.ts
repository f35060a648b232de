// The exposition's edges (issue 26): names and labels the formats reserve, empty help, counters
// that go negative or NaN. Each is a coded error where the var is published with its metadata, or
// the var is left out of the scrape and logged once; every body passes promtool.
import { test } from 'tap'
import { HistogramVar } from '../index.js'
import { build, ERROR, logsFor } from './helpers.js'
import { haveTool, promtoolCheck } from './prometheus-tools.js'

const OPENMETRICS = { accept: 'application/openmetrics-text; version=1.0.0' }

test('labels the formats reserve, and help without text, are refused when the var is published', async (t) => {
  const { app } = await build({ prometheus: true })
  // In any case: the exposition writes a Map's label in snake_case (`LE` would be `le`).
  for (const label of ['le', 'quantile', 'LE', 'Quantile']) {
    t.throws(() => app.expvar.map(`by_${label}`, { label }), { code: 'FST_EXPVAR_INVALID_META', message: /le and quantile in any case \(reserved/ }, label)
  }
  for (const help of ['', ' ', '\t \n']) {
    t.throws(() => app.expvar.int('quiet', { help }), { code: 'FST_EXPVAR_INVALID_META', message: /help must be a string with a character other than white space/ }, JSON.stringify(help))
    t.throws(() => app.expvar.register('quiet', () => 1, { help }), { code: 'FST_EXPVAR_INVALID_META' })
  }
  // A character other than white space is help text, whatever surrounds it.
  app.expvar.int('loud', { help: ' a ' }).set(1)
  const body = (await app.inject('/metrics')).body
  t.match(body, /^# HELP loud {2}a $/m)
  if (haveTool(t, 'promtool')) t.same(await promtoolCheck(body), { code: 0, output: '' })
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

test('a gauge named with another type\'s series suffix is untyped, its name and samples kept; promtool is clean', async (t) => {
  const { app, logs } = await build({ prometheus: true })
  const reserved = ['total', 'bucket', 'count', 'sum']
  // _created and _info name a counter's, a histogram's or an info's series: a gauge of that name is
  // valid in both formats and for promtool, and stays a gauge.
  const kept = ['created', 'info']
  for (const suffix of [...reserved, ...kept]) {
    app.expvar.int(`int_${suffix}`, { type: 'gauge' }).set(1)
    app.expvar.float(`float_${suffix}`, { type: 'gauge' }).set(1.5)
    app.expvar.func(`func_${suffix}`, () => 2, { type: 'gauge' })
    app.expvar.map(`map_${suffix}`, { type: 'gauge', label: 'route' }).add('/a', 3)
    app.expvar.register(`leaf_${suffix}`, () => ({ pool: { [`idle_${suffix}`]: 4 } }), { type: 'gauge' })
    // Untyped already, and a counter's samples end in _total whatever the name: both as before.
    app.expvar.int(`plain_${suffix}`).set(5)
    app.expvar.int(`${suffix}_jobs_${suffix}`, { type: 'counter' }).add(6)
  }
  for (const headers of [{}, OPENMETRICS]) {
    for (let i = 0; i < 2; i++) {
      const body = (await app.inject({ url: '/metrics', headers })).body
      const untyped = headers === OPENMETRICS ? 'unknown' : 'untyped'
      for (const suffix of reserved) {
        for (const [name, sample] of [[`int_${suffix}`, ' 1'], [`float_${suffix}`, ' 1.5'], [`func_${suffix}`, ' 2'], [`map_${suffix}`, '{route="/a"} 3'], [`leaf_${suffix}_pool_idle_${suffix}`, ' 4']] as const) {
          t.match(body, new RegExp(`^# TYPE ${name} ${untyped}\n${name}${sample.replace(/[{}]/g, '\\$&')}$`, 'm'), name)
        }
      }
      for (const suffix of kept) {
        for (const name of [`int_${suffix}`, `float_${suffix}`, `func_${suffix}`, `map_${suffix}`, `leaf_${suffix}_pool_idle_${suffix}`]) {
          t.match(body, new RegExp(`^# TYPE ${name} gauge$`, 'm'), name)
        }
      }
      for (const suffix of [...reserved, ...kept]) {
        t.match(body, new RegExp(`^# TYPE plain_${suffix} ${untyped}\nplain_${suffix} 5$`, 'm'))
        t.match(body, new RegExp(`^${suffix}_jobs_${suffix === 'total' ? '' : suffix + '_'}total 6$`, 'm'))
      }
      if (i === 0 && headers !== OPENMETRICS && haveTool(t, 'promtool')) t.same(await promtoolCheck(body), { code: 0, output: '' })
    }
  }
  t.same(logs.filter((line) => line.level >= ERROR), [], 'nothing left out')
})

test('OpenMetrics: a label set whose bounds go below zero, or whose sum is negative, has neither _sum nor _count; text keeps both', async (t) => {
  const { app } = await build({ prometheus: true })
  app.expvar.histogram('delta', { buckets: [-1, 1] }).observe(-0.5)
  app.expvar.histogram('below', { buckets: [1] }).observe(-5)
  const byRoute = app.expvar.map('latency', { label: 'route' })
  for (const [route, buckets, value] of [['/neg', [-1, 1], 0.5], ['/pos', [1], 2]] as const) {
    const h = new HistogramVar({ buckets: [...buckets] })
    h.observe(value)
    byRoute.set(route, h)
  }
  const openmetrics = (await app.inject({ url: '/metrics', headers: OPENMETRICS })).body
  const lines = (name: string, body: string): string[] => body.split('\n').filter((line) => line.startsWith(name + '_'))
  t.same(lines('below', openmetrics), ['below_bucket{le="1"} 1', 'below_bucket{le="+Inf"} 1'], 'a negative sum')
  t.same(lines('delta', openmetrics), ['delta_bucket{le="-1"} 0', 'delta_bucket{le="1"} 1', 'delta_bucket{le="+Inf"} 1'], 'a bound below zero')
  t.same(lines('latency', openmetrics), ['latency_bucket{route="/neg",le="-1"} 0', 'latency_bucket{route="/neg",le="1"} 1', 'latency_bucket{route="/neg",le="+Inf"} 1', 'latency_bucket{route="/pos",le="1"} 0', 'latency_bucket{route="/pos",le="+Inf"} 1', 'latency_sum{route="/pos"} 2', 'latency_count{route="/pos"} 1'], 'per label set')
  const text = (await app.inject('/metrics')).body
  t.same(lines('below', text).slice(-2), ['below_sum -5', 'below_count 1'], 'text 0.0.4 keeps the sum')
  t.same(lines('delta', text).slice(-2), ['delta_sum -0.5', 'delta_count 1'], 'text 0.0.4 keeps the sum beside a bound below zero')
  if (haveTool(t, 'promtool')) t.same(await promtoolCheck(text), { code: 0, output: '' })
})

test('a histogram named _total drops it, as a counter does; one named _total alone is left out and logged', async (t) => {
  const { app, logs } = await build({ prometheus: true })
  app.expvar.histogram('sizes_total', { buckets: [1] }).observe(1)
  app.expvar.histogram('-total', { buckets: [1] }).observe(1)
  const body = (await app.inject('/metrics')).body
  t.match(body, /^# TYPE sizes histogram\nsizes_bucket\{le="1"\} 1$/m)
  t.notMatch(body, /^sizes_total|^# TYPE _total/m)
  t.match(logsFor(logs, '-total', ERROR).map((l) => (l.err as { message: string }).message), [/its Prometheus name _total is a counter's suffix alone/])
  if (haveTool(t, 'promtool')) t.same(await promtoolCheck(body), { code: 0, output: '' })
})
