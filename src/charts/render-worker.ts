/**
 * @module charts/render-worker
 * The piscina worker entry: one render per task. Loaded as TypeScript under tsx in development and tests, and as
 * compiled JavaScript from dist/ in production (render-pool.ts picks the file next to itself).
 */
import { workerData } from 'piscina'
import { lowerThisThread } from '../workers/priority.js'
import { markStarted } from '../workers/start-deadline.js'
import { renderChart, type RenderOutcome, type RenderTask } from './render.js'

lowerThisThread((workerData as { nice?: unknown } | undefined)?.nice)

export interface PoolTask {
  task: RenderTask
  /** Shared with the pool: the worker writes ms since `submittedAt` (at least 1) when it starts the render. */
  started: Int32Array
  submittedAt: number
}

export default async function renderInWorker ({ task, started, submittedAt }: PoolTask): Promise<RenderOutcome> {
  markStarted(started, submittedAt)
  return await renderChart(task)
}
