/**
 * @module workers/start-deadline
 * A timeout on the work itself, not on time spent queued: the deadline counts from when the worker starts the task
 * (it writes that moment into `started`, see `markStarted`), so a burst of requests does not turn queue wait, or a
 * cold worker's imports, into timeouts.
 */

/** Polling step while a task waits in the queue past its deadline (the queue's own bound limits that wait). */
const QUEUED_RECHECK_MS = 50

export interface StartDeadline {
  /** Aborts (TimeoutError) once the task has run `timeoutMs` after its worker started it. */
  readonly signal: AbortSignal
  /** Shared with the worker: ms from `submittedAt` to the start (at least 1), 0 while queued. */
  readonly started: Int32Array
  readonly submittedAt: number
  clear (): void
}

export function startDeadline (timeoutMs: number, what: string): StartDeadline {
  const controller = new AbortController()
  const started = new Int32Array(new SharedArrayBuffer(4))
  const submittedAt = Date.now()
  let timer: NodeJS.Timeout
  const check = (): void => {
    const startedAfter = Atomics.load(started, 0)
    if (startedAfter === 0) { timer = setTimeout(check, QUEUED_RECHECK_MS); return }
    const remaining = submittedAt + startedAfter + timeoutMs - Date.now()
    if (remaining > 0) timer = setTimeout(check, remaining)
    else controller.abort(new DOMException(`${what} timed out`, 'TimeoutError'))
  }
  timer = setTimeout(check, timeoutMs)
  return { signal: controller.signal, started, submittedAt, clear: () => { clearTimeout(timer) } }
}

/** In the worker, as the task starts. */
export function markStarted (started: Int32Array, submittedAt: number): void {
  Atomics.store(started, 0, Math.max(1, Date.now() - submittedAt))
}
