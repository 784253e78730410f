/**
 * @module workers/worker-file
 * Where a pool's worker entry lives: `render-worker.js` beside the compiled pool in dist/; under tsx (dev, tests) a
 * small `render-worker-tsx.mjs` bootstrap beside it that registers tsx inside the worker, because Node 20 does not
 * apply `--import tsx` to worker threads.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The worker entry beside the module at `poolModuleUrl` (pass `import.meta.url`). */
export function workerFileBeside (poolModuleUrl: string): string {
  const here = fileURLToPath(poolModuleUrl)
  const ext = path.extname(here)
  return path.join(path.dirname(here), ext === '.ts' ? 'render-worker-tsx.mjs' : `render-worker${ext}`)
}
