/**
 * @module bench/web
 * Issue 6's measure: time from pressing Enter on the seed's "plot them" turn to the chart image painted in real
 * Chromium (the page's `enter` mark to its `image-painted` mark: decoded and through the next animation frame),
 * through a real gateway with its built-in simulator, exactly as `npm start` runs offline. Three cases per round,
 * each on a fresh gateway (memory store, one render thread) and a fresh browser context:
 *
 * - cold start: the first chart the gateway ever draws (worker thread and Vega loaded on demand, nothing cached);
 * - cold cache: a chart not drawn before (the seed chart in another theme), with the worker already warm;
 * - warm cache: "plot them" again: the artifact store answers, the browser already holds the PNG.
 *
 * The tool's own run time from the event frame (`durationMs`) is reported next to each, so the rest (simulator,
 * relay, event, fetch, decode, paint) is visible. Writes the "Web client" section of bench/RESULTS.md.
 *
 *   node --import tsx bench/web.ts [--rounds 3] [--no-write]
 */
import os from 'node:os'
import { parseArgs } from 'node:util'
import type { Browser, Page } from 'playwright-core'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { SEED_PROMPTS } from '../src/simulator/seed.js'
import { chromiumMissing, launchChromium } from '../test/e2e/helpers/browser.js'
import { machineLine } from './lib/proc-stats.js'
import { writeSection } from './lib/results-md.js'
import { fixed, summarize, table } from './lib/stats.js'

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, 'no-write': { type: 'boolean', default: false } } })
const ROUNDS = Number(args.rounds)
const COLD_THEMES = ['ggplot2', 'dark', 'opaque'] as const
const WARM_REPEATS = 3
const WAIT_MS = 120_000

interface Mark { name: string, t: number, id?: string, status?: string, durationMs?: number }
interface Sample { enterToPaintMs: number, toolMs: number }
type Case = 'cold start' | 'cold cache' | 'warm cache'

async function startGateway (): Promise<{ url: string, close: () => Promise<void> }> {
  // Timeouts raised so a slow cold start on a busy machine is measured rather than cut off.
  const app = await buildApp(loadConfig({
    LIVEGATE_STORE: 'memory',
    LIVEGATE_RENDER_THREADS: '1',
    LIVEGATE_LOG_LEVEL: 'warn',
    LIVEGATE_RENDER_TIMEOUT_MS: '120000',
    LIVEGATE_TOOL_TIMEOUT_MS: '120000',
  }))
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return { url: `http://127.0.0.1:${port}`, close: async () => { await app.close() } }
}

async function marks (page: Page): Promise<Mark[]> {
  return await page.evaluate(() => (globalThis as unknown as { livegate: { marks: Mark[] } }).livegate.marks.map((m) => ({ ...m })))
}

/** Press Enter on a prompt and wait for the chart it brings to be painted. */
async function timeTurn (page: Page, prompt: string): Promise<Sample> {
  const box = page.getByLabel('Message', { exact: true })
  await box.fill(prompt)
  const enters = (await marks(page)).filter((m) => m.name === 'enter').length
  await box.press('Enter')
  await page.waitForFunction((n) => {
    const all = (globalThis as unknown as { livegate: { marks: Mark[] } }).livegate.marks
    const enter = all.filter((m) => m.name === 'enter')[n]
    return enter !== undefined && all.some((m) => m.t > enter.t && (m.name === 'image-painted' || (m.name === 'tool-run' && m.status !== 'ok')))
  }, enters, { timeout: WAIT_MS })
  const all = await marks(page)
  const enter = all.filter((m) => m.name === 'enter')[enters] as Mark
  const failed = all.find((m) => m.t > enter.t && m.name === 'tool-run' && m.status !== 'ok')
  if (failed !== undefined) {
    const why = await page.locator(`figure.tool-run[data-id="${failed.id ?? ''}"] .tool-error`).innerText().catch(() => '')
    throw new Error(`the tool run failed (${String(failed.status)}: ${why}): "${prompt}" drew no chart`)
  }
  const painted = all.find((m) => m.name === 'image-painted' && m.t > enter.t) as Mark
  const run = all.find((m) => m.name === 'tool-run' && m.id === painted.id)
  const toolMs = typeof run?.durationMs === 'number' ? run.durationMs : NaN
  // Let the model finish its turn before the next prompt, so no turn is cut short.
  await page.locator('#conversation li.turn.model').last().and(page.locator('[data-state="complete"]')).waitFor({ timeout: WAIT_MS })
  return { enterToPaintMs: painted.t - enter.t, toolMs }
}

