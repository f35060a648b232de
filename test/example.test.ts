// `npm start` as the README gives it: the example app starts and prints three URLs that answer.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { test } from 'tap'

const root = join(import.meta.dirname, '..')
// Bounds the whole start: tsx compiling the example on a loaded machine takes a few seconds.
const START_TIMEOUT = 60_000

test('npm start prints the URLs of the document, the metrics and the dashboard, and each answers', async (t) => {
  // PORT=0: any free port, and the example prints the address it got. Coverage is the tests' own.
  const child: ChildProcess = spawn('npm', ['start', '--silent'], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', _TAPJS_PROCESSINFO_COVERAGE_: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true
  })
  // npm starts tsx, which starts node: kill the whole group.
  t.teardown(() => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL')
    } catch {
      // Already gone.
    }
  })
  const urls: string[] = []
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
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
