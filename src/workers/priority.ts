/**
 * @module workers/priority
 * Render and map workers run below the relay's priority. On Linux niceness is per thread, and `os.setPriority()`
 * called in a worker sets only that thread's, so the relay's main thread wins the cores while renders run
 * (bench/RESULTS.md "Tools" measured relay p99 +684 % over idle at nice 0, +21 % at 19).
 */
import os from 'node:os'

/** Niceness of pool workers unless configured otherwise; 0 keeps normal priority. */
export const WORKER_NICE = 19

/** Called at a worker's start with the pool's `workerData.nice`. */
export function lowerThisThread (nice: unknown): void {
  if (typeof nice !== 'number' || nice <= 0) return
  try { os.setPriority(nice) } catch { /* not permitted here: keep the default priority */ }
}
