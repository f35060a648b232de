// The cluster rows, on the clusters of bench/cluster.ts and bench/aggregator.ts (forked here).
import autocannon from 'autocannon'
import { execFileSync, fork } from 'node:child_process'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { ClusterReady } from './aggregator.js'
import { alternate, checked, compareLoads, count, LOAD_ROUNDS, LOAD_SECONDS, median, ratio, report, serial } from './measure.js'
import { USER_VARS } from './vars.js'

const CLUSTER_WORKERS = 4

async function startCluster (mode: 'on' | 'off'): Promise<{ base: string, stop: () => void }> {
  const child = fork(fileURLToPath(new URL('cluster.ts', import.meta.url)), { stdio: 'inherit', env: { ...process.env, CLUSTER: mode, WORKERS: String(CLUSTER_WORKERS) } })
  const [{ base }] = await once(child, 'message') as [{ base: string }]
  return { base, stop: () => child.kill() }
}

/**
 * Two clusters of the same workers and vars, one with cluster mode: the whole cluster's scrape vs
 * one worker's scrape of the same vars (cluster off), and the workers' own throughput on vs off.
 */
export async function benchCluster (): Promise<void> {
  const on = await startCluster('on')
  const off = await startCluster('off')
  try {
    await serial(on.base + '/debug/vars', 1)
    await serial(off.base + '/debug/vars', 1)
    const ratios: number[] = []
    const a: number[] = []
    const b: number[] = []
    for (let r = 0; r < LOAD_ROUNDS; r++) {
      const whole = await serial(on.base + '/debug/vars')
      const one = await serial(off.base + '/debug/vars')
      a.push(whole)
      b.push(one)
      ratios.push(one / whole)
    }
    const x = median(ratios)
    report({
      name: `cluster scrape (${CLUSTER_WORKERS} workers, default vars + ${USER_VARS} user vars each) vs one worker's scrape of the same vars`,
      measured: `${ratio(x)} the time per scrape (median ${count(median(a))} vs ${count(median(b))} scrapes/s on one connection)`,
      target: '≤ 3.00×',
      verdict: x <= 3 ? 'PASS' : 'MISS'
    })
    const idle = await compareLoads(on.base + '/hello', off.base + '/hello')
    report({
      name: `hello route on ${CLUSTER_WORKERS} workers, cluster: true vs false, nobody scraping`,
      measured: `${ratio(idle.ratio)} (median ${count(idle.ours)} vs ${count(idle.theirs)} req/s)`,
      target: '≥ 0.95×',
      verdict: idle.ratio >= 0.95 ? 'PASS' : 'MISS'
    })
  } finally {
    on.stop()
    off.stop()
  }
}

/** The CPU time so far (user + system, µs) of every process in pids, from /proc (Linux). */
function processesCpu (pids: readonly number[]): () => Promise<number> {
  const tick = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
  return async () => {
    let total = 0
    for (const pid of pids) {
      // utime and stime are the 14th and 15th fields; the 2nd, the command, may hold spaces.
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      total += (Number(fields[11]) + Number(fields[12])) * tick
    }
    return total
  }
}

async function startPeer (peer: 'ours' | 'theirs'): Promise<{ url: string, cpu: () => Promise<number>, stop: () => void }> {
  const child = fork(fileURLToPath(new URL('aggregator.ts', import.meta.url)), { stdio: 'inherit', env: { ...process.env, PEER: peer, WORKERS: String(CLUSTER_WORKERS) } })
  const [{ url, pids }] = await once(child, 'message') as [ClusterReady]
  return { url, cpu: processesCpu(pids), stop: () => child.kill() }
}

/**
 * The same 4-worker cluster with the same vars twice: ours (`cluster: true`, aggregateWorkers(),
 * GET /metrics on any worker) and prom-client's AggregatorRegistry (clusterMetrics() served by the
 * primary, its documented setup). Scrapes per second on one connection, as a Prometheus scrapes,
 * in alternating pairs; and the CPU time of a scrape, summed over the primary and its workers.
 */
export async function benchAggregator (): Promise<void> {
  const ours = await startPeer('ours')
  const theirs = await startPeer('theirs')
  try {
    const cpuPerScrape = new Map<typeof ours, number[]>([[ours, []], [theirs, []]])
    const scrapes = async (peer: typeof ours): Promise<number> => {
      const before = await peer.cpu()
      const result = checked(peer.url, await autocannon({ url: peer.url, connections: 1, duration: LOAD_SECONDS }))
      cpuPerScrape.get(peer)?.push((await peer.cpu() - before) / result.requests.total)
      return result.requests.total / result.duration
    }
    await serial(ours.url, 1)
    await serial(theirs.url, 1)
    const compared = await alternate(() => scrapes(ours), () => scrapes(theirs))
    const ms = (peer: typeof ours): string => (median(cpuPerScrape.get(peer) ?? []) / 1000).toFixed(1)
    report({
      name: `cluster scrape GET /metrics (${CLUSTER_WORKERS} workers, default vars + ${USER_VARS} user vars each) vs prom-client's AggregatorRegistry.clusterMetrics() served by the primary, same vars`,
      measured: `${ratio(compared.ratio)} (median ${count(compared.ours)} vs ${count(compared.theirs)} scrapes/s on one connection; CPU a scrape, primary + workers: ${ms(ours)} vs ${ms(theirs)} ms)`,
      target: '≥ 2.00×',
      verdict: compared.ratio >= 2 ? 'PASS' : 'MISS'
    })
  } finally {
    ours.stop()
    theirs.stop()
  }
}
