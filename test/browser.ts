// Test helper: Debian's chromium driven by puppeteer-core, headless, with a profile of its own.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import puppeteer, { type Browser } from 'puppeteer-core'

export const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_MISSING = 'chromium not found: apt-get install -y --no-install-recommends chromium'

export function hasChromium (): boolean {
  return existsSync(CHROMIUM)
}

/** A headless chromium that talks to nothing but the pages it is sent to; close() removes its profile. */
export async function launchChromium (): Promise<{ browser: Browser, close: () => Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'fastify-expvar-chromium-'))
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 20_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`]
  })
  return {
    browser,
    close: async () => {
      await browser.close()
      await rm(profile, { recursive: true, force: true })
    }
  }
}