async function round (browser: Browser, samples: Record<Case, Sample[]>): Promise<void> {
  const gw = await startGateway()
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    await page.goto(`${gw.url}/`)
    await page.getByLabel('Model').fill('gemini-3.1-flash-live-preview')
    // Text replies, as before the page defaulted to the audio-only GA model: the timings are of text turns.
    await page.getByRole('radio', { name: 'Text' }).check()
    await page.getByRole('button', { name: 'Connect', exact: true }).click()
    await page.locator('#status[data-state="ready"]').waitFor({ timeout: WAIT_MS })
    const box = page.getByLabel('Message', { exact: true })
    await box.fill(SEED_PROMPTS.films)
    await box.press('Enter')
    await page.locator('#conversation li.turn.model[data-state="complete"]').waitFor({ timeout: WAIT_MS })
    samples['cold start'].push(await timeTurn(page, SEED_PROMPTS.plot))
    for (const theme of COLD_THEMES) samples['cold cache'].push(await timeTurn(page, `Can you change it to the ${theme} theme?`))
    for (let i = 0; i < WARM_REPEATS; i++) samples['warm cache'].push(await timeTurn(page, SEED_PROMPTS.plot))
  } finally {
    await context.close()
    await gw.close()
  }
}

const missing = chromiumMissing()
if (missing !== undefined) throw new Error(missing)
const cleanups: Array<() => Promise<void> | void> = []
const browser = await launchChromium({ teardown: (fn) => { cleanups.push(fn) } })
const samples: Record<Case, Sample[]> = { 'cold start': [], 'cold cache': [], 'warm cache': [] }
const loadBefore = os.loadavg()[0] ?? NaN
try {
  for (let i = 0; i < ROUNDS; i++) {
    await round(browser, samples)
    console.log(`round ${i + 1}/${ROUNDS}:`, Object.entries(samples).map(([k, v]) => `${k} ${fixed(v.at(-1)?.enterToPaintMs ?? NaN, 1)} ms`).join(', '))
  }
} finally {
  for (const fn of cleanups) await fn()
}

const rows = (Object.entries(samples) as Array<[Case, Sample[]]>).map(([name, list]) => {
  const total = summarize(list.map((s) => s.enterToPaintMs))
  const tool = summarize(list.map((s) => s.toolMs))
  return [name, String(total.n), fixed(total.p50, 1), fixed(total.max, 1), fixed(tool.p50, 1), fixed(total.p50 - tool.p50, 1)]
})
const body = [
  'Time from pressing Enter on the seed\'s "plot them" turn to the chart painted in Chromium (bench/web.ts).',
  '',
  table(['case', 'n', 'Enter → painted p50 (ms)', 'max (ms)', 'tool run p50 (ms)', 'rest p50 (ms)'], rows),
  '',
  `Machine: ${machineLine()}; Chromium ${browser.version()} headless.`,
  `Method: \`node --import tsx bench/web.ts --rounds ${ROUNDS}\`. Each round starts a fresh gateway (\`npm start\`'s offline setup: ` +
    'built-in simulator, memory store, one render thread; render and tool timeouts raised to 120 s so a slow cold start is measured, not cut off) and a fresh browser context; "cold start" is the first chart of ' +
    `the gateway, "cold cache" the same chart in the ${COLD_THEMES.join(', ')} themes (not yet rendered, worker warm), "warm cache" ` +
    '"plot them" again (artifact-store hit; the browser reuses the immutable PNG). "Tool run" is the event frame\'s `durationMs`; ' +
    '"rest" is everything else: the simulator\'s scripted turn and its 20 ms pacing, relay, event frame, image fetch, decode and paint.',
  `Caveat: one machine shared with other work (1-minute load average ${fixed(loadBefore, 1)} before the run, ${fixed(os.loadavg()[0] ?? NaN, 1)} after, ` +
    `on ${os.availableParallelism()} cores); the simulator, gateway, render worker and browser share those cores, so cold numbers above all swing with the load.`,
].join('\n')
console.log(body)
if (!args['no-write']) writeSection('Web client', body)
