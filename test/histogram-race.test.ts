// Observations racing scrapes: a scrape that spans event-loop turns (more vars than one slice, an
// async var) while observe() runs between its steps still sees each histogram whole.
import { setImmediate as turn } from 'node:timers/promises'
import { test } from 'tap'
import { build } from './helpers.js'

interface Leaf { count: number, sum: number, buckets: Record<string, number> }

/** Observation n (from 1) is n: the first `count` of them sum to count·(count+1)/2, exactly. */
const prefixSum = (count: number): number => count * (count + 1) / 2

test('at every scrape, in every format, count is the +Inf bucket and sum the sum of the observations counted', async (t) => {
  const { app } = await build({ prometheus: true })
  const plain = app.expvar.histogram('plain', { buckets: [10, 100, 1000] })
  const labelled = app.expvar.histogram('labelled', { buckets: [10, 1000], labels: ['parity'] })
  // More vars than one slice of a scrape, and one that answers a turn later: the scrape yields between its steps.
  for (let i = 0; i < 600; i++) app.expvar.int(`filler_${i}`).add(i)
  app.expvar.register('slow', async () => { await turn(); return 1 })

  let observed = 0
  const run = { stop: false }
  // Several observers, each observing one value per turn, until the scrapes are done.
  const observers = Array.from({ length: 8 }, async () => {
    while (!run.stop) {
      const n = ++observed
      plain.observe(n)
      labelled.observe({ parity: n % 2 === 0 ? 'even' : 'odd' }, n)
      await turn()
    }
  })
  const checks: string[] = []
  const check = (what: string, leaves: Leaf[]): void => {
    for (const leaf of leaves) {
      if (leaf.buckets['+Inf'] !== leaf.count) checks.push(`${what}: count ${leaf.count}, +Inf ${leaf.buckets['+Inf']}`)
    }
  }
  let scrapes = 0
  for (let i = 0; i < 20; i++) {
    const [doc, text] = await Promise.all([app.inject('/debug/vars'), app.inject('/metrics')])
    const vars = JSON.parse(doc.body) as { plain: Leaf, labelled: { even?: Leaf, odd?: Leaf } }
    check('document plain', [vars.plain])
    if (vars.plain.sum !== prefixSum(vars.plain.count)) checks.push(`document: sum ${vars.plain.sum} of ${vars.plain.count}`)
    const sets = [vars.labelled.even, vars.labelled.odd].filter((l): l is Leaf => l !== undefined)
    check('document labelled', sets)
    const total = sets.reduce((a, l) => a + l.count, 0)
    if (sets.reduce((a, l) => a + l.sum, 0) !== prefixSum(total)) checks.push(`document labelled: sum of ${total}`)
    const sample = (line: string): number => Number(new RegExp(`^${line.replace(/[{}+"]/g, '\\$&')} (\\S+)$`, 'm').exec(text.body)?.[1])
    const count = sample('plain_count')
    if (sample('plain_bucket{le="+Inf"}') !== count) checks.push(`metrics: count ${count}`)
    if (sample('plain_sum') !== prefixSum(count)) checks.push(`metrics: sum of ${count}`)
    const even = sample('labelled_count{parity="even"}')
    const odd = sample('labelled_count{parity="odd"}')
    if (sample('labelled_bucket{parity="even",le="+Inf"}') !== even || sample('labelled_bucket{parity="odd",le="+Inf"}') !== odd) checks.push('metrics labelled: count')
    if (sample('labelled_sum{parity="even"}') + sample('labelled_sum{parity="odd"}') !== prefixSum(even + odd)) checks.push(`metrics labelled: sum of ${even + odd}`)
    scrapes++
  }
  run.stop = true
  await Promise.all(observers)
  t.equal(scrapes, 20)
  t.ok(observed > 20 * 8, `observations raced the scrapes (${observed} in all)`)
  t.same(checks, [], 'every scrape consistent')
  // The last state, once everything settled: every observation counted.
  const vars = JSON.parse((await app.inject('/debug/vars')).body) as { plain: Leaf }
  t.equal(vars.plain.count, observed)
  t.equal(vars.plain.sum, prefixSum(observed))
})
