/**
 * @module maps/pool
 * A small piscina pool for map work, so geocoding and drawing never run on the relay's event loop. The worker is
 * `render-worker.ts` under tsx (dev, tests) or `render-worker.js` next to this file in dist/.
 */
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import { LivegateError } from '../errors.js'
import type { Place } from './geocode.js'
import type { RenderOutput, RenderTask } from './render-worker.js'

export interface MapPoolOptions {
  /** Worker threads (maps are light; two keep one busy map from blocking the next). */
  readonly threads: number
  /** Tasks waiting for a worker before callers get LG_ERR_RENDER_BUSY. */
  readonly queue: number
  readonly heapMb: number
}

export interface MapPool {
  geocode (queries: readonly string[], signal?: AbortSignal): Promise<Array<Place | null>>
  render (task: RenderTask, signal?: AbortSignal): Promise<RenderOutput>
  close (): Promise<void>
}

/**
 * The worker beside this module: `render-worker.js` when compiled to dist/; under tsx (dev, tests) a small .mjs
 * bootstrap that registers tsx inside the worker, because Node 20 does not apply `--import tsx` to worker threads.
 */
export function workerFile (): string {
  const isTs = import.meta.url.endsWith('.ts')
  return fileURLToPath(new URL(isTs ? './render-worker-tsx.mjs' : './render-worker.js', import.meta.url))
}

function translate (err: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted === true || (err as Error | undefined)?.name === 'AbortError') {
    return new LivegateError('LG_ERR_MAP_ABORTED', 'the map was cancelled before it was drawn')
  }
  if ((err as Error | undefined)?.message === 'Task queue is at limit') {
    return new LivegateError('LG_ERR_RENDER_BUSY', 'all map workers are busy; retry shortly', { retryAfterSeconds: 1 })
  }
  return err
}

export function createMapPool (options: MapPoolOptions): MapPool {
  const piscina = new Piscina({
    filename: workerFile(),
    minThreads: 0,
    maxThreads: options.threads,
    maxQueue: options.queue,
    idleTimeout: 60_000,
    resourceLimits: { maxOldGenerationSizeMb: options.heapMb },
  })
  const run = async <T> (name: string, task: unknown, signal: AbortSignal | undefined): Promise<T> => {
    if (signal?.aborted === true) throw translate(undefined, signal)
    try {
      return await piscina.run(task, { name, ...(signal === undefined ? {} : { signal }) }) as T
    } catch (err) {
      throw translate(err, signal)
    }
  }
  return {
    async geocode (queries, signal) { return await run('geocode', queries, signal) },
    async render (task, signal) { return await run('render', task, signal) },
    async close () { await piscina.destroy() },
  }
}
