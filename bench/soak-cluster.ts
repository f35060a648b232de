// The soak's cluster phase: a real node:cluster of four workers on the compiled plugin (the
// cluster tests' primary and worker), one of them sending an altered copy of every message the
// plugin sends, while scrapes run and, every second, a worker or the primary is blocked past
// cluster.timeout. Fails on any non-200 answer, a body that is not JSON, a process that dies, or
// scrapes that are not whole again once the hostile worker behaves and the blocking stops.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { Agent } from 'node:http'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { type Answer, request as get } from './get.js'

const WORKERS = 4
const HOSTILE = 3
const SLOW = 4
const TIMEOUT_MS = 300
/** How long a blocked worker or primary is busy: past cluster.timeout. */
const BLOCK_MS = 2 * TIMEOUT_MS
const SCRAPERS = 4
/** Whole scrapes in a row that show the cluster recovered. */
const WHOLE = 10

interface Line { port?: number, exit?: number }

export interface ClusterSoak {
  readonly scrapes: number
  readonly blocks: number
  readonly failures: string[]
}

export async function soakCluster (seconds: number): Promise<ClusterSoak> {
  const primary = spawn(process.execPath, [fileURLToPath(new URL('../test/fixtures/cluster/primary.mjs', import.meta.url))], {
    env: { ...process.env, EXPVAR_PLUGIN: fileURLToPath(new URL('../dist/index.js', import.meta.url)), WORKERS: String(WORKERS), HOSTILE: String(HOSTILE), PROMETHEUS: '1', CLUSTER_TIMEOUT: String(TIMEOUT_MS) },
    stdio: ['pipe', 'pipe', 'inherit']
  })
  const failures: string[] = []
  let closing = false
  const started = new Promise<number>((resolve) => {
    createInterface({ input: primary.stdout }).on('line', (text) => {
      const line = JSON.parse(text) as Line
      if (line.exit !== undefined && !closing) failures.push(`worker ${line.exit} exited`)
      if (line.port !== undefined) resolve(line.port)
    })
  })
  const exited = once(primary, 'exit').then(([code]) => { if (!closing) failures.push(`the primary exited (${String(code)})`) })
  const command = (text: string): void => { primary.stdin.write(text + '\n') }
  const agent = new Agent({ keepAlive: false })
  const request = (url: string): Promise<Answer> => get(url, agent)

  try {
    const port = await Promise.race([started, exited.then(() => { throw new Error(failures.join('; ')) })])
    const base = `http://127.0.0.1:${port}`
    const end = Date.now() + seconds * 1000
    let scrapes = 0
    let blocks = 0
    const scrape = async (path: string): Promise<void> => {
      while (Date.now() < end && failures.length < 10) {
        try {
          const answer = await request(base + path)
          if (answer.status !== 200) throw new Error(`${path}: status ${answer.status}: ${answer.body.slice(0, 200)}`)
          if (path.startsWith('/debug/vars')) JSON.parse(answer.body)
          scrapes++
        } catch (err) {
          failures.push((err as Error).message)
        }
      }
    }
    // Every second, in turn: the slow worker blocked, then the primary at the next collect.
    const blocker = setInterval(() => {
      command(blocks++ % 2 === 0 ? `stall ${SLOW} ${BLOCK_MS}` : `block-next-collect ${BLOCK_MS}`)
    }, 1000)
    await Promise.all(Array.from({ length: SCRAPERS }, (_, i) => scrape(i === 0 ? '/metrics' : '/debug/vars')))
    clearInterval(blocker)

    // Calm again: the hostile worker behaves, the last block has passed; the next scrapes must be whole.
    command(`tell ${HOSTILE} {"behave":true}`)
    await new Promise((resolve) => setTimeout(resolve, 2 * BLOCK_MS))
    // Some altered messages still fit the schema (a value's data retyped), so one whole scrape
    // proves little: WHOLE in a row do.
    let inRow = 0
    for (let i = 0; i < 4 * WHOLE && inRow < WHOLE; i++) {
      const { cluster } = JSON.parse((await request(base + '/debug/vars')).body) as { cluster: { workers: number, answered: number } }
      inRow = cluster.workers === WORKERS && cluster.answered === WORKERS ? inRow + 1 : 0
      if (inRow === 0) await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS))
    }
    if (inRow < WHOLE) failures.push(`after the storm, scrapes were not whole again (${WORKERS} workers answering ${WHOLE} times in a row)`)
    return { scrapes, blocks, failures }
  } finally {
    agent.destroy()
    // The primary's exit command ends it and, with its IPC channel, every worker.
    closing = true
    command('exit')
    const timer = setTimeout(() => primary.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
}
