// The large document's rows: 10,000 vars written against JSON.stringify, changed and unchanged,
// and a hello route's p99 while that document is scraped every 100 ms.
import autocannon from 'autocannon'
import { alternate, checked, CONNECTIONS, count, LOAD_SECONDS, median, MICRO_ROUNDS, ratio, report, startServers, timeOf, timeOfAsync } from './measure.js'
import { Registry } from './expvar.js'
import type { LargeUrls } from './servers.js'
import { BIG_VARS, publishVars } from './vars.js'

/** Every key and leaf value of a plain JSON value, in document order. */
function leavesOf (value: unknown, out: unknown[] = []): unknown[] {
  if (typeof value !== 'object' || value === null) {
    out.push(value)
  } else {
    for (const [key, item] of Object.entries(value)) {
      out.push(key)
      leavesOf(item, out)
    }
  }
  return out
}

/** Numbers to strings (moved by `shift`, as change() moves them) and one join: nothing else. */
function writeLeaves (leaves: readonly unknown[], shift: number): string {
  const texts: string[] = new Array(leaves.length)
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i]
    texts[i] = typeof leaf === 'number' ? '' + (leaf + shift) : String(leaf)
  }
  return texts.join(',')
}

export async function benchBigDocument (): Promise<void> {
  const registry = new Registry()
  const change = publishVars(registry, BIG_VARS)
  const plain = await registry.snapshot()
  let body = ''
  const write = async (): Promise<void> => { body = await registry.document() }
  // Every value changes before each timed write (untimed): no fragment of the last scrape can
  // be reused, the worst case. Then the usual case, values unchanged since the last scrape.
  const changed: number[] = []
  const unchanged: number[] = []
  const stringify: number[] = []
  // The floor of any JS writer: only turning the document's numbers into strings and joining
  // them with its keys and strings, no escaping, no framing. JSON.stringify does that in C++.
  const leaves = leavesOf(plain)
  const floor: number[] = []
  // Warmed up as a service's scrapes are: the writer's code optimised and its caches made.
  for (let r = 0; r < 30; r++) {
    change()
    await write()
    await write()
    JSON.stringify(plain)
  }
  for (let r = 0; r < MICRO_ROUNDS; r++) {
    change()
    changed.push(await timeOfAsync(write))
    unchanged.push(await timeOfAsync(write))
    stringify.push(timeOf(() => JSON.stringify(plain)))
    floor.push(timeOf(() => writeLeaves(leaves, r)))
  }
  const ms = (ns: number[]): string => (median(ns) / 1e6).toFixed(1)
  const x = median(changed) / median(stringify)
  const y = median(unchanged) / median(stringify)
  report({
    name: `document of ${count(BIG_VARS)} vars, every value changed, vs JSON.stringify of the same object`,
    measured: `${ratio(x)} (${ms(changed)} vs ${ms(stringify)} ms, ${count(body.length / 1024)} KiB; JS floor: ${ratio(median(floor) / median(stringify))})`,
    target: '≤ 3.00×',
    verdict: x <= 3 ? 'PASS' : 'MISS'
  })
  report({
    name: `document of ${count(BIG_VARS)} vars, values unchanged since the last scrape, vs JSON.stringify of the same object`,
    measured: `${ratio(y)} (${ms(unchanged)} vs ${ms(stringify)} ms)`,
    target: '≤ 1.50×',
    verdict: y <= 1.5 ? 'PASS' : 'MISS'
  })
}

/** The p99 latency in ms of a load on `url`, with `during` running beside it. */
async function p99 (url: string, during: () => () => void): Promise<number> {
  const stop = during()
  try {
    return checked(url, await autocannon({ url, connections: CONNECTIONS, duration: LOAD_SECONDS })).latency.p99
  } finally {
    stop()
  }
}

/**
 * A hello route's p99 latency under load while the same server's 10,000-var document is scraped
 * every 100 ms, against the same load with no scrape: what a large scrape costs the requests
 * served beside it.
 */
async function benchStall (urls: LargeUrls): Promise<void> {
  const quiet = (): () => void => () => {}
  const scraping = (): () => void => {
    let answered = 0
    let failed: unknown
    const timer = setInterval(() => {
      fetch(urls.bigVars).then(async (res) => {
        if (res.status !== 200) throw new Error(`${urls.bigVars} answered ${res.status}`)
        await res.text()
        answered++
      }).catch((err: unknown) => { failed = err })
    }, 100)
    return () => {
      clearInterval(timer)
      if (failed !== undefined) throw failed
      if (answered === 0) throw new Error(`${urls.bigVars}: no scrape answered during the load`)
    }
  }
  await p99(urls.bigHello, quiet)
  // A p99 under autocannon's 1 ms resolution counts as 1 ms, so that the ratio stays finite.
  const { ratio: x, ours, theirs } = await alternate(() => p99(urls.bigHello, scraping), async () => Math.max(await p99(urls.bigHello, quiet), 1))
  report({
    name: `hello p99 latency while the ${count(BIG_VARS)}-var document is scraped every 100 ms vs no scrape (same server)`,
    measured: `${ratio(x)} (median p99 ${ours} vs ${theirs} ms)`,
    target: '≤ 2.00×',
    verdict: x <= 2 ? 'PASS' : 'MISS'
  })
}

/** The stall row, on a server process of its own (its heap would slow every other server's GC). */
export async function benchLargeServer (): Promise<void> {
  const servers = await startServers<LargeUrls>('large')
  try {
    await benchStall(servers.urls)
  } finally {
    servers.stop()
  }
}
