// Development-only worker bootstrap: `--import tsx` does not reach worker threads on Node 20, so the worker
// registers tsx itself before loading the TypeScript entry. Compiled builds (dist/) load render-worker.js directly.
import { register } from 'tsx/esm/api'

register()
const worker = await import('./render-worker.ts')
export const geocode = worker.geocode
export const render = worker.render
