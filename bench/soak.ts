// `npm run soak`: concurrent scrapes on loopback while other requests update Ints and Maps,
// register and delete vars, and one var throws every third call; a registry of the adversary's
// inputs (throwing logger, unloggable error, shared pending promise, huge string) is scraped too.
// Then a cluster phase (soak-cluster.ts): a hostile worker and blocked processes under scrapes.
// Fails (exit 1) on any non-200, any body that is not JSON, or heap growth past HEAP_BOUND.
// SOAK_SECONDS shortens it (default 60).
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { Agent } from 'node:http'
import { fileURLToPath } from 'node:url'
import { type Answer, request as get } from './get.js'
import { soakCluster } from './soak-cluster.js'

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60)
const SCRAPERS = 8
const UPDATERS = 2
const CHURNERS = 1
/** The server's heap after a forced GC may grow at most this much from the warm-up's end. */
const HEAP_BOUND = 4 * 1024 * 1024
const MB = 1024 * 1024

const agent = new Agent({ keepAlive: true, maxSockets: SCRAPERS + UPDATERS + CHURNERS + 1 })
const request = (url: string): Promise<Answer> => get(url, agent)

async function heapUsed (base: string): Promise<number> {
  const { heapUsed, gc } = JSON.parse((await request(base + '/heap')).body) as { heapUsed: number, gc: boolean }
  if (!gc) throw new Error('the soak server needs --expose-gc (npm run soak passes it)')
  return heapUsed
}

async function main (): Promise<void> {
  const child = fork(fileURLToPath(new URL('soak-server.ts', import.meta.url)), { stdio: 'inherit' })
  const [base] = await once(child, 'message') as [string]
  const failures: string[] = []
  const counts = { scrapes: 0, updates: 0, churns: 0, adversary: 0 }
  const end = Date.now() + SECONDS * 1000

  const loop = async (path: string, check: (answer: Answer) => void): Promise<void> => {
    while (Date.now() < end && failures.length < 10) {
      try {
        const answer = await request(base + path)
        if (answer.status !== 200) throw new Error(`${path}: status ${answer.status}: ${answer.body.slice(0, 200)}`)
        check(answer)
      } catch (err) {
        failures.push((err as Error).message)
      }
    }
  }
  const scrape = (path: string) => loop(path, (answer) => {
    JSON.parse(answer.body)
    counts.scrapes++
  })

  // The heap is measured once the server is warm (JIT, caches), then at the end.
  const warmup = new Promise<number>((resolve, reject) => {
    setTimeout(() => { heapUsed(base).then(resolve, reject) }, Math.min(5, SECONDS / 6) * 1000)
  })
  await Promise.all([
    ...Array.from({ length: SCRAPERS }, (_, i) => scrape(i === 0 ? '/debug/vars?vars=flaky,soak.routes,memstats' : '/debug/vars')),
    ...Array.from({ length: UPDATERS }, () => loop('/update', () => { counts.updates++ })),
    ...Array.from({ length: CHURNERS }, () => loop('/churn', () => { counts.churns++ })),
    loop('/adversary', (answer) => {
      if (!('ok' in JSON.parse(answer.body))) throw new Error('/adversary: the healthy var is missing')
      counts.adversary++
    })
  ])
  const before = await warmup
  const after = await heapUsed(base)
  agent.destroy()
  child.kill()

  // Then the cluster: a hostile worker and blocked processes while scrapes run.
  const clustered = await soakCluster(Math.max(5, SECONDS / 3))
  failures.push(...clustered.failures)

  const growth = after - before
  console.log(`soak: ${SECONDS} s, ${counts.scrapes} scrapes (${SCRAPERS} concurrent), ${counts.updates} updates, ${counts.churns} register/delete, ${counts.adversary} scrapes of the adversary's vars`)
  console.log(`cluster: ${clustered.scrapes} scrapes of 4 workers, one sending altered messages, ${clustered.blocks} times a worker or the primary blocked past cluster.timeout`)
  console.log(`heap after GC: ${(before / MB).toFixed(2)} MB after warm-up, ${(after / MB).toFixed(2)} MB at the end: ${growth >= 0 ? '+' : ''}${(growth / MB).toFixed(2)} MB (bound ${HEAP_BOUND / MB} MB)`)
  if (growth > HEAP_BOUND) failures.push(`heap grew ${(growth / MB).toFixed(2)} MB, more than ${HEAP_BOUND / MB} MB`)
  if (failures.length > 0) {
    console.error(`FAIL:\n  ${failures.join('\n  ')}`)
    process.exitCode = 1
  } else {
    console.log('PASS: every answer 200, every body valid JSON, heap flat; the cluster lost no process and was whole again')
  }
}

await main()
