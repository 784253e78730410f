/**
 * @module charts/render-pool
 * The worker-thread pool renders run in (piscina), sized from config. Each worker has a heap limit, so a spec that
 * exhausts memory kills its worker (piscina replaces it) and not the process; Node enforces that limit on a best-effort
 * basis (nodejs/node#47224), which is why spec-input.ts refuses the one-huge-array shapes before a render starts. Each render has a timeout, and the
 * caller's AbortSignal cancels it: piscina terminates the worker running an aborted task, which is safe with
 * @napi-rs/canvas (node-canvas aborts the process when a worker dies mid-encode: reference/chart-rendering.md §4.4).
 */
import { Piscina } from 'piscina'
import { LivegateError } from '../errors.js'
import { WORKER_NICE } from '../workers/priority.js'
import { startDeadline } from '../workers/start-deadline.js'
import { workerFileBeside } from '../workers/worker-file.js'
import type { RenderOutcome, RenderTask } from './render.js'
import type { PoolTask } from './render-worker.js'

export interface RenderPoolOptions {
  threads: number
  /** Renders waiting for a worker before `run` fails with LG_ERR_RENDER_BUSY. */
  queue: number
  timeoutMs: number
  heapMb: number
  /** CPU niceness of the worker threads (Linux: per thread), default WORKER_NICE (workers/priority); 0 keeps normal priority. */
  nice?: number
}

interface RenderedImage { bytes: Buffer, width: number, height: number, warnings: string[] }

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

function isAbort (err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: unknown }).code === 'ABORT_ERR')
}

export function createRenderPool (options: RenderPoolOptions): RenderPool {
  const piscina = new Piscina<PoolTask, RenderOutcome>({
    filename: workerFileBeside(import.meta.url),
    name: 'default',
    minThreads: options.threads,
    maxThreads: options.threads,
    // Workers are never retired for idling: each new one pays ~300 ms to import vega and warm up.
    idleTimeout: Infinity,
    maxQueue: options.queue,
    resourceLimits: { maxOldGenerationSizeMb: options.heapMb },
    workerData: { nice: options.nice ?? WORKER_NICE },
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
      const timeout = startDeadline(options.timeoutMs, 'render')
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
