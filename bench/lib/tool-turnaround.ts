/**
 * @module bench/lib/tool-turnaround
 * The tool turnaround of issue 4, measured at the model's side: the simulator, livegate (`buildApp`, default config,
 * an fs store in a fresh temp dir) and one client in this process, one `render_altair` call at a time. The script's
 * `onTurnaround` (render-script.ts) times `toolCall` sent → `toolResponse` read. Cold calls carry a new chart title
 * each; the baseline is `app.livegate.charts.create()` on the same app with fresh titles, interleaved with them;
 * warm calls repeat the seed's arguments (a cache hit), interleaved with the same cache hit through `charts.create`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { startSimulator } from '../../src/simulator/index.js'
import { closeSessions, liveUrl, openSession, textSetup } from './live-client.js'
import { renderArgs, renderScript, type Turnaround } from './render-script.js'
import { textTurn } from './render-sessions.js'
import { ms, summarize, type Summary } from './stats.js'
import { CLIENT_TOKEN, SERVER_KEY } from './targets.js'

export interface TurnaroundResult { cold: Summary, render: Summary, warm: Summary, warmDirect: Summary }

export async function measureTurnaround (options: { coldRuns: number, warmRuns: number }): Promise<TurnaroundResult> {
  const runId = Date.now().toString(36)
  let pending: ((t: Turnaround) => void) | undefined
  const simulator = await startSimulator({ host: '127.0.0.1', port: 0, chunkDelayMs: 0, script: renderScript((t) => { pending?.(t) }) })
  const storeDir = mkdtempSync(join(os.tmpdir(), 'livegate-bench-tools-'))
  const app = await buildApp(loadConfig({
    GEMINI_API_KEY: SERVER_KEY,
    LIVEGATE_UPSTREAM_URL: simulator.url,
    LIVEGATE_CLIENT_TOKENS: CLIENT_TOKEN,
    LIVEGATE_STORE: `fs:${storeDir}`,
  }), { logStream: { write () {} } })
  try {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    const ws = await openSession(liveUrl(`http://127.0.0.1:${port}`, CLIENT_TOKEN), textSetup())
    const charts = app.livegate.charts

    async function toolTurn (tag: string): Promise<number> {
      const measured = new Promise<Turnaround>((resolve) => { pending = resolve })
      await textTurn(ws, `render ${tag}`)
      const t = await measured
      pending = undefined
      if (!('image' in t.response)) throw new Error(`render_altair answered ${JSON.stringify(t.response).slice(0, 300)}`)
      return t.ms
    }
    async function directRender (tag: string): Promise<{ ms: number, cached: boolean }> {
      const { altair_json: spec, theme } = renderArgs(tag) as { altair_json: string, theme: string }
      const started = performance.now()
      const chart = await charts.create({ spec, theme, format: 'png' })
      return { ms: performance.now() - started, cached: chart.cached }
    }

    // Start the render workers and warm both paths before timing anything.
    for (let i = 0; i < 4; i++) await directRender(`${runId}-prime-${i}`)
    for (let i = 0; i < 4; i++) await toolTurn(`${runId}-prime-tool-${i}`)

    const cold: number[] = []
    const render: number[] = []
    for (let i = 0; i < options.coldRuns; i++) {
      const direct = await directRender(`${runId}-direct-${i}`)
      if (direct.cached) throw new Error('the baseline render was a cache hit')
      render.push(direct.ms)
      cold.push(await toolTurn(`${runId}-cold-${i}`))
    }
    await toolTurn('seed')
    const warm: number[] = []
    const warmDirect: number[] = []
    for (let i = 0; i < options.warmRuns; i++) {
      warm.push(await toolTurn('seed'))
      const direct = await directRender('seed')
      if (!direct.cached) throw new Error('the warm baseline rendered')
      warmDirect.push(direct.ms)
    }
    await closeSessions([ws])
    process.stderr.write(`tools: cold p50 ${ms(summarize(cold).p50)} ms, render p50 ${ms(summarize(render).p50)} ms, ` +
      `warm p50 ${ms(summarize(warm).p50)} ms\n`)
    return { cold: summarize(cold), render: summarize(render), warm: summarize(warm), warmDirect: summarize(warmDirect) }
  } finally {
    await app.close()
    await simulator.close()
    rmSync(storeDir, { recursive: true, force: true })
  }
}
