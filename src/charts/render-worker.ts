/**
 * @module charts/render-worker
 * The piscina worker entry: one render per task. Loaded as TypeScript under tsx in development and tests, and as
 * compiled JavaScript from dist/ in production (render-pool.ts picks the file next to itself).
 */
import { renderChart, type RenderOutcome, type RenderTask } from './render.js'

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
