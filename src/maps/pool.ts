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
  /** Longest one draw may take once its worker starts it (LIVEGATE_RENDER_TIMEOUT_MS, as for charts); default 10 s. */
  readonly timeoutMs?: number
}

export const MAP_TASK_TIMEOUT_MS = 10_000

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

const QUEUED_RECHECK_MS = 50

/** The deadline counts from the moment the worker writes into `started` (as charts/render-pool.ts does). */
function drawTimeout (timeoutMs: number): { signal: AbortSignal, started: Int32Array, submittedAt: number, clear (): void } {
  const controller = new AbortController()
  const started = new Int32Array(new SharedArrayBuffer(4))
  const submittedAt = Date.now()
  let timer: NodeJS.Timeout
  const check = (): void => {
    const startedAfter = Atomics.load(started, 0)
    if (startedAfter === 0) { timer = setTimeout(check, QUEUED_RECHECK_MS); return }
    const remaining = submittedAt + startedAfter + timeoutMs - Date.now()
    if (remaining > 0) timer = setTimeout(check, remaining)
    else controller.abort(new DOMException('map draw timed out', 'TimeoutError'))
  }
  timer = setTimeout(check, timeoutMs)
  return { signal: controller.signal, started, submittedAt, clear: () => { clearTimeout(timer) } }
}

/** Read through a function: TypeScript would otherwise keep the narrowing from before the await. */
function callerAborted (signal: AbortSignal | undefined): boolean { return signal?.aborted === true }

export function createMapPool (options: MapPoolOptions): MapPool {
  const piscina = new Piscina({
    filename: workerFile(),
    minThreads: 0,
    maxThreads: options.threads,
    maxQueue: options.queue,
    idleTimeout: 60_000,
    resourceLimits: { maxOldGenerationSizeMb: options.heapMb },
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
    const timeout = drawTimeout(timeoutMs)
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
