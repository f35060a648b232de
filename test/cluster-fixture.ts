// Test helpers for the boards and families tests: a 2-worker node:cluster on the packed plugin, with prometheus on and the builtins left to their default; a little traffic.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { request } from 'node:http'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Test } from 'tap'

const primaryScript = join(import.meta.dirname, 'fixtures', 'cluster', 'primary.mjs')

/** GETs a path on a fresh connection, so that a cluster's primary hands each to the next worker; resolves to the body. */
export function get (port: number, path: string, headers: Readonly<Record<string, string>> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { ...headers, connection: 'close' } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve(body))
    })
    req.on('error', reject)
    // Bounded: a request that hangs fails the test with a message rather than its timeout.
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path} got no answer in 10 s`)))
    req.end()
  })
}

/** A little traffic: five answered requests and a 404. */
export async function traffic (port: number, path: string): Promise<void> {
  for (let i = 0; i < 5; i++) await get(port, path)
  await get(port, '/nowhere')
}

/**
 * A 2-worker node:cluster on the packed plugin (entry), cluster and prometheus on, no builtins
 * option (env adds to the children's environment): resolves to its port. The primary and its workers are killed at the end of the test, or after `bound` ms.
 */
export async function startCluster (t: Test, entry: string, env: Record<string, string> = {}, bound = 90_000): Promise<number> {
  const child: ChildProcess = spawn(process.execPath, [primaryScript], {
    // The children run the packed plugin as built: their coverage is not collected.
    env: { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0', EXPVAR_PLUGIN: entry, WORKERS: '2', PROMETHEUS: '1', BUILTINS: 'default', ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true
  })
  // The primary and its workers are one process group: killed together, whatever happens.
  t.teardown(() => { try { process.kill(-(child.pid as number), 'SIGKILL') } catch {} })
  const bounded = setTimeout(() => child.kill('SIGKILL'), bound)
  t.teardown(() => clearTimeout(bounded))
  const [line] = await once(createInterface({ input: child.stdout as NodeJS.ReadableStream }), 'line') as [string]
  return (JSON.parse(line) as { port: number }).port
}
