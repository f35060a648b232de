// Remakes docs/dashboard.png: starts the example app, gives it some traffic, and shoots the dashboard.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { launchChromium } from '../test/browser.js'

const root = join(import.meta.dirname, '..')
// HISTORY_MS: how long the page polls before the shot; VIEWPORT, SCHEME and OUT for other shots
// (e.g. VIEWPORT=390x844 SCHEME=dark OUT=/tmp/phone.png for a phone in dark mode).
const HISTORY_MS = Number(process.env.HISTORY_MS ?? 40_000)
const [width, height] = (process.env.VIEWPORT ?? '1280x1100').split('x').map(Number) as [number, number]
const out = process.env.OUT ?? join(root, 'docs', 'dashboard.png')

const server = spawn(process.execPath, ['--import', 'tsx', join(root, 'example', 'server.ts')], {
  cwd: root,
  env: { ...process.env, PORT: '0', HOST: '127.0.0.1', FASTIFY_AUTOLOAD_TYPESCRIPT: '1' },
  stdio: ['ignore', 'pipe', 'inherit']
})
let printed = ''
server.stdout.setEncoding('utf8')
const dashboard = await new Promise<string>((resolve, reject) => {
  server.stdout.on('data', (chunk: string) => {
    printed += chunk
    const url = /dashboard: (\S+)/.exec(printed)?.[1]
    if (url !== undefined) resolve(url)
  })
  server.once('exit', (code) => reject(new Error(`the example app exited (${code}): ${printed}`)))
})
const origin = new URL(dashboard).origin

// Traffic with a changing rate and a few 404s, so that the http panel and the charts have a shape.
const stop = new AbortController()
const load = (async () => {
  for (let i = 0; !stop.signal.aborted; i++) {
    const burst = 2 + Math.round(6 * (1 + Math.sin(i / 40)))
    await Promise.all(Array.from({ length: burst }, (_, j) => fetch(origin + (j === 0 && i % 7 === 0 ? '/missing' : '/')).then((r) => r.arrayBuffer())))
    await sleep(100)
  }
})()

const { browser, close } = await launchChromium()
try {
  const page = await browser.newPage()
  await page.setViewport({ width, height, deviceScaleFactor: 1 })
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: process.env.SCHEME ?? 'light' }])
  await page.goto(dashboard, { waitUntil: 'load' })
  await sleep(HISTORY_MS)
  await page.screenshot({ path: out as `${string}.png` })
  console.log(`wrote ${out} from ${dashboard}`)
} finally {
  stop.abort()
  await load
  await close()
  server.kill()
  await once(server, 'exit')
}
