/**
 * The page for people who use a keyboard, a screen reader or a phone: every control has an accessible name,
 * the whole flow works from the keyboard with a visible focus ring, the conversation is a live region, nothing
 * scrolls sideways at phone width, and a chart arriving does not push the conversation around when it loads.
 */
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import type { Page } from 'playwright-core'
import { CLIENT_TOKEN } from '../helpers/gateway.js'
import { startE2eGateway as startGateway } from './helpers/e2e-gateway.js'
import { SEED_PROMPTS } from '../../src/simulator/seed.js'
import { chromiumMissing, launchChromium, openClient } from './helpers/browser.js'
import { ask, connect, loadedToolImage, waitReady, UI_TIMEOUT_MS } from './helpers/page-driver.js'

t.setTimeout(900_000)
const missing = chromiumMissing()
if (missing !== undefined) t.fail(missing)

const TEXT_MODEL = 'gemini-3.1-flash-live-preview'
const ARTIFACTS_DIR = path.resolve(import.meta.dirname, '../../test-artifacts')
const PHONE = { width: 360, height: 740 }
const browser = await launchChromium(t)

interface AxNode { role?: { value?: string }, name?: { value?: string }, ignored?: boolean }

/** Chromium's own accessibility tree: the names a screen reader would announce. */
async function accessibleControls (page: Page): Promise<Array<{ role: string, name: string }>> {
  const cdp = await page.context().newCDPSession(page)
  const { nodes } = await cdp.send('Accessibility.getFullAXTree') as { nodes: AxNode[] }
  await cdp.detach()
  const interactive = new Set(['textbox', 'combobox', 'button', 'radio', 'checkbox', 'link', 'ListBox'.toLowerCase()])
  return nodes
    .filter((n) => n.ignored !== true && interactive.has(n.role?.value ?? ''))
    .map((n) => ({ role: n.role?.value ?? '', name: (n.name?.value ?? '').trim() }))
}

/** What has focus, and whether a focus ring is drawn around it. */
async function focused (page: Page): Promise<{ id: string, tag: string, ring: boolean }> {
  return await page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { activeElement: { id: string, tagName: string } | null } }).document
    const el = doc.activeElement
    const style = el === null ? undefined : (globalThis as unknown as { getComputedStyle (e: unknown): { outlineStyle: string, outlineWidth: string } }).getComputedStyle(el)
    return { id: el?.id ?? '', tag: el?.tagName ?? '', ring: style !== undefined && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2 }
  })
}

async function horizontalOverflow (page: Page): Promise<number> {
  return await page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { documentElement: { scrollWidth: number, clientWidth: number } } }).document
    return doc.documentElement.scrollWidth - doc.documentElement.clientWidth
  })
}

t.test('every control has an accessible name, and the conversation and status are live regions', async (t) => {
  const gw = await startGateway(t)
  const { page } = await openClient(browser, gw.httpUrl)
  const controls = await accessibleControls(page)
  t.ok(controls.length >= 9, `found ${controls.length} controls`)
  for (const c of controls) t.not(c.name, '', `${c.role} has a name`)
  const names = controls.map((c) => c.name)
  for (const expected of ['livegate token', 'Model', 'Text', 'Audio', 'Voice', 'Connect', 'Disconnect', 'Message', 'Send', 'Start microphone']) {
    t.ok(names.some((n) => n.startsWith(expected)), `a control is named "${expected}"`)
  }
  t.equal(await page.locator('#conversation').getAttribute('role'), 'log')
  t.equal(await page.locator('#conversation').getAttribute('aria-live'), 'polite')
  t.equal(await page.locator('#status').getAttribute('role'), 'status')
})

