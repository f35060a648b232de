// The dashboard in a real browser: Debian's chromium, headless, against a test server on 127.0.0.1.
/// <reference lib="dom" />
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify from 'fastify'
import type { Page } from 'puppeteer-core'
import tap from 'tap'
import expvar from '../index.js'
import { CHROMIUM_MISSING, hasChromium, launchChromium } from './browser.js'

const CI = process.env.CI === 'true'
const AUTH = 'Basic ' + Buffer.from('ops:secret').toString('base64')
const POLL_MS = 500

// A browser session takes longer than tap's default 30 s per file on a busy machine.
tap.setTimeout(120_000)

/** Pixels of the canvas under `selector` drawn in a series colour: data, not axes or grid. */
async function seriesPixels (page: Page, selector: string): Promise<number> {
  return await page.$eval(selector, (element) => {
    const style = getComputedStyle(document.documentElement)
    const palette = [1, 2, 3, 4, 5, 6].map((c) => {
      const hex = style.getPropertyValue(`--c${c}`).trim()
      return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number]
    })
    const canvas = element as HTMLCanvasElement
    const { data } = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height)
    let n = 0
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]] as [number, number, number, number]
      if (a > 200 && palette.some(([pr, pg, pb]) => Math.abs(r - pr) + Math.abs(g - pg) + Math.abs(b - pb) < 60)) n++
    }
    return n
  })
}

const text = async (page: Page, selector: string): Promise<string> => await page.$eval(selector, (e) => e.textContent ?? '')

