// The dashboard in a real browser: Debian's chromium, headless, against a test server on 127.0.0.1.
/// <reference lib="dom" />
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Page } from 'puppeteer-core'
import tap, { type Test } from 'tap'
import expvar from '../../index.js'
import { CHROMIUM_MISSING, hasChromium, launchChromium } from '../browser.js'
import { waitFor } from '../helpers.js'

const CI = process.env.CI === 'true'
const AUTH = 'Basic ' + Buffer.from('ops:secret').toString('base64')
const POLL_MS = 500

// A browser session takes longer than tap's default 30 s per file on a busy machine.
tap.setTimeout(120_000)

/** The app listening on 127.0.0.1 and a page of a headless Chromium; the browser closed first at the end, so that no poll is in flight when the server closes. */
async function openPage (t: Test, app: FastifyInstance): Promise<{ origin: string, page: Page }> {
  const origin = await app.listen({ host: '127.0.0.1', port: 0 })
  const { browser, close } = await launchChromium().catch(async (err: unknown) => {
    await app.close()
    throw err
  })
  t.teardown(async () => {
    await close()
    await app.close()
  })
  const page = await browser.newPage()
  page.setDefaultTimeout(20_000)
  return { origin, page }
}

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

/** A histogram as the document writes one: cumulative buckets up to the last count, '+Inf' the same. */
function histogram (buckets: Record<string, number>, p50: number): Record<string, unknown> {
  const count = Math.max(...Object.values(buckets))
  return { count, sum: count * p50, buckets: { ...buckets, '+Inf': count }, p50, p90: p50, p99: p50 }
}

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
  // A labelled HistogramVar: ten observations of 0.75 s per scrape, seen by the next one.
  const jobs = app.expvar.histogram('jobs_seconds', { labels: ['queue'], help: 'Job durations.' })
  app.expvar.register('ticks', () => {
    for (let i = 0; i < 10; i++) jobs.observe({ queue: 'mail' }, 0.75)
    return ++ticks * 10
  }, { type: 'counter' }) // a counter by its metadata: drawn as a rate
  app.expvar.register('temperature', () => 20 + 5 * Math.sin(ticks)) // up and down: a gauge
  app.expvar.register('grows', () => ticks * 3, { type: 'gauge' }) // a gauge that happens to grow: drawn as it is
  app.expvar.register('idle', () => 0) // all zero: folded behind the toggle
  app.expvar.register('still', () => 5, { type: 'counter' }) // a counter that does not move: a flat zero rate, folded too
  // A histogram as the document writes one, a plain function here: since the start nearly every
  // observation is in the first bucket (the document's own p50 is 0.005), but every new one is in
  // (0.5, 1], so the quantiles of what happened between polls are 0.75, 0.95 and 0.995.
  app.expvar.register('latency_seconds', () => histogram({ 0.005: 1000, 0.5: 1000, 1: 1000 + 10 * ticks }, 0.005))
  // Two label sets of a histogram under the http builtin (merged into its object): the http latency
  // panel adds their deltas, 10 per poll in (0.05, 0.1] and 10 in (0.5, 1]: p50 0.1, p90 0.9, p99 0.99.
  app.expvar.register('http', () => ({
    duration: {
      GET: { '/a': histogram({ 0.05: 0, 0.1: 10 * ticks, 0.5: 10 * ticks, 1: 10 * ticks }, 0.1) },
      POST: { '/b': histogram({ 0.05: 0, 0.1: 0, 0.5: 0, 1: 10 * ticks }, 1) }
    }
  }))
  const queue = app.expvar.map('queue')
  queue.add('eu', 3)
  queue.add('us', 5)
  app.expvar.string('build').set('v1.2.3')
  const { origin, page } = await openPage(t, app)
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
    await waitFor(`the page's document request number ${target}`, () => documentRequests >= target, { every: 50 })
  }

  const response = await page.goto(`${origin}/debug/vars/ui`, { waitUntil: 'load' })
  t.equal(response?.status(), 200)
  await page.select('#interval', String(POLL_MS))
  await page.waitForSelector('.card[data-key="temperature"] canvas')
  await waitForDocumentRequests(5)
  await page.waitForFunction(() => document.querySelector('#status')?.textContent?.startsWith('updated'))

  t.test('every numeric value has a chart drawn with data, Map keys and counters too', async (t) => {
    for (const key of ['temperature', 'ticks', 'queue.eu', 'queue.us', 'memstats.HeapAlloc', 'eventloop.p99', 'http.requests']) {
      t.ok(await page.$(`.charts .card[data-key="${key}"]`), `a chart for ${key}`)
    }
    t.notOk(await page.$('.charts .card[data-key="build"]'), 'no chart for a string')
    t.ok(await seriesPixels(page, '.card[data-key="temperature"] canvas') > 20, 'the gauge\'s line is drawn')
    t.ok(await seriesPixels(page, '.card[data-key="ticks"] canvas') > 20, 'the counter\'s rate is drawn')
    t.match(await text(page, '.card[data-key="ticks"] .value'), /^[\d.,]+\/s[\d.,]+$/, 'a counter shows its rate and its raw value')
    t.match(await text(page, '.card[data-key="temperature"] .value'), /^[\d.,]+$/, 'a gauge shows its value')
  })

  t.test('the memstats, eventloop and http panels are drawn, each with its unit', async (t) => {
    const titles = await page.$$eval('#panels .card:not([hidden]) h3', (hs) => hs.map((h) => h.textContent))
    t.same(titles, ['Memory', 'GC pauses', 'Event-loop delay', 'Event-loop utilization', 'HTTP responses by status class', 'HTTP latency, all routes', 'HTTP in flight'])
    t.ok(await seriesPixels(page, '#panels .card[data-key="Memory"] canvas') > 20, 'heap drawn')
    t.ok(await seriesPixels(page, '#panels .card[data-key="Event-loop delay"] canvas') > 20, 'delay drawn')
    const panel = async (title: string): Promise<{ value: string, y: string[] }> => await page.$eval(`#panels .card[data-key="${title}"]`,
      (c) => ({ value: c.querySelector('.value')?.textContent ?? '', y: ((c as HTMLElement).dataset.yTicks ?? '').split('|') }))
    const units: [string, RegExp, RegExp][] = [
      ['Memory', /^HeapAlloc [\d.]+ MiB · HeapInuse [\d.]+ MiB · HeapSys [\d.]+ MiB · Sys \(RSS\) [\d.]+ MiB$/, /^[\d.]+ [KMG]?i?B$/],
      ['GC pauses', /^\d+ GCs?, [\d.]+ ms paused in total$/, /^[\d.]+ ms$/],
      // The event loop's nanoseconds as milliseconds: Node's delay monitor ticks at 10 ms, so the median is near 10 ms, not 10,000,000.
      ['Event-loop delay', /^p50 (\d{1,3}(\.\d+)?) ms · p90 [\d.]+ ms · p99 [\d.,]+ ms · max [\d.,]+ ms$/, /^[\d.,]+ ms$/],
      ['Event-loop utilization', /^utilization [\d.]+ %$/, /^[\d.]+ %$/],
      ['HTTP responses by status class', /^1xx [\d.]+\/s · 2xx [\d.]+\/s · 3xx [\d.]+\/s · 4xx [\d.]+\/s · 5xx [\d.]+\/s$/, /^[\d.]+\/s$/],
      ['HTTP latency, all routes', /^p50 100 ms · p90 900 ms · p99 990 ms$/, /^[\d.]+ m?s$/],
      ['HTTP in flight', /^inFlight \d+$/, /^\d+$/]
    ]
    for (const [title, value, tick] of units) {
      const shown = await panel(title)
      t.match(shown.value, value, `${title}: ${shown.value}`)
      t.ok(shown.y.length > 0 && shown.y.every((label) => tick.test(label)), `${title}'s value ticks carry the unit: ${shown.y.join(', ')}`)
    }
  })

  t.test('a var\'s type and the builtins\' known kinds decide rate or value, with units', async (t) => {
    const cards = await page.$$eval('.card[data-kind]', (cs) => Object.fromEntries(cs.map((c) => [(c as HTMLElement).dataset.key,
      { kind: (c as HTMLElement).dataset.kind, unit: (c as HTMLElement).dataset.unit, value: c.querySelector('.value')?.textContent ?? '' }])))
    t.match(cards.ticks, { kind: 'counter', value: /^[\d.,]+\/s[\d.,]+$/ }, 'type counter: a rate, and the raw value')
    t.match(cards.grows, { kind: 'gauge', value: /^[\d.,]+$/ }, 'type gauge: the value, though it only grew')
    t.match(cards.temperature, { kind: 'gauge', value: /^[\d.,]+$/ }, 'no type: the value')
    t.match(cards['memstats.HeapSys'], { kind: 'gauge', unit: 'bytes', value: /^[\d.]+ MiB$/ }, 'HeapSys: a gauge in bytes')
    t.match(cards['memstats.TotalAlloc'], { kind: 'counter', unit: 'bytes', value: /^[\d.]+ [KM]?i?B\/s[\d.]+ MiB$/ }, 'TotalAlloc: a rate of bytes')
    t.match(cards['memstats.GCCPUFraction'], { kind: 'gauge', value: /^[\d.]+ %$/ }, 'GCCPUFraction as a share')
    t.match(cards['eventloop.p99'], { kind: 'gauge', unit: 'ns', value: /^[\d.,]+ ms$/ }, 'eventloop in ms')
    t.match(cards['eventloop.lag'], { kind: 'gauge', unit: 'ns', value: /^[\d.,]+ ms$/ }, 'its lag too')
    t.match(cards['eventloop.utilization'], { kind: 'gauge', value: /^[\d.]+ %$/ }, 'utilization in %')
    t.match(cards['http.requests'], { kind: 'counter', value: /^[\d.]+\/s[\d.,]+$/ })
    t.match(cards['http.inFlight'], { kind: 'gauge' })
    t.notOk(cards['memstats.LastGC'], 'a time is not charted')
  })

  t.test('a histogram is drawn as p50/p90/p99 of what was observed between polls', async (t) => {
    const card = await page.$eval('.card[data-key="latency_seconds"]', (c) => ({ kind: (c as HTMLElement).dataset.kind, value: c.querySelector('.value')?.textContent ?? '' }))
    t.equal(card.kind, 'histogram')
    t.match(card.value, /^p50 750 ms · p90 950 ms · p99 995 ms[\d.]+\/s · [\d,]+ in all$/, card.value)
    t.equal(await text(page, '#tree .leaf[data-path="latency_seconds.p50"] .v'), '0.005', 'not the since-start quantile the document holds')
    t.ok(await seriesPixels(page, '.card[data-key="latency_seconds"] canvas') > 20, 'its quantiles drawn')
    t.notOk(await page.$('.card[data-key="latency_seconds.count"]'), 'its count is not a chart of its own')
    t.notOk(await page.$('.card[data-key="latency_seconds.buckets.1"]'), 'nor its buckets')
    t.match(await text(page, '.card[data-key="http.duration.GET./a"] .value'), /^p50 75 ms · p90 95 ms · p99 99.5 ms/, 'each label set its own chart')
    const jobs = await page.$eval('.card[data-key="jobs_seconds.mail"]', (c) => ({
      kind: (c as HTMLElement).dataset.kind, title: c.querySelector('h3')?.textContent, tooltip: c.querySelector('h3')?.title, value: c.querySelector('.value')?.textContent ?? ''
    }))
    t.match(jobs, { kind: 'histogram', title: 'jobs_seconds{queue="mail"}', tooltip: 'jobs_seconds{queue="mail"}: Job durations.' }, 'a HistogramVar\'s label set, named by its labels')
    t.match(jobs.value, /^p50 750 ms · p90 950 ms · p99 995 ms/, jobs.value)
  })

  t.test('the user\'s vars first; all-zero values folded behind one toggle', async (t) => {
    const order = await page.evaluate(() => {
      const keys = (selector: string): string[] => Array.from(document.querySelectorAll(selector), (c) => c).map((c) => (c as HTMLElement).dataset.key ?? '')
      const before = (a: string, b: string): boolean => Boolean((document.querySelector(a) as Element).compareDocumentPosition(document.querySelector(b) as Element) & Node.DOCUMENT_POSITION_FOLLOWING)
      return {
        user: keys('#charts .card'),
        builtin: keys('#runtime .card'),
        tree: Array.from(document.querySelectorAll('#tree > *'), (e) => e).map((e) => (e as HTMLElement).dataset.path),
        first: before('#charts', '#panels') && before('#panels', '#runtime')
      }
    })
    const builtin = /^(memstats|eventloop|http|cmdline)(\.|$)/
    t.ok(order.user.length >= 6 && order.user.every((key) => !builtin.test(key)), 'the first grid holds the user\'s vars only')
    t.ok(order.builtin.length > 10 && order.builtin.every((key) => builtin.test(key)), 'the builtins\' values after the panels')
    t.ok(order.first, 'the user\'s values come before the runtime panels and values')
    const firstBuiltin = order.tree.findIndex((path) => builtin.test(path ?? ''))
    t.ok(firstBuiltin > 0 && order.tree.slice(firstBuiltin).every((path) => builtin.test(path ?? '')), `the tree too: ${order.tree.join(', ')}`)

    const hidden = async (key: string): Promise<boolean | null> => await page.evaluate((k) => {
      const c = document.querySelector(`.card[data-key="${k}"]`) as HTMLElement | null
      return c === null ? null : c.hidden
    }, key)
    // null: never drawn; true: drawn once, then folded. Either way not on the page.
    t.not(await hidden('idle'), false, 'an all-zero var is not shown')
    t.not(await hidden('memstats.Lookups'), false, 'nor an all-zero builtin field')
    t.not(await hidden('still'), false, 'nor a counter that stood still')
    t.equal(await hidden('queue.eu'), false)
    t.equal(await hidden('ticks'), false, 'a counter that moves is shown')
    const label = await text(page, '#zeros')
    const folded = Number(/^Show (\d+) all-zero values$/.exec(label)?.[1])
    t.ok(folded >= 10, `the toggle says how many are folded: ${label}`)
    await page.click('#zeros')
    t.equal(await hidden('idle'), false, 'shown once the toggle is on')
    t.equal(await hidden('memstats.Lookups'), false)
    t.equal(await hidden('still'), false)
    t.equal(await page.$eval('.card[data-key="idle"]', (c) => (c as HTMLElement).dataset.zero), 'true')
    // The count is live: a poll between the two reads may fold or unfold a value.
    t.match(await text(page, '#zeros'), /^Hide \d+ all-zero values$/)
    await page.click('#zeros')
    t.equal(await hidden('idle'), true, 'and folded again')
  })

  t.test('time ticks read as wall-clock seconds, and no two ticks of an axis read the same', async (t) => {
    const axes = await page.$$eval('.card:not([hidden])', (cs) => cs.map((c) => ({
      key: (c as HTMLElement).dataset.key,
      x: ((c as HTMLElement).dataset.xTicks ?? '').split('|'),
      y: ((c as HTMLElement).dataset.yTicks ?? '').split('|')
    })))
    t.ok(axes.length > 30, `${axes.length} charts`)
    for (const { key, x, y } of axes) {
      if (!x.every((label) => /^\d\d:\d\d:\d\d$/.test(label)) || new Set(x).size !== x.length) t.fail(`${key}: time ticks ${x.join(', ')}`)
      if (y.some((label) => label === '') || new Set(y).size !== y.length) t.fail(`${key}: value ticks ${y.join(', ')}`)
    }
    t.pass(`${axes.length} charts' axes read`)
  })

  t.test('values update between polls, in the charts and in the tree', async (t) => {
    t.equal(await text(page, '#tree .leaf[data-path="build"] .v'), '"v1.2.3"', 'strings are in the tree')
    t.equal(await text(page, '#tree .leaf[data-path="queue.eu"] .v'), '3', 'Map keys are in the tree')
    const before = [await text(page, '.card[data-key="ticks"] .raw'), await text(page, '#tree .leaf[data-path="ticks"] .v')]
    await waitFor('the ticks value to move in the chart and in the tree', async () => {
      const now = [await text(page, '.card[data-key="ticks"] .raw'), await text(page, '#tree .leaf[data-path="ticks"] .v')]
      if (now[0] === before[0] || now[1] === before[1]) throw new Error(`the chart shows ${now[0]} (was ${before[0]}), the tree ${now[1]} (was ${before[1]})`)
      return true
    }, { every: 50 })
    t.pass('the chart\'s raw value and the tree\'s value moved')
  })

  t.test('the filter narrows charts, panels and tree', async (t) => {
    const visible = async (selector: string): Promise<string[]> =>
      await page.$$eval(selector, (es) => es.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => (e as HTMLElement).dataset.key ?? (e as HTMLElement).dataset.path ?? ''))
    const all = (await visible('.charts .card')).length
    await page.type('#filter', 'queue')
    t.same(await visible('.charts .card'), ['queue.eu', 'queue.us'])
    t.same(await visible('#panels .card'), [])
    t.same(await visible('#tree .leaf'), ['queue.eu', 'queue.us'])
    await page.$eval('#filter', (input) => { (input as HTMLInputElement).value = '' })
    await page.type('#filter', 'eventloop.p')
    t.same(await visible('.charts .card'), ['eventloop.p50', 'eventloop.p90', 'eventloop.p99'])
    t.same(await visible('#panels .card'), ['Event-loop delay'], 'a panel stays when one of its series matches')
    await page.$eval('#filter', (input) => {
      (input as HTMLInputElement).value = ''
      input.dispatchEvent(new Event('input'))
    })
    t.equal((await visible('.charts .card')).length, all, 'cleared, every chart is back')
  })

  t.test('past 120 matching values the page says how many it left out', async (t) => {
    // Enough values to pass the page's cap of 120 charts.
    const wide = app.expvar.map('wide') // sorted last: the cap leaves out the tail of it
    for (let i = 0; i < 100; i++) wide.add(`k${String(i).padStart(3, '0')}`, i + 1)
    const shown = async (): Promise<number> => await page.$$eval('.charts .card', (cs) => cs.filter((c) => !(c as HTMLElement).hidden).length)
    // The count and the charts come from the same poll, but the charts may be drawn a frame later.
    await waitFor('the page to say how many values it left out, with 120 charts drawn', async () => /more values match/.test(await text(page, '#more')) && await shown() === 120, { every: 50 })
    t.equal(await shown(), 120)
    t.match(await text(page, '#more'), /^\d+ more values match: narrow them with the filter\.$/)
    await page.type('#filter', 'wide.')
    t.equal(await shown(), 100, 'every wide.* value once the filter narrows them')
    t.equal(await page.$eval('#more', (e) => (e as HTMLElement).hidden), true)
    await page.$eval('#filter', (input) => {
      (input as HTMLInputElement).value = ''
      input.dispatchEvent(new Event('input'))
    })
    app.expvar.delete('wide')
  })

  t.test('a phone-sized window gets one column and no sideways scrolling', async (t) => {
    await page.setViewport({ width: 390, height: 844 })
    await waitForDocumentRequests(2) // laid out and drawn again at the new width
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
    t.equal(urls.length, 8, 'the page, five assets, the document and the metadata')
    for (const url of urls) {
      t.equal((await fetch(url)).status, 401, `${url} without credentials`)
      t.equal((await fetch(url, { headers: { authorization: AUTH } })).status, 200, `${url} with them`)
    }
  })
})

