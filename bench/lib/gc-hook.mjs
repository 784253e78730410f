/**
 * @module bench/lib/gc-hook
 * Preloaded (`--expose-gc --import`) into every server the benchmarks spawn, livegate included: SIGUSR2 runs a full
 * garbage collection, so an RSS reading taken after it counts live memory rather than garbage not yet collected.
 * It adds one signal listener and nothing on any request path. Plain JavaScript: worker threads inherit the
 * `--import` flags but not tsx (Node 20), so a .ts preload would crash every render worker.
 */
import { isMainThread } from 'node:worker_threads'

if (isMainThread) {
  process.on('SIGUSR2', () => {
    globalThis.gc?.()
    globalThis.gc?.()
  })
}
