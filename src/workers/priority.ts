/**
 * @module workers/priority
 * Render and map worker threads lower their own priority inside the render process (workers/render-host.ts), which
 * itself runs below the relay (SCHED_IDLE or nice 19). On Linux niceness is per thread, and `os.setPriority()` called
 * in a worker sets only that thread's: at LIVEGATE_RENDER_PRIORITY `normal` this still puts the renders below the
 * relay's threads (bench/RESULTS.md "Tools" measured relay p99 +684 % over idle at nice 0, +21 % at 19, in-process).
 */
import os from 'node:os'

/** Niceness of pool workers unless configured otherwise; 0 keeps normal priority. */
export const WORKER_NICE = 19

/** Called at a worker's start with the pool's `workerData.nice`. */
export function lowerThisThread (nice: unknown): void {
  if (typeof nice !== 'number' || nice <= 0) return
  try { os.setPriority(nice) } catch { /* not permitted here: keep the default priority */ }
}
