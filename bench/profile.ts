// `npm run bench:profile`: where a scrape's time goes. Runs document() of the bench's var set
// under `node --cpu-prof` in a child process and prints the functions with the most self time.
// PROFILE=big profiles the 10,000-var document with every value changed before each write;
// PROFILE=metrics the scrape row's registry in Prometheus text (registry.metrics()).
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import expvar from './expvar.js'
import { publishVars, USER_VARS } from './vars.js'

const SECONDS = 5
const TOP = 15

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string, readonly url: string }
}

interface Profile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
}

async function target (): Promise<void> {
  const big = process.env.PROFILE === 'big'
  const metrics = process.env.PROFILE === 'metrics'
  // The scrape row's registry: the plugin's default vars (cmdline, memstats) and the user vars.
  const app = Fastify()
  await app.register(expvar, { url: false, cmdline: !big, memstats: !big })
  const registry = app.expvar
  const change = publishVars(registry, big ? 10_000 : USER_VARS)
  const requests = registry.int('requests')
  const end = Date.now() + SECONDS * 1000
  while (Date.now() < end) {
    // As under load: a counter moves with every scrape (or, for the big document, every value).
    if (big) change()
    requests.add(1)
    await (metrics ? registry.metrics() : registry.document())
  }
  await app.close()
}

function summarise (file: string): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const hits = new Map<number, number>()
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1)
  const self = new Map<string, number>()
  for (const node of profile.nodes) {
    const where = node.callFrame.url === '' ? '' : ' ' + node.callFrame.url.split('/').slice(-2).join('/')
    const name = (node.callFrame.functionName || '(anonymous)') + where
    self.set(name, (self.get(name) ?? 0) + (hits.get(node.id) ?? 0))
  }
  const total = profile.samples.length
  const what = process.env.PROFILE === 'big' ? '10,000 vars, every value changed' : `default vars + ${USER_VARS} user vars + a moving counter${process.env.PROFILE === 'metrics' ? ', Prometheus text' : ''}`
  console.log(`self time, ${total} samples (${what}):`)
  for (const [name, count] of [...self].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    console.log(`  ${(count / total * 100).toFixed(1).padStart(5)}%  ${name}`)
  }
}

async function main (): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'expvar-profile-'))
  try {
    const child = fork(fileURLToPath(import.meta.url), {
      env: { ...process.env, PROFILE_TARGET: '1' },
      execArgv: [...process.execArgv, '--cpu-prof', '--cpu-prof-dir', dir]
    })
    const [code] = await once(child, 'exit') as [number]
    if (code !== 0) throw new Error(`the profiled process exited with ${code}`)
    summarise(join(dir, readdirSync(dir)[0] as string))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await (process.env.PROFILE_TARGET === '1' ? target() : main())
