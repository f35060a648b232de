// A builtin's families are new objects at every scrape: the exposition keeps the text of each one
// that writes the same as at the last scrape, and the text is always what a first scrape writes.
import { test } from 'tap'
import Fastify from 'fastify'
import expvar from '../index.js'
import { BUILTINS } from '../lib/builtins/index.js'
import type { MetricFamily, MetricSample } from '../lib/families.js'
import { NameCache } from '../lib/formats/exposition/names.js'
import { ExpositionMemo } from '../lib/formats/exposition/reuse.js'
import type { ExpositionReading } from '../lib/formats/exposition/readings.js'
import { writeExposition } from '../lib/formats/exposition/writer.js'

/** What the test builtin's families are made of, changed between scrapes. */
interface State {
  value: number | bigint
  labels: Record<string, string> | undefined
  help: string
  type: MetricFamily['type']
  name: string
  suffix: MetricSample['suffix']
  extra: boolean
  /** The same labels object in every scrape's samples, or a new one each time. */
  shared: boolean
}

const SHARED = { space: 'old' }

function familiesOf (state: State): MetricFamily[] {
  const labels = state.shared ? SHARED : state.labels === undefined ? undefined : { ...state.labels }
  const samples: MetricSample[] = [{ labels, value: state.value, ...(state.suffix === undefined ? {} : { suffix: state.suffix }) }]
  if (state.extra) samples.push({ labels: { space: 'new' }, value: 2 })
  return [
    { name: 'fixed_bytes', type: 'gauge', help: 'never changes', samples: [{ value: 7 }] },
    { name: state.name, type: state.type, help: state.help, samples }
  ]
}

test('a builtin\'s families after each change are written as a first scrape writes them', async (t) => {
  const state: State = { value: 1, labels: { space: 'old' }, help: 'h', type: 'gauge', name: 'b_bytes', suffix: undefined, extra: false, shared: false }
  const lasts: (readonly MetricFamily[] | undefined)[] = []
  const builtin = {
    families: (_value: unknown, last?: readonly MetricFamily[]) => {
      lasts.push(last)
      return familiesOf(state)
    }
  }
  const changes: [string, () => void][] = [
    ['first scrape', () => {}],
    ['nothing changed', () => {}],
    ['a value moved', () => { state.value = 2 }],
    ['a value became a bigint', () => { state.value = 2n ** 64n }],
    ['a value became NaN', () => { state.value = NaN }],
    ['NaN again', () => {}],
    ['a label value changed', () => { state.value = 3; state.labels = { space: 'code' } }],
    ['a label came', () => { state.labels = { space: 'code', kind: 'x' } }],
    ['the labels changed order', () => { state.labels = { kind: 'x', space: 'code' } }],
    ['a label was renamed', () => { state.labels = { kind: 'x', region: 'code' } }],
    ['the labels went', () => { state.labels = undefined }],
    ['the labels came back', () => { state.labels = { space: 'old' } }],
    ['the same labels object each time', () => { state.shared = true }],
    ['and again', () => {}],
    ['a sample came', () => { state.shared = false; state.extra = true }],
    ['a sample went', () => { state.extra = false }],
    ['a suffix came', () => { state.type = 'histogram'; state.suffix = '_sum' }],
    ['the suffix changed', () => { state.suffix = '_count' }],
    ['the type changed', () => { state.type = 'counter'; state.suffix = undefined }],
    ['the help changed', () => { state.help = 'new help' }],
    ['the name changed', () => { state.name = 'c_bytes' }]
  ]
  for (const openmetrics of [false, true]) {
    const memo = new ExpositionMemo()
    const options = { openmetrics, namespace: '', names: new NameCache(), fail: (_reading: ExpositionReading, err: unknown) => { throw err } }
    const reading: ExpositionReading = { name: 'b', kind: 'func', meta: {}, value: 0, builtin }
    for (const [what, change] of changes) {
      change()
      const kept = writeExposition([reading], { ...options, memo })
      t.equal(kept, writeExposition([reading], { ...options, names: new NameCache() }), `${what} (openmetrics: ${openmetrics})`)
    }
  }
  t.equal(lasts[0], undefined, 'the first scrape has no last families')
  t.same(lasts[2]?.map((family) => family.name), ['fixed_bytes', 'b_bytes'], 'a later scrape is handed the last families, in order')
  t.equal(lasts[2]?.[0], lasts[4]?.[0], 'an unchanged family is kept: the same object at the next scrape')
})

test('an unchanged builtin histogram is the same family at the next scrape; a new observation writes it again', async (t) => {
  const app = Fastify()
  t.teardown(async () => await app.close())
  await app.register(expvar, { builtins: ['http'], prometheus: true, cmdline: false, memstats: false })
  app.get('/users/:id', async () => 'ok')
  await app.inject('/users/1')
  const first = await app.expvar.metrics()
  t.match(first, /^http_request_duration_seconds_count\{method="GET",route="\/users\/:id",status_code="200"\} 1$/m)
  t.equal(await app.expvar.metrics(), first, 'nothing observed: the same text')
  await app.inject('/users/2')
  t.match(await app.expvar.metrics(), /^http_request_duration_seconds_count\{method="GET",route="\/users\/:id",status_code="200"\} 2$/m, 'observed: written again')

  // The families of a value that is not an object (a user's value merged in) are made every time.
  for (const name of ['http', 'gc']) {
    const families = (BUILTINS.get(name) as { families: (value: unknown, last?: readonly MetricFamily[]) => MetricFamily[] }).families
    const last = families(7)
    const again = families(7, last)
    t.not(again[again.length - 1], last[last.length - 1], `${name}: made again`)
    t.same(again, last, `${name}: the same families`)
  }
})

test('a histogram\'s label sets with other bounds than the first\'s are written with their own', async (t) => {
  const leaf = (bound: string): Record<string, unknown> => ({ count: 1, sum: 0.5, buckets: { [bound]: 1, '+Inf': 1 } })
  const text = writeExposition([{ name: 'x', kind: 'histogram', meta: { labels: ['k'] }, value: { a: leaf('1'), b: leaf('2'), c: leaf('2') } }], {
    openmetrics: false, namespace: '', names: new NameCache(), fail: (_reading, err) => { throw err }
  })
  t.match(text, /^x_bucket\{k="a",le="1"\} 1$/m)
  t.match(text, /^x_bucket\{k="b",le="2"\} 1$/m)
  t.match(text, /^x_bucket\{k="c",le="2"\} 1$/m)
  t.match(text, /^x_count\{k="c"\} 1$/m)
})
