/**
 * @module charts/render-pool
 * The worker-thread pool renders run in (piscina), sized from config. Each worker has a heap limit, so a spec that
 * exhausts memory kills its worker (piscina replaces it) and not the process; Node enforces that limit on a best-effort
 * basis (nodejs/node#47224), which is why spec-input.ts refuses the one-huge-array shapes before a render starts. Each render has a timeout, and the
 * caller's AbortSignal cancels it: piscina terminates the worker running an aborted task, which is safe with
 * @napi-rs/canvas (node-canvas aborts the process when a worker dies mid-encode: reference/chart-rendering.md §4.4).
 */
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { Piscina } from 'piscina'
import { LivegateError } from '../errors.js'
import type { RenderOutcome, RenderTask } from './render.js'
import type { PoolTask } from './render-worker.js'

export interface RenderPoolOptions {
  threads: number
  /** Renders waiting for a worker before `run` fails with LG_ERR_RENDER_BUSY. */
  queue: number
  timeoutMs: number
  heapMb: number
  /** CPU niceness of the worker threads (Linux: per thread), default RENDER_WORKER_NICE; 0 keeps normal priority. */
  nice?: number
}

/** Renders yield the CPU to the relay's event loop when they compete for it. */
export const RENDER_WORKER_NICE = 19

export interface RenderedImage { bytes: Buffer, width: number, height: number, warnings: string[] }

export interface RenderPool {
  /** Render in a worker; throws LivegateError on refusal, timeout, crash or a full queue, `signal.reason` on abort. */
  run (task: RenderTask, signal?: AbortSignal): Promise<RenderedImage>
  /** Renders running or queued. */
  readonly pending: number
  /** Renders handed to the pool since it started (tests and metrics). */
  readonly started: number
  /** Renders waiting for a worker thread (metrics). */
  readonly queued: number
  close (): Promise<void>
}

/**
 * The worker file next to this module: `render-worker.js` when compiled to dist/; under tsx (dev, tests) a small .mjs
 * bootstrap that registers tsx inside the worker, because Node 20 does not apply `--import tsx` to worker threads.
 */
export function workerFile (): string {
  const here = fileURLToPath(import.meta.url)
  const ext = path.extname(here)
  return path.join(path.dirname(here), ext === '.ts' ? 'render-worker-tsx.mjs' : `render-worker${ext}`)
}

/** Polling step while a task waits in the queue past its deadline (the queue's own bound limits that wait). */
const QUEUED_RECHECK_MS = 50

/**
 * A timeout on the render itself, not on time spent queued: the deadline counts from when the worker starts the task
 * (it writes that moment into `started`), so a burst of requests does not turn queue wait into render timeouts.
 */
function renderTimeout (timeoutMs: number): { signal: AbortSignal, started: Int32Array, submittedAt: number, clear (): void } {
  const controller = new AbortController()
  const started = new Int32Array(new SharedArrayBuffer(4))
  const submittedAt = Date.now()
  let timer: NodeJS.Timeout
  const check = (): void => {
    const startedAfter = Atomics.load(started, 0)
    if (startedAfter === 0) { timer = setTimeout(check, QUEUED_RECHECK_MS); return }
    const remaining = submittedAt + startedAfter + timeoutMs - Date.now()
    if (remaining > 0) timer = setTimeout(check, remaining)
    else controller.abort(new DOMException('render timed out', 'TimeoutError'))
  }
  timer = setTimeout(check, timeoutMs)
  return { signal: controller.signal, started, submittedAt, clear: () => { clearTimeout(timer) } }
}

function isAbort (err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: unknown }).code === 'ABORT_ERR')
}

export function createRenderPool (options: RenderPoolOptions): RenderPool {
  const piscina = new Piscina<PoolTask, RenderOutcome>({
    filename: workerFile(),
    name: 'default',
    minThreads: options.threads,
    maxThreads: options.threads,
    // Workers are never retired for idling: each new one pays ~300 ms to import vega and warm up.
    idleTimeout: Infinity,
    maxQueue: options.queue,
    resourceLimits: { maxOldGenerationSizeMb: options.heapMb },
    workerData: { nice: options.nice ?? RENDER_WORKER_NICE },
  })
  // A worker that dies (heap limit) is reported on the task too; without a listener the pool's 'error' would throw.
  piscina.on('error', () => {})
  let pending = 0
  let started = 0
  let closed = false

  return {
    get pending () { return pending },
    get started () { return started },
    get queued () { return piscina.queueSize },
    async run (task: RenderTask, signal?: AbortSignal): Promise<RenderedImage> {
      if (closed) throw new LivegateError('LG_ERR_RENDER_BUSY', 'the renderer is shutting down', { retryAfterSeconds: 5 })
      signal?.throwIfAborted()
      const timeout = renderTimeout(options.timeoutMs)
      const combined = signal === undefined ? timeout.signal : AbortSignal.any([signal, timeout.signal])
      pending++
      started++
      let outcome: RenderOutcome
      try {
        outcome = await piscina.run({ task, started: timeout.started, submittedAt: timeout.submittedAt }, { signal: combined })
      } catch (err) {
        if (signal?.aborted === true) throw signal.reason
        if (timeout.signal.aborted || isAbort(err)) {
          throw new LivegateError('LG_ERR_RENDER_TIMEOUT', `the render took longer than ${options.timeoutMs} ms`, { limitMs: options.timeoutMs })
        }
        const message = err instanceof Error ? err.message : String(err)
        if (message === 'Task queue is at limit' || message.startsWith('No task queue available')) {
          throw new LivegateError('LG_ERR_RENDER_BUSY', `all ${options.threads} render workers are busy and ${piscina.queueSize} renders are waiting; try again shortly`, { retryAfterSeconds: 1 })
        }
        if (closed) throw new LivegateError('LG_ERR_RENDER_BUSY', 'the renderer is shutting down', { retryAfterSeconds: 5 })
        if ((err as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
          throw new LivegateError('LG_ERR_RENDER_CRASHED', `the render ran out of memory (worker heap limit ${options.heapMb} MiB); reduce the data or the transforms`, { heapMb: options.heapMb })
        }
        throw new LivegateError('LG_ERR_RENDER_CRASHED', 'the render worker stopped unexpectedly', undefined, { cause: err })
      } finally {
        pending--
        timeout.clear()
      }
      if (!outcome.ok) throw new LivegateError(outcome.code, outcome.detail, outcome.extra)
      return { bytes: Buffer.from(outcome.bytes.buffer, outcome.bytes.byteOffset, outcome.bytes.byteLength), width: outcome.width, height: outcome.height, warnings: outcome.warnings }
    },
    async close (): Promise<void> {
      if (closed) return
      closed = true
      await piscina.destroy()
    },
  }
}
