import { test } from 'tap'
import { createRenderPool } from '../../src/charts/render-pool.js'
import { themeConfig } from '../../src/charts/themes.js'

/**
 * A PNG render must not leave its pixels behind: @napi-rs/canvas frees a surface only when V8 collects its wrapper,
 * which a worker with a small, quiet heap seldom does (workers/release-pixels.ts). 1410×1010 px (the default theme's padding included) is 5.4 MB a surface;
 * 60 renders kept 340 MB before the fix.
 */
const RENDERS = 60
const SURFACE_MB = (1410 * 1010 * 4) / 2 ** 20
const ALLOWED_GROWTH_MB = 120

function spec (n: number): string {
  return JSON.stringify({
    width: 1400, height: 1000, autosize: 'none', title: `render ${n}`,
    data: { values: Array.from({ length: 20 }, (_, i) => ({ x: i, y: (i * n) % 17 })) },
    mark: 'bar', encoding: { x: { field: 'x', type: 'ordinal' }, y: { field: 'y', type: 'quantitative' } },
  })
}

test('rendering PNGs in a worker does not keep each surface', async (t) => {
  const pool = createRenderPool({ threads: 1, queue: 4, timeoutMs: 60_000, heapMb: 512 })
  t.teardown(async () => { await pool.close() })
  const render = async (n: number): Promise<{ width: number, height: number }> => await pool.run({
    kind: 'vega-lite', specJson: spec(n), themeConfig: themeConfig('default'), format: 'png', scale: 1,
    maxRows: 1e6, maxPixels: 4096 * 4096, urlAllowlist: [],
  })
  // Warm: the worker's imports, JIT and allocator arenas settle before the baseline.
  for (let n = 0; n < 10; n++) await render(-1 - n)
  const before = process.memoryUsage.rss()
  for (let n = 0; n < RENDERS; n++) {
    const image = await render(n)
    if (n === 0) t.same({ width: image.width, height: image.height }, { width: 1410, height: 1010 }, 'the default theme pads 5 px a side')
  }
  const grownMb = (process.memoryUsage.rss() - before) / 2 ** 20
  t.ok(grownMb < ALLOWED_GROWTH_MB,
    `${RENDERS} renders of ${SURFACE_MB.toFixed(1)} MB surfaces grew the process by ${grownMb.toFixed(0)} MB (allowed ${ALLOWED_GROWTH_MB})`)
})
