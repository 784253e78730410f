/**
 * @module charts/render-worker
 * The piscina worker entry: one render per task. Loaded as TypeScript under tsx in development and tests, and as
 * compiled JavaScript from dist/ in production (render-pool.ts picks the file next to itself).
 */
import { renderChart, type RenderOutcome, type RenderTask } from './render.js'

export default async function renderInWorker (task: RenderTask): Promise<RenderOutcome> {
  return await renderChart(task)
}
