// A gateway in miniature for render-host.test.ts: renders once, prints its render process's pid, then waits to be killed.
import { readFileSync } from 'node:fs'
import { themeConfig } from '../../src/charts/themes.js'
import { createRenderHost } from '../../src/workers/render-host.js'

const renders = createRenderHost({
  priority: 'idle',
  charts: { threads: 1, queue: 4, timeoutMs: 20_000, heapMb: 256 },
  maps: { threads: 1, queue: 4, heapMb: 256, timeoutMs: 20_000 },
})
const specJson = readFileSync(new URL('../fixtures/charts/five-films.vl.json', import.meta.url), 'utf8')
await renders.charts.run({ kind: 'vega-lite', specJson, themeConfig: themeConfig('default'), format: 'png', scale: 1, maxRows: 1e6, maxPixels: 1e7, urlAllowlist: [] })
process.stdout.write(`${JSON.stringify({ renderPid: renders.pid })}\n`)
setInterval(() => {}, 1000)
