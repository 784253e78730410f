/**
 * What a person does on the page, as test steps: fill the connect form, type and press Enter, wait for what they
 * would see. Selectors go through labels and roles where a person would, so the tests also check those exist.
 */
import type { Locator, Page } from 'playwright-core'

export interface ConnectOptions {
  token?: string
  model?: string
  modality?: 'TEXT' | 'AUDIO'
  voice?: string
}

/** Longest wait for something the page should show: a limit, not an assertion on speed (CI machines get busy). */
export const UI_TIMEOUT_MS = 120_000

/** Fill the connect form and press Connect; what is not given keeps the page's default (or remembered) value. */
export async function connect (page: Page, { token = '', model, modality, voice }: ConnectOptions = {}): Promise<void> {
  await page.getByLabel('livegate token').fill(token)
  if (model !== undefined) await page.getByLabel('Model').fill(model)
  if (modality !== undefined) await page.getByRole('radio', { name: modality === 'AUDIO' ? 'Audio' : 'Text' }).check()
  if (voice !== undefined) await page.getByLabel('Voice').selectOption(voice)
  await page.getByRole('button', { name: /^(Connect|Reconnect with these settings)$/ }).click()
}

export async function waitReady (page: Page): Promise<void> {
  await page.locator('#status[data-state="ready"]').waitFor({ timeout: UI_TIMEOUT_MS })
}

/** Type a prompt into the message box and press Enter, as a person would. */
export async function say (page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true })
  await box.fill(text)
  await box.press('Enter')
}

export function modelTurns (page: Page): Locator {
  return page.locator('#conversation li.turn.model')
}

/** Wait for the n-th (1-based) model turn to complete and return its visible text. */
export async function modelTurnText (page: Page, n: number): Promise<string> {
  const turn = modelTurns(page).nth(n - 1)
  await turn.and(page.locator('[data-state="complete"], [data-state="interrupted"]')).waitFor({ timeout: UI_TIMEOUT_MS })
  return await turn.innerText()
}

/** Say something and wait for the model's answering turn to complete; returns its visible text. */
export async function ask (page: Page, text: string): Promise<string> {
  const before = await modelTurns(page).count()
  await say(page, text)
  return await modelTurnText(page, before + 1)
}

/** The parts of an HTMLImageElement the tests read (the type checker runs without the DOM library). */
interface ImageLike { complete: boolean, naturalWidth: number, naturalHeight: number, currentSrc: string, alt: string }

/** The figure of the first tool run with this name, once its image has loaded and has pixels. */
export async function loadedToolImage (page: Page, name: string): Promise<{ src: string, naturalWidth: number, naturalHeight: number, alt: string }> {
  const img = page.locator(`figure.tool-run[data-name="${name}"] img`).first()
  await img.waitFor({ timeout: UI_TIMEOUT_MS })
  await page.waitForFunction((el) => { const i = el as unknown as ImageLike; return i.complete && i.naturalWidth > 0 },
    await img.elementHandle(), { timeout: UI_TIMEOUT_MS })
  return await img.evaluate((el) => { const i = el as unknown as ImageLike; return { src: i.currentSrc, naturalWidth: i.naturalWidth, naturalHeight: i.naturalHeight, alt: i.alt } })
}

export interface PlaybackStats {
  chunksQueued: number
  samplesQueued: number
  sampleRate: number
  pending: number
  bufferedSeconds: number
  interruptions: number
}

/** `window.livegate`, as public/app.js exposes it. */
export interface PageGlobals {
  livegate: {
    state: string
    playback: PlaybackStats
    mic: { active: boolean, contextRate: number, outputRate: number, chunksSent: number, samplesSent: number }
    marks: Array<{ name: string, t: number } & Record<string, unknown>>
  }
}

export async function playback (page: Page): Promise<PlaybackStats> {
  return await page.evaluate(() => {
    const s = (globalThis as unknown as PageGlobals).livegate.playback
    return { chunksQueued: s.chunksQueued, samplesQueued: s.samplesQueued, sampleRate: s.sampleRate, pending: s.pending, bufferedSeconds: s.bufferedSeconds, interruptions: s.interruptions }
  })
}
