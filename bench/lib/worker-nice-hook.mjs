/**
 * @module bench/lib/worker-nice-hook
 * An experiment, not livegate's behaviour: preloaded into livegate by bench/tools.ts (`--render-threads 2+nice`),
 * it lowers the CPU priority of every worker thread (render and map workers) to nice 19 as the thread starts.
 * On Linux the nice value is per thread and `os.setPriority(0, n)` applies to the calling thread only, so the
 * relay's main thread keeps normal priority and wins the cores when renders compete with it. Measures what that
 * change would buy before anyone makes it in src/charts.
 */
import os from 'node:os'
import { isMainThread } from 'node:worker_threads'

export const WORKER_NICE = 19

if (!isMainThread) {
  try {
    os.setPriority(WORKER_NICE)
  } catch {
    // Not permitted here: the experiment then measures the default.
  }
}
