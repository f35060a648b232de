// TypeScript var files load outside tap too: under `tsx`, and under `node --import tsx` once
// autoload is told with FASTIFY_AUTOLOAD_TYPESCRIPT=1.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { test } from 'tap'

const run = promisify(execFile)
const root = join(import.meta.dirname, '..')
const server = join(import.meta.dirname, 'fixtures', 'typescript-app', 'server.ts')
const tsx = join(root, 'node_modules', '.bin', 'tsx')

// tsx compiles lib/ differently from tap's loader, so these children's coverage would not line up
// with the rest: tap's process tracker is told not to collect it.
const childEnv: NodeJS.ProcessEnv = { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0' }

function names (body: string): string[] {
  return Object.keys(JSON.parse(body))
}

test('.ts var files load under npx tsx', async (t) => {
  const { stdout } = await run(tsx, [server], { cwd: root, env: childEnv })
  t.same(names(stdout), ['example', 'legacy', 'module', 'script', 'signups', 'stats', 'users'])
})

test('.ts var files load under node --import tsx with FASTIFY_AUTOLOAD_TYPESCRIPT=1', async (t) => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', server], { cwd: root, env: { ...childEnv, FASTIFY_AUTOLOAD_TYPESCRIPT: '1' } })
  t.same(names(stdout), ['example', 'legacy', 'module', 'script', 'signups', 'stats', 'users'])
})

test('without it, node --import tsx fails with a coded error naming the file and the flag', async (t) => {
  const { FASTIFY_AUTOLOAD_TYPESCRIPT: _told, ...env } = childEnv
  const failed = await run(process.execPath, ['--import', 'tsx', server], { cwd: root, env }).then(() => '', (err: { stderr: string }) => err.stderr)
  t.match(failed, /FST_EXPVAR_LOAD_FAILED/)
  t.match(failed, /a-plugin\.ts/)
  t.match(failed, /Under node --import tsx, set FASTIFY_AUTOLOAD_TYPESCRIPT=1\./)
})
