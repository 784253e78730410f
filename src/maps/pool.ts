/**
 * @module maps/pool
 * A small piscina pool for map work, so geocoding and drawing never run on the relay's event loop. The worker is
 * `render-worker.ts` under tsx (dev, tests) or `render-worker.js` next to this file in dist/.
 */
import { Piscina } from 'piscina'
import { LivegateError } from '../errors.js'
import { WORKER_NICE } from '../workers/priority.js'
import { startDeadline } from '../workers/start-deadline.js'
import { workerFileBeside } from '../workers/worker-file.js'
import type { Place } from './geocode.js'
import type { RenderOutput, RenderTask } from './render-worker.js'

export interface MapPoolOptions {
  /** Worker threads (maps are light; two keep one busy map from blocking the next). */
  readonly threads: number
  /** Tasks waiting for a worker before callers get LG_ERR_RENDER_BUSY. */
  readonly queue: number
  readonly heapMb: number
  /** Longest one draw may take once its worker starts it (LIVEGATE_RENDER_TIMEOUT_MS, as for charts); default 10 s. */
  readonly timeoutMs?: number
  /** CPU niceness of the worker threads, default WORKER_NICE: a map draw must not take the cores from the relay. */
  readonly nice?: number
}

const MAP_TASK_TIMEOUT_MS = 10_000

/** The map pool a gateway runs, from its render settings: at most two threads, the charts' queue, heap and timeout. */
export function mapPoolOptions (charts: { readonly threads: number, readonly queue: number, readonly heapMb: number, readonly timeoutMs: number }): MapPoolOptions {
  return { threads: Math.min(2, charts.threads), queue: charts.queue, heapMb: charts.heapMb, timeoutMs: charts.timeoutMs }
}

export interface MapPool {
  geocode (queries: readonly string[], signal?: AbortSignal): Promise<Array<Place | null>>
  render (task: RenderTask, signal?: AbortSignal): Promise<RenderOutput>
  close (): Promise<void>
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

/** Read through a function: TypeScript would otherwise keep the narrowing from before the await. */
function callerAborted (signal: AbortSignal | undefined): boolean { return signal?.aborted === true }

export function createMapPool (options: MapPoolOptions): MapPool {
  const piscina = new Piscina({
    filename: workerFileBeside(import.meta.url),
    minThreads: 0,
    maxThreads: options.threads,
    maxQueue: options.queue,
    idleTimeout: 60_000,
    resourceLimits: { maxOldGenerationSizeMb: options.heapMb },
    workerData: { nice: options.nice ?? WORKER_NICE },
  })
  const timeoutMs = options.timeoutMs ?? MAP_TASK_TIMEOUT_MS
  const run = async <T> (name: string, task: unknown, signal: AbortSignal | undefined): Promise<T> => {
    if (signal?.aborted === true) throw translate(undefined, signal)
    try {
      return await piscina.run(task, { name, ...(signal === undefined ? {} : { signal }) }) as T
    } catch (err) {
      throw translate(err, signal)
    }
  }
  /**
   * Drawing has a timeout like a chart render's, counted from when the worker starts drawing (queue wait and a cold
   * worker's imports do not count). Aborting a running piscina task terminates its worker, so a draw stuck in a huge
   * scene cannot hold a thread. Geocoding is bounded by the address count and needs no timer.
   */
  const draw = async (task: RenderTask, signal: AbortSignal | undefined): Promise<RenderOutput> => {
    const timeout = startDeadline(timeoutMs, 'map draw')
    const combined = signal === undefined ? timeout.signal : AbortSignal.any([signal, timeout.signal])
    try {
      return await run<RenderOutput>('render', { ...task, started: timeout.started, submittedAt: timeout.submittedAt }, combined)
    } catch (err) {
      if (timeout.signal.aborted && !callerAborted(signal)) {
        throw new LivegateError('LG_ERR_MAP_TIMEOUT', `the map was not drawn within ${timeoutMs} ms; draw fewer markers or paths, or a smaller map`, { limitMs: timeoutMs })
      }
      throw err
    } finally {
      timeout.clear()
    }
  }
  return {
    async geocode (queries, signal) { return await run('geocode', queries, signal) },
    async render (task, signal) { return await draw(task, signal) },
    async close () { await piscina.destroy() },
  }
}
