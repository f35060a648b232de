// Where a cluster scrape's CPU goes, process by process: starts the aggregator row's cluster
// (bench/aggregator.ts, PEER=ours or PEER=theirs) with every process under `node --cpu-prof`,
// scrapes it on one connection for SECONDS, ends it, and prints each process' busiest functions
// in milliseconds of self time per scrape. Run `npm run build` first (the row's servers load dist/):
//   npm run build && npx tsx bench/profile-cluster.ts              # ours: the primary's relay and each worker
//   PEER=theirs npx tsx bench/profile-cluster.ts                   # prom-client's AggregatorRegistry
import autocannon from 'autocannon'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type { ClusterReady } from './aggregator.js'

const SECONDS = Number(process.env.SECONDS ?? 8)
const TOP = Number(process.env.TOP ?? 10)
const peer = process.env.PEER === 'theirs' ? 'theirs' : 'ours'

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string, readonly url: string, readonly lineNumber: number }
}

interface Profile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
  readonly endTime: number
  readonly startTime: number
}

/** Each function's self time (µs) in the profile's last `seconds`: the scrapes, not the process' start. */
function selfTimes (profile: Profile, seconds: number): Map<string, number> {
  const from = profile.endTime - seconds * 1e6
  const hits = new Map<number, number>()
  let at = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] as number
    at += delta
    const id = profile.samples[i] as number
    if (at >= from) hits.set(id, (hits.get(id) ?? 0) + delta)
  }
  const self = new Map<string, number>()
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame
    const name = (functionName || '(anonymous)') + (url === '' ? '' : ` ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`)
    self.set(name, (self.get(name) ?? 0) + (hits.get(node.id) ?? 0))
  }
  return self
}

const dir = mkdtempSync(join(tmpdir(), 'expvar-cluster-profile-'))
try {
  const child = fork(fileURLToPath(new URL('aggregator.ts', import.meta.url)), {
    stdio: 'inherit',
    env: { ...process.env, PEER: peer, WORKERS: '4' },
    // node:cluster forks the workers with the primary's execArgv: every process is profiled.
    execArgv: [...process.execArgv, '--cpu-prof', '--cpu-prof-dir', dir]
  })
  const [{ url, pids }] = await once(child, 'message') as [ClusterReady]
  await autocannon({ url, connections: 1, duration: 1 })
  const result = await autocannon({ url, connections: 1, duration: SECONDS })
  const scrapes = result.requests.total
  // The primary exits on disconnect, its workers with it: each writes its profile as it exits.
  child.disconnect()
  await once(child, 'exit')
  await sleep(1500)
  console.log(`${peer}: ${scrapes} scrapes in ${SECONDS} s on one connection (${(scrapes / SECONDS).toFixed(1)}/s)`)
  for (const file of readdirSync(dir)) {
    // CPU.<date>.<time>.<pid>.<thread>.<sequence>.cpuprofile; the main thread is 0.
    const [, , , pid, thread] = file.split('.')
    if (thread !== '0') continue
    const self = selfTimes(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile, SECONDS + 0.3)
    let busy = 0
    for (const [name, time] of self) if (!name.startsWith('(idle)')) busy += time
    const role = Number(pid) === pids[0] ? 'primary' : `worker pid ${pid}`
    console.log(`\n${role}: ${(busy / 1000 / scrapes).toFixed(2)} ms of CPU a scrape`)
    for (const [name, time] of [...self].filter(([name]) => !name.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
      console.log(`  ${(time / 1000 / scrapes).toFixed(2).padStart(6)} ms  ${name}`)
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
