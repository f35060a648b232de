// The Prometheus text reuses what did not change since the last scrape: it is always the text a
// fresh registry with the same vars and values writes, whatever changed in between.
import { test } from 'tap'
import { FuncVar, type IntVar, type MapVar, Registry } from '../index.js'

/** The vars and values of the test, changed in place between scrapes. */
interface State {
  count: number
  help: string | undefined
  hits: Record<string, number>
  pool: { idle: number, nested: Record<string, number | string> }
  /** A var whose Prometheus name is `hits` too, sorted before it: it keeps the name. */
  clash: boolean
  /** `ratio` as a Float handle, or else as a function. */
  float: boolean
  /** Ints that make the registry larger than one chunk of the output (32 families), so that some chunks are reused. */
  many: number
}

function syncMap (map: MapVar, values: Record<string, number>): void {
  for (const [key, value] of Object.entries(values)) {
    const item = map.get(key)
    if (item === undefined) map.add(key, value)
    else (item as IntVar).set(value)
  }
  map.do(({ key }) => { if (!(key in values) && key !== 'object') map.delete(key) })
}

/** Publishes, or brings up to date, the state's vars on registry. */
function publish (registry: Registry, state: State): void {
  registry.int('requests', state.help === undefined ? undefined : { help: state.help }).set(state.count)
  const hits = registry.map('hits', { label: 'path', type: 'counter' })
  syncMap(hits, state.hits)
  // A Map item whose value is an object: such a Map's value is a new object at every scrape.
  if (hits.get('object') === undefined) hits.set('object', new FuncVar(() => ({ n: 1 })))
  registry.func('pool', () => state.pool)
  if (state.clash) registry.func('Hits', () => 7)
  else registry.delete('Hits')
  const ratio = registry.get('ratio')
  if (state.float !== (ratio instanceof Object && 'set' in ratio)) registry.delete('ratio')
  if (state.float) registry.float('ratio').set(0.25)
  else registry.func('ratio', () => 0.5)
  for (let i = 0; i < state.many; i++) registry.int(`n${String(i).padStart(2, '0')}`).set(i)
}

test('the Prometheus text after each change is the text of a fresh registry with the same vars', async (t) => {
  const state: State = { count: 1, help: undefined, hits: { '/a': 3, '/b': 4 }, pool: { idle: 2, nested: { busy: 1, name: 'db' } }, clash: false, float: true, many: 70 }
  const lines: string[] = []
  const registry = new Registry({ logger: { warn: (_obj, msg) => { lines.push(msg) }, error: (_obj, msg) => { lines.push(msg) } } })
  const changes: [string, () => void][] = [
    ['first scrape', () => {}],
    ['nothing changed', () => {}],
    ['the counter moved', () => { state.count++ }],
    ['a Map key moved', () => { state.hits['/a'] = 5 }],
    ['a Map key came', () => { state.hits['/c'] = 1 }],
    ['a Map key went', () => { delete state.hits['/b'] }],
    ['a function\'s object changed in place', () => { state.pool.idle = 3 }],
    ['a nested key came', () => { state.pool.nested.idle = 0 }],
    ['a nested key was renamed', () => { delete state.pool.nested.idle; state.pool.nested.spare = 0 }],
    ['a number became a string', () => { state.pool.nested.busy = 'many' }],
    ['help was added', () => { state.help = 'requests served' }],
    ['a clashing var came', () => { state.clash = true }],
    ['the clash stayed', () => { state.count++ }],
    ['the clash went', () => { state.clash = false }],
    ['a Float became a function', () => { state.float = false }],
    ['and back', () => { state.float = true }]
  ]
  for (const openmetrics of [false, true]) {
    for (const [what, change] of changes) {
      change()
      publish(registry, state)
      const fresh = new Registry({ logger: { warn () {}, error () {} } })
      publish(fresh, state)
      t.equal(await registry.metrics({ openmetrics }), await fresh.metrics({ openmetrics }), `${what} (openmetrics: ${openmetrics})`)
    }
  }
  t.match(await registry.metrics(), /^hits_total\{path="\/a"\} 5$/m, 'the oracle is not empty')
  // A scrape of one var, then of all again: the reused parts are still those of the vars.
  t.equal(await registry.metrics({ vars: ['requests'] }), `# HELP requests requests served\n# TYPE requests untyped\nrequests ${state.count}\n`)
  state.count++
  const fresh = new Registry()
  publish(fresh, state)
  publish(registry, state)
  t.equal(await registry.metrics(), await fresh.metrics(), 'after a scrape of one var')
  t.equal(lines.filter((line) => line.includes('"hits"')).length, 2, 'the clash is logged once each time it begins, in either format')
})

test('a Map\'s value() is the same frozen object until an item changes', async (t) => {
  const registry = new Registry()
  const map = registry.map('hits')
  map.add('/a', 1)
  const first = map.value()
  t.ok(Object.isFrozen(first))
  t.equal(map.value(), first, 'unchanged: the same object')
  map.add('/a', 1)
  const second = map.value()
  t.not(second, first)
  t.same(second, { '/a': 2 })
  t.same(first, { '/a': 1 }, 'the old value is as it was')
  map.add('/b', 1)
  t.same(map.value(), { '/a': 2, '/b': 1 }, 'a new key')
  map.set('/o', new FuncVar(() => ({ n: 1 })))
  const objects = map.value()
  t.notOk(Object.isFrozen(objects), 'with an object among the values, a new object each time')
  t.not(map.value(), objects)
})
