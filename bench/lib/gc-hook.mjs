/**
 * @module bench/lib/gc-hook
 * Preloaded (`--expose-gc --import`) into every server the benchmarks spawn, livegate included: SIGUSR2 runs a full
 * garbage collection and writes `process.memoryUsage()` to `<tmpdir>/livegate-bench-heap-<pid>.json`, so memory read
 * after it counts live objects rather than garbage not yet collected. It adds one signal listener and nothing on any
 * request path. Plain JavaScript: worker threads inherit the `--import` flags but not tsx (Node 20), so a .ts preload
 * would crash every render worker.
 */
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isMainThread } from 'node:worker_threads'

if (isMainThread) {
  process.on('SIGUSR2', () => {
    globalThis.gc?.()
    globalThis.gc?.()
    writeFileSync(join(tmpdir(), `livegate-bench-heap-${process.pid}.json`), JSON.stringify(process.memoryUsage()))
  })
}
