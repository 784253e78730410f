/**
 * @module artifacts/shared-work
 * Concurrent callers asking for the same artifact (a chart, a map) share one piece of work. It lives here, below
 * charts/ and maps/, so both use the one implementation. Each caller may abort its own wait; the work
 * itself is aborted only when every caller has given up, so one cancelled tool call never fails another's render.
 */

interface Entry<T> {
  promise: Promise<T>
  controller: AbortController
  waiters: number
}

export interface SharedWork<T> {
  /** Run `work` for `key`, or join the run already in flight. `shared` tells whether this caller joined one. */
  run (key: string, work: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<{ value: T, shared: boolean }>
  readonly size: number
}

export function createSharedWork<T> (): SharedWork<T> {
  const inflight = new Map<string, Entry<T>>()
  return {
    get size () { return inflight.size },
    async run (key, work, signal) {
      signal?.throwIfAborted()
      let entry = inflight.get(key)
      const shared = entry !== undefined
      if (entry === undefined) {
        const controller = new AbortController()
        const created: Entry<T> = { controller, waiters: 0, promise: Promise.resolve().then(async () => await work(controller.signal)) }
        entry = created
        inflight.set(key, created)
        created.promise.then(() => inflight.delete(key), () => inflight.delete(key))
      }
      const current = entry
      current.waiters++
      if (signal === undefined) {
        try { return { value: await current.promise, shared } } finally { current.waiters-- }
      }
      return await new Promise<{ value: T, shared: boolean }>((resolve, reject) => {
        let settled = false
        const leave = (): void => {
          if (settled) return
          settled = true
          current.waiters--
          signal.removeEventListener('abort', onAbort)
        }
        const onAbort = (): void => {
          leave()
          if (current.waiters === 0) {
            if (inflight.get(key) === current) inflight.delete(key)
            current.controller.abort(signal.reason)
          }
          reject(signal.reason)
        }
        signal.addEventListener('abort', onAbort, { once: true })
        current.promise.then((value) => { leave(); resolve({ value, shared }) }, (err: unknown) => { leave(); reject(err) })
      })
    },
  }
}
