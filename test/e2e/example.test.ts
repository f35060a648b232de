// `npm start` as the README gives it: the example app starts and prints three URLs that answer.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { test } from 'tap'
import { waitFor } from '../helpers.js'

const root = join(import.meta.dirname, '..', '..')
// Bounds the whole start: tsx compiling the example on a loaded machine takes a few seconds.
const START_TIMEOUT = 60_000

test('npm start prints the URLs of the document, the metrics and the dashboard, and each answers', async (t) => {
  // PORT=0: any free port, and the example prints the address it got. npm starts tsx, which
  // starts node: the whole group is killed at the end.
  const { child, lines } = startScript(t, 'start', { PORT: '0', HOST: '127.0.0.1' })
  const urls: string[] = []
  const printed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`npm start printed ${urls.length} URLs in ${START_TIMEOUT} ms`)) }, START_TIMEOUT)
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`npm start exited with ${String(code)}`)) })
    lines.on('line', (line) => {
      const url = /https?:\/\/\S+/.exec(line)?.[0]
      if (url !== undefined) urls.push(url)
      if (urls.length === 3) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  await printed
  const [document, metrics, dashboard] = urls as [string, string, string]
  t.match(document, /^http:\/\/127\.0\.0\.1:\d+\/debug\/vars$/)
  t.match(metrics, /\/metrics$/)
  t.match(dashboard, /\/debug\/vars\/ui$/)

  const doc = await fetch(document)
  t.equal(doc.status, 200)
  const body = await doc.json() as Record<string, unknown>
  t.ok('memstats' in body && 'cmdline' in body && 'hits' in body, 'the document carries Go\'s vars and the example\'s')
  const exposition = await fetch(metrics)
  t.equal(exposition.status, 200)
  t.match(await exposition.text(), /^# TYPE hits_total counter$/m, 'the metrics carry the example\'s counter')
  const page = await fetch(dashboard)
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /^text\/html/)
  lines.close()
  process.kill(-(child.pid as number), 'SIGKILL')
  await once(child, 'exit')
})

/** Starts an npm script in its own process group; its stdout lines, and a kill for the whole group. */
function startScript (t: { teardown: (fn: () => void) => void }, script: string, env: NodeJS.ProcessEnv): { child: ChildProcess, lines: ReturnType<typeof createInterface> } {
  const child: ChildProcess = spawn('npm', ['run', script, '--silent'], {
    cwd: root,
    env: { ...process.env, ...env, _TAPJS_PROCESSINFO_COVERAGE_: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true
  })
  t.teardown(() => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL')
    } catch {
      // Already gone.
    }
  })
  return { child, lines: createInterface({ input: child.stdout as NodeJS.ReadableStream }) }
}

/** The first stdout line that matches, or a rejection when the script exits or START_TIMEOUT passes. */
function lineMatching (child: ChildProcess, lines: ReturnType<typeof createInterface>, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`no line matching ${String(pattern)} in ${START_TIMEOUT} ms`)) }, START_TIMEOUT)
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the script exited with ${String(code)}`)) })
    const onLine = (line: string): void => {
      if (!pattern.test(line)) return
      clearTimeout(timer)
      lines.off('line', onLine)
      resolve(line)
    }
    lines.on('line', onLine)
  })
}

interface ClusterVar { workers: number, answered: number, missing: number[] }

test('npm run start:cluster prints its URL once the port is open, sums its workers, and replaces a worker that dies', async (t) => {
  const { child, lines } = startScript(t, 'start:cluster', { PORT: '0', HOST: '127.0.0.1', WORKERS: '2' })
  const printed = await lineMatching(child, lines, /https?:\/\/\S+\/debug\/vars/)
  const document = /https?:\/\/\S+\/debug\/vars/.exec(printed)?.[0] as string
  t.match(document, /^http:\/\/127\.0\.0\.1:\d+\/debug\/vars$/)
  // Printed once a worker listens: the very first request is answered.
  const first = await fetch(document)
  t.equal(first.status, 200, 'the URL answers as soon as it is printed')
  await first.text()

  // Both workers up and answering, then one of them killed: the primary forks a replacement.
  const home = document.replace(/\/debug\/vars$/, '/')
  const cluster = async (): Promise<ClusterVar> => ((await (await fetch(document + '?vars=cluster')).json()) as { cluster: ClusterVar }).cluster
  // Polled until both workers answer, a breath apart.
  const bothAnswer = async (): Promise<ClusterVar> => waitFor('both workers answering', async () => {
    const state = await cluster()
    return state.workers === 2 && state.answered === 2 && state
  }, { within: START_TIMEOUT, every: 100 })
  let state = await bothAnswer()
  t.same({ workers: state.workers, answered: state.answered }, { workers: 2, answered: 2 })
  const { pid } = await (await fetch(home)).json() as { worker: number, pid: number }
  const replaced = lineMatching(child, lines, /exited \(SIGKILL\); forking a new one/)
  process.kill(pid, 'SIGKILL')
  t.match(await replaced, /^worker \d+ exited \(SIGKILL\); forking a new one$/)
  state = await bothAnswer()
  t.same({ workers: state.workers, answered: state.answered, missing: state.missing }, { workers: 2, answered: 2, missing: [] }, 'two workers again')
  lines.close()
  process.kill(-(child.pid as number), 'SIGKILL')
  await once(child, 'exit')
})
