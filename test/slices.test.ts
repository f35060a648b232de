// A scrape of more than 500 vars is read and written in slices, yielding to the event loop
// between them; the bytes are those of a one-piece write of the same values.
import { test } from 'tap'
import { Registry, type Format } from '../index.js'

const VARS = 1234

/** A registry with every kind of var, `count` in all, its values fixed. */
function populated (count: number): Registry {
  const registry = new Registry()
  for (let i = 0; i < count; i++) {
    const name = `v${String(i).padStart(4, '0')}`
    switch (i % 4) {
      case 0: registry.int(name + '_requests', { type: 'counter' }).add(i); break
      case 1: {
        const map = registry.map(name + '_status', { label: 'code' })
        map.add('200', i)
        map.add('500', 1)
        break
      }
      case 2: registry.func(name + '_pool', () => ({ idle: i % 7, healthy: true })); break
      default: registry.string(name + '_version').set(`v1.${i} <"beta"> & more`)
    }
  }
  return registry
}

/** The document's entries without Go's framing. */
function inner (document: string): string {
  return document.slice('{\n'.length, -'\n}\n'.length)
}

test('a large document is the same bytes as the documents of its slices, framed once', async (t) => {
  const registry = populated(VARS)
  const names = registry.names()
  const whole = await registry.document()
  const parts: string[] = []
  // 300 vars a request: each of these documents is written in one piece.
  for (let i = 0; i < names.length; i += 300) parts.push(inner(await registry.document({ vars: names.slice(i, i + 300) })))
  t.equal(whole, '{\n' + parts.join(',\n') + '\n}\n')
  t.equal(Object.keys(JSON.parse(whole)).length, VARS)
})

test('the large Prometheus text is the same bytes as that of its slices', async (t) => {
  const registry = populated(VARS)
  const names = registry.names()
  const whole = await registry.metrics()
  let parts = ''
  for (let i = 0; i < names.length; i += 300) parts += await registry.metrics({ vars: names.slice(i, i + 300) })
  t.equal(whole, parts)
  t.match(whole, /^v1232_requests_total 1232$/m)
  const open = await registry.metrics({ openmetrics: true })
  t.equal(open.match(/# EOF/g)?.length, 1, 'one # EOF, at the end')
})

test('a large scrape lets the event loop turn before it is done; a small one does not', async (t) => {
  const small = populated(500)
  let turned = false
  setImmediate(() => { turned = true })
  await small.document()
  t.notOk(turned, '500 vars are written in one piece')
  const large = populated(VARS)
  for (const scrape of [() => large.document(), () => large.metrics()]) {
    let turns = 0
    const count = (): void => { turns++; if (turns < 100) setImmediate(count) }
    setImmediate(count)
    await scrape()
    // 1234 vars: three slices read, three written, a turn before each but the first.
    t.ok(turns >= 5, `the loop turned ${turns} times during the scrape`)
    turns = 100
  }
})

test('a large scrape waits for async values and leaves out what fails, logged once', async (t) => {
  const lines: { msg: string, var?: string }[] = []
  const keep = (obj: { var?: string }, msg: string): void => { lines.push({ ...obj, msg }) }
  const registry = new Registry({ logger: { warn: keep, error: keep } })
  for (let i = 0; i < VARS; i++) registry.int(`n${String(i).padStart(4, '0')}`).set(i)
  registry.register('async', async () => 42)
  registry.register('broken', () => ({ toJSON () { throw new Error('no JSON here') } }))
  for (let i = 0; i < 2; i++) {
    const doc = JSON.parse(await registry.document()) as Record<string, unknown>
    t.equal(doc.async, 42, 'the async value is waited for')
    t.notOk('broken' in doc, 'the var that cannot be written is left out')
    t.equal(doc.n1233, 1233)
  }
  t.equal(lines.filter((line) => line.var === 'broken').length, 1, 'logged once over two scrapes')
})

test('a format of your own gets a large scrape\'s readings one at a time, in name order, in one writer', async (t) => {
  const registry = populated(VARS)
  let opened = 0
  const format: Format = {
    id: 'count',
    open () {
      opened++
      const names: string[] = []
      return { add: (reading) => { names.push(reading.name) }, end: () => `${names.length} ${String(names.every((name, i) => i === 0 || (names[i - 1] as string) < name))}` }
    }
  }
  t.equal(await registry.scrape(format), `${VARS} true`)
  t.equal(opened, 1)
})

test('parts of the document reused from the last scrape never hide a change', async (t) => {
  const registry = new Registry()
  const ints = new Map<string, ReturnType<Registry['int']>>()
  for (let i = 0; i < 1000; i++) {
    const name = `n${String(i).padStart(4, '0')}`
    ints.set(name, registry.int(name))
    ints.get(name)?.set(i)
  }
  /** The document as it must read, written here from the values the test set. */
  const expected = (): string => '{\n' + [...ints].sort(([a], [b]) => a < b ? -1 : 1).map(([name, int]) => `"${name}": ${int.value()}`).join(',\n') + '\n}\n'
  t.equal(await registry.document(), expected())
  t.equal(await registry.document(), expected(), 'unchanged')
  ints.get('n0600')?.add(1)
  t.match(await registry.document(), /"n0600": 601,/)
  t.equal(await registry.document(), expected(), 'one value changed in the middle')
  // A name gone and another in its place: the entries after it move to other parts.
  registry.delete('n0300')
  ints.delete('n0300')
  ints.set('n0300x', registry.int('n0300x'))
  t.equal(await registry.document(), expected(), 'a name replaced')
  registry.delete('n0999')
  ints.delete('n0999')
  t.equal(await registry.document(), expected(), 'the last name gone')
  // The same text under a different name is a different entry.
  registry.delete('n0001')
  ints.delete('n0001')
  ints.set('n0001y', registry.int('n0001y'))
  ints.get('n0001y')?.set(1)
  t.equal(await registry.document(), expected(), 'the same value under a new name')
})
