/**
 * @module bench/lib/render-loop
 * Renders the five-film chart (a new title each time, as the render sessions ask) in this process, one after another,
 * until killed. bench/tools.ts runs it under SCHED_IDLE outside livegate for the "render loops outside livegate" row:
 * what renders at idle priority cost the relay on shared cores (caches, memory bandwidth, preemption) with none of
 * livegate's own work for them.
 */
import { renderChart } from '../../src/charts/render.js'
import { themeConfig } from '../../src/charts/themes.js'
import { renderArgs } from './render-script.js'

for (let n = 0; ; n++) {
  const { altair_json: specJson } = renderArgs(`loop-${process.pid}-${n}`) as { altair_json: string }
  const outcome = await renderChart({ kind: 'vega-lite', specJson, themeConfig: themeConfig('default'), format: 'png', scale: 1, maxRows: 1e6, maxPixels: 1e8, urlAllowlist: [] })
  if (!outcome.ok) throw new Error(outcome.detail)
  // A macrotask between renders, as a worker has between tasks.
  await new Promise((resolve) => setImmediate(resolve))
}
