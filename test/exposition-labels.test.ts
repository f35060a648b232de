// The exposition writer's input from a cluster: readings of one var from several workers, each with constant labels.
import { test } from 'tap'
import { HistogramVar } from '../index.js'
import { NameCache } from '../lib/formats/exposition/names.js'
import type { ExpositionReading } from '../lib/formats/exposition/readings.js'
import { writeExposition } from '../lib/formats/exposition/writer.js'

// The cluster mode hands the writer such readings (one per worker); nothing else in the plugin
// adds constant labels yet, so this contract is held here, on the writer itself.
test('readings of one var with different constant labels share one family; a label of the Map\'s own name is refused', async (t) => {
  const failed: string[] = []
  const write = (readings: ExpositionReading[]): string => writeExposition(readings, {
    openmetrics: false,
    namespace: '',
    names: new NameCache(),
    fail: (reading, err) => { failed.push(`${reading.name}: ${(err as Error).message}`) }
  })
  const builtin = { families: () => [{ name: 'up_builtin', type: 'gauge' as const, help: 'h', samples: [{ value: 1 }] }] }
  const text = write([
    { name: 'hits', kind: 'map', meta: { type: 'counter' }, value: { '/a': 1 }, labels: { worker: '1' } },
    { name: 'hits', kind: 'map', meta: { type: 'counter' }, value: { '/a': 2 }, labels: { worker: '2' } },
    { name: 'n', kind: 'int', meta: {}, value: 3, labels: { worker: '1' } },
    { name: 'n', kind: 'int', meta: {}, value: 4, labels: { worker: '2' } },
    { name: 'up', kind: 'func', meta: {}, value: 1, labels: { worker: '1' }, builtin },
    { name: 'up', kind: 'func', meta: {}, value: 1, labels: { worker: '2' }, builtin },
    { name: 'workers', kind: 'map', meta: { label: 'worker' }, value: { a: 1 }, labels: { worker: '1' } },
    // A worker of another version may send a Map of histograms labelled le, which no registry publishes.
    { name: 'y_by_le', kind: 'map', meta: { label: 'le' }, value: { x: new HistogramVar({ buckets: [1] }).value() }, labels: { worker: '1' } }
  ])
  t.equal(text, [
    '# HELP hits_total expvar hits',
    '# TYPE hits_total counter',
    'hits_total{key="/a",worker="1"} 1',
    'hits_total{key="/a",worker="2"} 2',
    '# HELP n expvar n',
    '# TYPE n untyped',
    'n{worker="1"} 3',
    'n{worker="2"} 4',
    '# HELP up_builtin h',
    '# TYPE up_builtin gauge',
    'up_builtin{worker="1"} 1',
    'up_builtin{worker="2"} 1',
    ''
  ].join('\n'))
  t.same(failed, ['workers: its label "worker" is also a constant label of the scrape', 'y_by_le: its label "le" is the name of a histogram\'s bucket bound'])
})