t.test('the whole flow works from the keyboard, with a visible focus ring', async (t) => {
  const gw = await startGateway(t)
  const { page, errors } = await openClient(browser, gw.httpUrl)
  await page.keyboard.press('Tab')
  t.match(await focused(page), { tag: 'A', ring: true }, 'first stop: the skip link')
  await page.keyboard.press('Tab')
  t.match(await focused(page), { tag: 'SUMMARY', ring: true }, 'then the connection settings, which fold on Enter')
  await page.keyboard.press('Tab')
  t.match(await focused(page), { id: 'token', ring: true }, 'then the token field')
  await page.keyboard.type(CLIENT_TOKEN)
  await page.keyboard.press('Tab')
  t.match(await focused(page), { id: 'model', ring: true })
  await page.keyboard.press('Control+A')
  await page.keyboard.type(TEXT_MODEL)
  await page.keyboard.press('Enter') // submits the connect form
  await waitReady(page)
  t.match(await focused(page), { id: 'message', ring: true }, 'once connected, focus moves on to the message box')
  await page.keyboard.press('Shift+Tab')
  await page.keyboard.press('Tab')
  t.match(await focused(page), { id: 'message', ring: true }, 'and Tab reaches it')
  await page.keyboard.type(SEED_PROMPTS.films)
  await page.keyboard.press('Enter')
  await page.locator('#conversation li.turn.model[data-state="complete"]').waitFor({ timeout: UI_TIMEOUT_MS })
  t.match(await page.locator('#conversation li.turn.model').innerText(), /Dune/)
  await page.keyboard.press('Shift+Tab')
  t.match(await focused(page), { id: 'conversation-box', ring: true }, 'the conversation can be focused and scrolled from the keyboard')
  t.same(errors, [])
})

t.test('at phone width nothing scrolls sideways, and the chart does not move the page when it loads', async (t) => {
  const gw = await startGateway(t)
  const { page, errors } = await openClient(browser, gw.httpUrl, PHONE)
  t.equal(await horizontalOverflow(page), 0, 'no sideways scroll on the empty page')
  await connect(page, { token: CLIENT_TOKEN, model: TEXT_MODEL, modality: 'TEXT' })
  await waitReady(page)
  t.equal(await page.locator('#settings').getAttribute('open'), null, 'the settings fold away once connected')
  const composer = await page.getByLabel('Message', { exact: true }).boundingBox()
  t.ok(composer !== null && composer.y + composer.height <= PHONE.height, 'the message box is on screen without scrolling')
  t.match(await focused(page), { id: 'message' }, 'focus moved on to the message box')
  await ask(page, SEED_PROMPTS.films)

  // Hold the image response, so the box can be measured before a byte of the PNG arrives.
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => { release = resolve })
  await page.route('**/v1/artifacts/**', async (route) => { await held; await route.continue() })
  await ask(page, SEED_PROMPTS.plot)
  const figure = page.locator('figure.tool-run[data-name="render_altair"]').first()
  t.equal(await figure.getAttribute('data-status'), 'ok', 'the chart was drawn')
  const img = figure.locator('img')
  const before = await img.boundingBox()
  const naturalAspect = Number(await img.getAttribute('width')) / Number(await img.getAttribute('height'))
  release()
  const loaded = await loadedToolImage(page, 'render_altair')
  const after = await img.boundingBox()
  t.ok(before !== null && before.height > 50, `the box is reserved before the image arrives (${before?.width}x${before?.height})`)
  t.ok(before !== null && after !== null && Math.abs(before.height - after.height) < 1 && Math.abs(before.width - after.width) < 1,
    `same box before and after loading (${before?.width}x${before?.height} → ${after?.width}x${after?.height})`)
  t.ok(Math.abs(loaded.naturalWidth / loaded.naturalHeight - naturalAspect) < 0.02, 'reserved with the image\'s own aspect ratio')
  t.ok(after !== null && after.width <= PHONE.width, 'the chart is scaled to the screen')
  t.equal(await horizontalOverflow(page), 0, 'still no sideways scroll with a chart in the conversation')
  await mkdir(ARTIFACTS_DIR, { recursive: true })
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'web-client-phone.png') })
  t.same(errors, [])
})
