/**
 * @module charts/render-worker
 * The piscina worker entry: one render per task. Loaded as TypeScript under tsx in development and tests, and as
 * compiled JavaScript from dist/ in production (render-pool.ts picks the file next to itself).
 */
import os from 'node:os'
import { workerData } from 'piscina'
import { renderChart, type RenderOutcome, type RenderTask } from './render.js'

// On Linux niceness is per thread and this sets only the calling (worker) thread's, so the relay's main thread wins
// the cores while renders run: bench/RESULTS.md "Tools" measured relay p99 +684 % over idle at nice 0, +21 % at 19.
const nice = (workerData as { nice?: unknown } | undefined)?.nice
if (typeof nice === 'number' && nice > 0) {
  try { os.setPriority(nice) } catch { /* not permitted here: keep the default priority */ }
}

export interface PoolTask {
  task: RenderTask
  /** Shared with the pool: the worker writes ms since `submittedAt` (at least 1) when it starts the render. */
  started: Int32Array
  submittedAt: number
}

export default async function renderInWorker ({ task, started, submittedAt }: PoolTask): Promise<RenderOutcome> {
  Atomics.store(started, 0, Math.max(1, Date.now() - submittedAt))
  return await renderChart(task)
}
