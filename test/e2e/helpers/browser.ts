/**
 * Debian's Chromium driven by playwright-core, with the flags that work as root and offline (reference
 * clients.md) and a fake microphone that plays a WAV file. Playwright gives every launch a fresh profile.
 */
import { existsSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'
import { UI_TIMEOUT_MS } from './page-driver.js'

export const CHROMIUM_PATH = process.env.LIVEGATE_CHROMIUM_PATH ?? '/usr/bin/chromium'

export const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
] as const

/** Why a test cannot run here, or undefined when Chromium is installed (`.ci/run` installs it). */
export function chromiumMissing (): string | undefined {
  return existsSync(CHROMIUM_PATH) ? undefined : `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`
}

interface Teardown { teardown (fn: () => Promise<void> | void): void }

export interface LaunchOptions {
  /** A WAV the fake microphone plays in a loop. */
  fakeMicWav?: string
}

export async function launchChromium (t: Teardown, options: LaunchOptions = {}): Promise<Browser> {
  const args: string[] = [...CHROMIUM_FLAGS]
  if (options.fakeMicWav !== undefined) {
    args.push('--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${options.fakeMicWav}`)
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args })
  t.teardown(() => browser.close())
  return browser
}

export interface OpenedPage {
  page: Page
  /** Uncaught exceptions and console errors the page produced: a working page has none. */
  errors: string[]
}

/** A new context (own storage) and page at the gateway's `/`. */
export async function openClient (browser: Browser, baseUrl: string, viewport = { width: 1100, height: 900 }): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport })
  // Clicks and fills wait as long as the page-level waits do: on a saturated CI machine 30 s is not always enough.
  context.setDefaultTimeout(UI_TIMEOUT_MS)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`))
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`console: ${msg.text()}`) })
  await page.goto(`${baseUrl}/`)
  return { page, errors }
}