tap.test('the page survives any document the route can serve: counts past 2^53, huge, tiny and odd values', {
  skip: !hasChromium() && !CI ? CHROMIUM_MISSING : false
}, async (t) => {
  if (!hasChromium()) {
    t.fail(CHROMIUM_MISSING)
    return
  }
  const polls = { answered: 0 }
  const app = Fastify()
  await app.register(expvar, {
    ui: true,
    route: {
      logLevel: 'silent',
      onRequest: async (request) => { if (request.routeOptions.url === '/debug/vars') polls.answered++ }
    }
  })
  let n = 0
  const ring = (value: (i: number) => unknown): unknown[] => Array.from({ length: 256 }, (_, i) => value(i))
  // Merged into the builtin's object (later registration wins a clash): a GC count no double holds
  // exactly, with a ring of pauses that ended far in the future, in the past, or are not numbers.
  app.expvar.register('memstats', () => ({
    NumGC: 2 ** 53 + 2 * ++n,
    PauseNs: ring((i) => (i % 3 === 0 ? 2 ** 60 : i % 3 === 1 ? -5 : 'x')),
    PauseEnd: ring((i) => (i % 2 === 0 ? 1e30 : 1)),
    HeapSys: 1e300,
    Sys: -5
  }))
  // A gauge past 2^53 that moves by less than a double's spacing there would stall uPlot's tick loop.
  app.expvar.register('precise', () => 2 ** 56 + (n % 2) * 64)
  app.expvar.register('extremes', () => (n % 2 === 0 ? Number.MAX_VALUE : -Number.MAX_VALUE), { type: 'counter' })
  app.expvar.register('tiny', () => 5e-324)
  app.expvar.register('hist_only_inf', () => ({ count: n, sum: null, buckets: { '+Inf': n } }))
  app.expvar.register('hist_not_cumulative', () => ({ count: 5 * n, sum: n, buckets: { 1: 9 * n, 0.5: 2 * n, '+Inf': 5 * n } }))
  let deep: Record<string, unknown> = { leaf: 1 }
  for (let i = 0; i < 200; i++) deep = { down: deep }
  app.expvar.register('deep', () => deep)
  app.expvar.map('odd').add('__proto__', 1)
  const { origin, page } = await openPage(t, app)
  const pageErrors: string[] = []
  page.on('pageerror', (err) => { pageErrors.push(String(err)) })
  t.equal((await page.goto(`${origin}/debug/vars/ui`, { waitUntil: 'load' }))?.status(), 200)
  await page.select('#interval', String(POLL_MS))
  await waitFor('6 polls answered', () => polls.answered >= 6, { every: 50 })

  // The page still runs its script: it answers, and the status moves with every poll.
  const status = await text(page, '#status')
  t.match(status, /^updated /)
  await page.waitForFunction((before) => document.querySelector('#status')?.textContent !== before, {}, status)
  t.equal(await page.evaluate(() => 6 * 7), 42, 'the page responds')
  t.same(pageErrors, [], 'no page errors')
  t.match(await text(page, '#banner'), '', 'no failed poll')

  t.match(await text(page, '#panels .card[data-key="GC pauses"] .value'), /^9,007,199,254,74\d,\d{3} GCs, [\d.,]+ ms paused in total$/)
  t.match(await text(page, '#panels .card[data-key="Memory"] .value'), /^HeapAlloc [\d.]+ MiB · HeapInuse [\d.]+ MiB · HeapSys [\d,]+ EiB · Sys \(RSS\) -5 B$/,
    'the memory panel shows a heap of 1e300 bytes and a negative size as they are')
  t.ok(await seriesPixels(page, '.card[data-key="precise"] canvas') > 20, 'a value past 2^53 is drawn')
  const ticks = await page.$eval('.card[data-key="precise"]', (c) => ((c as HTMLElement).dataset.yTicks ?? '').split('|'))
  t.ok(ticks.length >= 1 && new Set(ticks).size === ticks.length, `its ticks are told apart: ${ticks.join(', ')}`)
  t.ok(await page.$('.card[data-key="extremes"]'), 'a rate past the largest double has a card')
  t.ok(await page.$('.card[data-key="tiny"]'), 'the smallest double has a card')
  t.match(await text(page, '.card[data-key="hist_only_inf"] .value'), /^p50 – · p90 – · p99 –/, 'a histogram with only +Inf has no quantile to estimate')
  t.match(await text(page, '.card[data-key="hist_not_cumulative"] .value'), /^p50 [\d.]+ · p90 [\d.]+ · p99 [\d.]+/, 'counts that are not cumulative are read as if they were')
  t.match(await text(page, '#tree .leaf[data-path="odd.__proto__"] .v'), '1', 'a __proto__ key is a key')
  t.ok(await page.$('#tree details[data-path^="deep.down.down"]'), 'a deep value is in the tree')
  t.ok(await page.$$eval('#tree .leaf', (rows) => rows.some((r) => r.lastChild?.textContent === '{…}')), 'and summed up past the depth the tree shows')
})