tap.test('the dashboard in chromium: charts, tree, filter, pause, failed polls, auth', {
  skip: !hasChromium() && !CI ? CHROMIUM_MISSING : false
}, async (t) => {
  if (!hasChromium()) {
    t.fail(CHROMIUM_MISSING)
    return
  }

  // The server: every dashboard route behind basic auth; the document can be made to refuse (401).
  let documentRequests = 0
  let refuseDocument = false
  const app = Fastify()
  await app.register(expvar, {
    builtins: ['eventloop', 'http'],
    ui: true,
    route: {
      logLevel: 'silent',
      onRequest: async (request, reply) => {
        const isDocument = request.routeOptions.url === '/debug/vars'
        if (isDocument) documentRequests++
        if (request.headers.authorization !== AUTH || (isDocument && refuseDocument)) {
          // No WWW-Authenticate: the browser would hold the refused poll for a login prompt.
          return reply.code(401).send({ error: 'Unauthorized' })
        }
      }
    }
  })
  let ticks = 0
  app.expvar.register('ticks', () => ++ticks * 10) // grows at every scrape: a counter, drawn as a rate
  app.expvar.register('temperature', () => 20 + 5 * Math.sin(ticks)) // up and down: a gauge
  const queue = app.expvar.map('queue')
  queue.add('eu', 3)
  queue.add('us', 5)
  app.expvar.string('build').set('v1.2.3')
  // Enough values to pass the page's cap of 120 charts.
  const wide = app.expvar.map('wide') // sorted last: the cap leaves out the tail of it
  for (let i = 0; i < 100; i++) wide.add(`k${String(i).padStart(3, '0')}`, i)
  const origin = await app.listen({ host: '127.0.0.1', port: 0 })
  const { browser, close } = await launchChromium().catch(async (err: unknown) => {
    await app.close()
    throw err
  })
  // The browser first, so that no poll is in flight when the server closes.
  t.teardown(async () => {
    await close()
    await app.close()
  })
  const page = await browser.newPage()
  page.setDefaultTimeout(20_000)
  await page.setExtraHTTPHeaders({ authorization: AUTH })
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }])

  const requested: string[] = []
  const pageErrors: string[] = []
  const consoleErrors: { phase: string, text: string, url: string | undefined }[] = []
  let phase = 'healthy'
  page.on('request', (request) => { requested.push(request.url()) })
  page.on('pageerror', (err) => { pageErrors.push(String(err)) })
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push({ phase, text: message.text(), url: message.location().url })
  })

  const waitForDocumentRequests = async (n: number): Promise<void> => {
    const target = documentRequests + n
    for (let i = 0; i <= 200; i++) {
      if (documentRequests >= target) return
      await sleep(50)
    }
    throw new Error(`the page made ${documentRequests} of ${target} document requests`)
  }

  const response = await page.goto(`${origin}/debug/vars/ui`, { waitUntil: 'load' })
  t.equal(response?.status(), 200)
  await page.select('#interval', String(POLL_MS))
  await page.waitForSelector('.card[data-key="temperature"] canvas')
  await waitForDocumentRequests(4)
  await page.waitForFunction(() => document.querySelector('#status')?.textContent?.startsWith('updated'))

  t.test('every numeric value has a chart drawn with data, Map keys and counters too', async (t) => {
    for (const key of ['temperature', 'ticks', 'queue.eu', 'queue.us', 'memstats.HeapAlloc', 'eventloop.p99', 'http.requests']) {
      t.ok(await page.$(`#charts .card[data-key="${key}"]`), `a chart for ${key}`)
    }
    t.notOk(await page.$('#charts .card[data-key="build"]'), 'no chart for a string')
    t.ok(await seriesPixels(page, '.card[data-key="temperature"] canvas') > 20, 'the gauge\'s line is drawn')
    t.ok(await seriesPixels(page, '.card[data-key="ticks"] canvas') > 20, 'the counter\'s rate is drawn')
    t.match(await text(page, '.card[data-key="ticks"] .value'), /^[\d.,]+\/s[\d.,]+$/, 'a counter shows its rate and its raw value')
    t.match(await text(page, '.card[data-key="temperature"] .value'), /^[\d.,]+$/, 'a gauge shows its value')
  })

  t.test('the memstats, eventloop and http panels are drawn', async (t) => {
    const titles = await page.$$eval('#panels .card:not([hidden]) h3', (hs) => hs.map((h) => h.textContent))
    t.same(titles, ['Memory', 'GC pauses (ms)', 'Event-loop delay (ms)', 'Event-loop utilization (%)', 'HTTP responses by status class (/s)', 'HTTP in flight'])
    t.ok(await seriesPixels(page, '#panels .card[data-key="Memory"] canvas') > 20, 'heap drawn')
    t.ok(await seriesPixels(page, '#panels .card[data-key="Event-loop delay (ms)"] canvas') > 20, 'delay drawn')
    t.match(await text(page, '#panels .card[data-key="HTTP responses by status class (/s)"] .value'), /2xx [\d.]+/)
  })

  t.test('values update between polls, in the charts and in the tree', async (t) => {
    t.equal(await text(page, '#tree .leaf[data-path="build"] .v'), '"v1.2.3"', 'strings are in the tree')
    t.equal(await text(page, '#tree .leaf[data-path="queue.eu"] .v'), '3', 'Map keys are in the tree')
    const before = [await text(page, '.card[data-key="ticks"] .raw'), await text(page, '#tree .leaf[data-path="ticks"] .v')]
    await waitForDocumentRequests(2)
    await sleep(100)
    const after = [await text(page, '.card[data-key="ticks"] .raw'), await text(page, '#tree .leaf[data-path="ticks"] .v')]
    t.not(after[0], before[0], 'the chart\'s raw value moved')
    t.not(after[1], before[1], 'the tree\'s value moved')
  })

  t.test('the filter narrows charts, panels and tree', async (t) => {
    const visible = async (selector: string): Promise<string[]> =>
      await page.$$eval(selector, (es) => es.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => (e as HTMLElement).dataset.key ?? (e as HTMLElement).dataset.path ?? ''))
    const all = (await visible('#charts .card')).length
    await page.type('#filter', 'queue')
    t.same(await visible('#charts .card'), ['queue.eu', 'queue.us'])
    t.same(await visible('#panels .card'), [])
    t.same(await visible('#tree .leaf'), ['queue.eu', 'queue.us'])
    await page.$eval('#filter', (input) => { (input as HTMLInputElement).value = '' })
    await page.type('#filter', 'eventloop.p')
    t.same(await visible('#charts .card'), ['eventloop.p50', 'eventloop.p90', 'eventloop.p99'])
    t.same(await visible('#panels .card'), ['Event-loop delay (ms)'], 'a panel stays when one of its series matches')
    await page.$eval('#filter', (input) => {
      (input as HTMLInputElement).value = ''
      input.dispatchEvent(new Event('input'))
    })
    t.equal((await visible('#charts .card')).length, all, 'cleared, every chart is back')
  })

  t.test('past 120 matching values the page says how many it left out', async (t) => {
    const shown = async (): Promise<number> => await page.$$eval('#charts .card', (cs) => cs.filter((c) => !(c as HTMLElement).hidden).length)
    t.equal(await shown(), 120)
    t.match(await text(page, '#more'), /^\d+ more values match: narrow them with the filter\.$/)
    await page.type('#filter', 'wide.')
    t.equal(await shown(), 100, 'every wide.* value once the filter narrows them')
    t.equal(await page.$eval('#more', (e) => (e as HTMLElement).hidden), true)
    await page.$eval('#filter', (input) => {
      (input as HTMLInputElement).value = ''
      input.dispatchEvent(new Event('input'))
    })
  })

  t.test('a phone-sized window gets one column and no sideways scrolling', async (t) => {
    await page.setViewport({ width: 390, height: 844 })
    await sleep(POLL_MS * 2)
    const layout = await page.evaluate(() => ({
      overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      columns: getComputedStyle(document.querySelector('#charts') as Element).gridTemplateColumns.split(' ').length
    }))
    t.same(layout, { overflow: 0, columns: 1 })
    await page.setViewport({ width: 1280, height: 900 })
  })

  t.test('dark mode follows the system, and the charts are redrawn in its colours', async (t) => {
    const background = async (): Promise<string> => await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    const light = await background()
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }])
    t.not(await background(), light)
    await waitForDocumentRequests(2)
    t.ok(await seriesPixels(page, '.card[data-key="temperature"] canvas') > 20, 'drawn in the dark palette')
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }])
  })

  t.test('pause stops polling; resume starts it again', async (t) => {
    await page.click('#pause')
    t.equal(await text(page, '#pause'), 'Resume')
    await sleep(POLL_MS * 2) // a poll in flight at the click may still land
    const paused = documentRequests
    await sleep(POLL_MS * 6)
    t.equal(documentRequests, paused, 'no document request while paused')
    await page.click('#pause')
    t.equal(await text(page, '#pause'), 'Pause')
    await waitForDocumentRequests(2)
    t.ok(documentRequests >= paused + 2, 'polling resumed')
  })

  t.test('a 401 from the document route shows on the page, and the page recovers', async (t) => {
    t.same(consoleErrors, [], 'no console errors while healthy')
    phase = 'refused'
    refuseDocument = true
    await page.waitForFunction(() => {
      const banner = document.querySelector('#banner') as HTMLElement
      return !banner.hidden && banner.textContent?.includes('HTTP 401 Unauthorized')
    })
    t.match(await text(page, '#banner'), /HTTP 401 Unauthorized/, 'the banner names the 401')
    refuseDocument = false
    await page.waitForFunction(() => (document.querySelector('#banner') as HTMLElement).hidden)
    t.match(await text(page, '#status'), /recovered after \d+ failed poll/)
    t.ok(consoleErrors.length > 0 && consoleErrors.every((e) => e.phase === 'refused' && /status of 401/.test(e.text)),
      'the only console errors are the browser\'s own lines for the refused polls')
  })

  t.test('a network error shows on the page, and the page recovers', async (t) => {
    phase = 'offline'
    await page.setOfflineMode(true)
    await page.waitForFunction(() => /network error/.test(document.querySelector('#banner')?.textContent ?? '') &&
      !(document.querySelector('#banner') as HTMLElement).hidden)
    t.match(await text(page, '#banner'), /network error/, 'the banner names the network error')
    await page.setOfflineMode(false)
    await page.waitForFunction(() => (document.querySelector('#banner') as HTMLElement).hidden)
    phase = 'back'
    await waitForDocumentRequests(2)
    t.same(consoleErrors.filter((e) => e.phase === 'back'), [], 'no console errors once back')
  })

  t.test('only same-origin requests, no page errors, and each one answers 401 without credentials', async (t) => {
    t.same(pageErrors, [], 'no page errors')
    const urls = [...new Set(requested.map((url) => url.split('?')[0] as string))].sort()
    t.same(urls.filter((url) => !url.startsWith(origin + '/')), [], 'every request went to the test server')
    t.equal(urls.length, 7, 'the page, five assets and the document')
    for (const url of urls) {
      t.equal((await fetch(url)).status, 401, `${url} without credentials`)
      t.equal((await fetch(url, { headers: { authorization: AUTH } })).status, 200, `${url} with them`)
    }
  })
})
