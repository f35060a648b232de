// A format of your own through registry.scrape(format): the { id, open } contract, and what
// happens when a writer fails one reading, or the whole body.
import { test } from 'tap'
import { type Format, IntVar, Registry } from '../index.js'
import { ERROR, type LogLine } from './helpers.js'

function logged (): { registry: Registry, lines: LogLine[] } {
  const lines: LogLine[] = []
  const push = (obj: object, msg: string): void => { lines.push({ level: ERROR, msg, ...obj } as LogLine) }
  return { registry: new Registry({ logger: { warn: push, error: push } }), lines }
}

test('a writer is handed every reading, values pulled and merged, handles\' too', async (t) => {
  const registry = new Registry()
  registry.int('hits').add(2)
  registry.map('paths').add('/a', 1)
  registry.register('later', async () => 3)
  registry.register('merged', () => ({ a: 1 }))
  registry.register('merged', () => ({ b: 2 }))
  const csv: Format = {
    id: 'csv',
    open () {
      const rows: string[] = []
      return { add: (reading) => { rows.push(`${reading.name},${reading.kind},${JSON.stringify(reading.value)}`) }, end: () => rows.join('\n') }
    }
  }
  t.equal(await registry.scrape(csv), 'hits,int,2\nlater,func,3\nmerged,custom,{"a":1,"b":2}\npaths,map,{"/a":1}')
  t.equal(await registry.scrape(csv, { vars: ['hits'] }), 'hits,int,2')
})

test('a reading the writer fails, or whose add() throws, is left out and logged once; the rest is written', async (t) => {
  const { registry, lines } = logged()
  registry.int('a').add(1)
  registry.int('b').add(2)
  registry.int('c').add(3)
  const picky: Format = {
    id: 'picky',
    open (fail) {
      const out: string[] = []
      return {
        add (reading) {
          if (reading.name === 'a') return fail(reading, new Error('not a'))
          if (reading.name === 'b') throw new Error('not b')
          out.push(reading.name)
        },
        end: () => out.join()
      }
    }
  }
  t.equal(await registry.scrape(picky), 'c')
  t.equal(await registry.scrape(picky), 'c')
  t.same(lines.map((line) => [line.var, line.err?.message]), [['a', 'not a'], ['b', 'not b']], 'each logged once over two scrapes')
})

test('a handle whose value() throws (a subclass of a Go handle) is left out and logged once', async (t) => {
  const { registry, lines } = logged()
  let broken = true
  class Gauge extends IntVar {
    override value (): number {
      if (broken) throw new Error('sensor gone')
      return super.value()
    }
  }
  const gauge = new Gauge()
  gauge.set(7)
  registry.register('gauge', gauge)
  registry.int('good').add(1)
  const names: Format = {
    id: 'names',
    open () {
      const out: string[] = []
      return { add: (reading) => { out.push(`${reading.name}=${String(reading.value)}`) }, end: () => out.join() }
    }
  }
  t.equal(await registry.scrape(names), 'good=1')
  t.equal(await registry.scrape(names), 'good=1')
  broken = false
  t.equal(await registry.scrape(names), 'gauge=7,good=1')
  t.same(lines.map((line) => [line.var, line.err?.message]), [['gauge', 'sensor gone']], 'two failing scrapes, one line')
})

test('a reading the format made up itself, handed to fail(), is logged and changes nothing else', async (t) => {
  const { registry, lines } = logged()
  registry.int('a').add(1)
  const stray: Format = {
    id: 'stray',
    open (fail) {
      const out: string[] = []
      return {
        add (reading) {
          fail({ ...reading, name: 'ghost' }, new Error('not mine'))
          out.push(reading.name)
        },
        end: () => out.join()
      }
    }
  }
  t.equal(await registry.scrape(stray), 'a', 'the real reading is still written')
  t.same(lines.map((line) => [line.var, line.err?.message, line.msg]), [['ghost', 'not mine', 'expvar: format "stray" failed a reading that is not in this scrape']])
})

test('a format that is not { id, open } is a coded error; an open() or end() that throws rejects the scrape', async (t) => {
  const registry = new Registry()
  registry.int('a')
  for (const bad of [undefined, null, 'csv', { id: 'x' }, { open: () => ({}) }]) {
    await t.rejects(registry.scrape(bad as never), { code: 'FST_EXPVAR_INVALID_VALUE' }, `refused: ${String(bad)}`)
  }
  await t.rejects(registry.scrape({ id: 'broken', open: () => { throw new Error('no open') } }), { message: 'no open' })
  await t.rejects(registry.scrape({ id: 'unended', open: () => ({ add: () => {}, end: () => { throw new Error('no end') } }) }), { message: 'no end' })
  registry.register('slow', async () => 1)
  await t.rejects(registry.scrape({ id: 'unended-async', open: () => ({ add: () => {}, end: () => { throw new Error('no end') } }) }), { message: 'no end' })
})
