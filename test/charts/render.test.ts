import { readFileSync } from 'node:fs'
import { test } from 'tap'
import { renderChart, type RenderTask } from '../../src/charts/render.js'
import { THEME_NAMES, themeConfig } from '../../src/charts/themes.js'
import { countUnlike, decodePng, near, PNG_SIGNATURE } from '../helpers/pixels.js'

const FIVE_FILMS = readFileSync(new URL('../fixtures/charts/five-films.vl.json', import.meta.url), 'utf8')

function task (overrides: Partial<RenderTask> = {}): RenderTask {
  return {
    kind: 'vega-lite', specJson: FIVE_FILMS, themeConfig: themeConfig('default'), format: 'png', scale: 1,
    maxRows: 100_000, maxPixels: 4096 * 4096, urlAllowlist: [], ...overrides,
  }
}

// The seed's four themes (cookbook render_altair: 'dark', 'ggplot2', 'default', 'opaque'), with the background a user sees.
const SEED_THEMES: Array<[string, [number, number, number, number]]> = [
  ['default', [255, 255, 255, 255]],
  ['opaque', [255, 255, 255, 255]],
  ['ggplot2', [255, 255, 255, 255]],
  ['dark', [51, 51, 51, 255]],
]

for (const [theme, background] of SEED_THEMES) {
  test(`renders the five-film line chart in the ${theme} theme`, async (t) => {
    const out = await renderChart(task({ themeConfig: themeConfig(theme) }))
    if (!out.ok) return t.fail(out.detail)
    t.same(Buffer.from(out.bytes.subarray(0, 8)), PNG_SIGNATURE, 'a PNG')
    const px = await decodePng(Buffer.from(out.bytes))
    t.equal(px.width, out.width)
    t.equal(px.height, out.height)
    t.ok(px.width > 500 && px.width < 700 && px.height > 300 && px.height < 450, `a 500×300 plot plus axes and title (${px.width}×${px.height})`)
    t.same(px.at(1, 1), background, 'the theme background')
    // Lines, points, labels, axes and title: a real chart draws well over a thousand non-background pixels.
    t.ok(countUnlike(px, background) > 3000, 'the chart is drawn, not empty')
    t.same(out.warnings, [])
  })
}

test('the dark theme recolours axes but the spec\'s own config wins over the theme', async (t) => {
  const spec = JSON.parse(FIVE_FILMS) as { config: Record<string, unknown> }
  spec.config.background = '#ff0000'
  const out = await renderChart(task({ specJson: JSON.stringify(spec), themeConfig: themeConfig('dark') }))
  if (!out.ok) return t.fail(out.detail)
  t.same((await decodePng(Buffer.from(out.bytes))).at(1, 1), [255, 0, 0, 255])
})

test('every theme name renders', async (t) => {
  for (const name of THEME_NAMES) {
    const out = await renderChart(task({ themeConfig: themeConfig(name), format: 'svg' }))
    t.ok(out.ok, name)
  }
})

test('renders SVG with the same size as the PNG, and scales both', async (t) => {
  const png = await renderChart(task({ scale: 2 }))
  const svg = await renderChart(task({ format: 'svg', scale: 2 }))
  if (!png.ok || !svg.ok) return t.fail('render failed')
  const text = Buffer.from(svg.bytes).toString('utf8')
  t.match(text, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/)
  t.match(text, /Runtime of five films by release year/)
  t.match(text, /Blade Runner/)
  t.equal(svg.width, png.width)
  t.equal(svg.height, png.height)
  t.match(text, new RegExp(`width="${svg.width}" height="${svg.height}"`))
  const one = await renderChart(task({ scale: 1 }))
  if (!one.ok) return t.fail('render failed')
  t.equal(png.width, one.width * 2)
})

test('renders a Vega spec with the theme as its config', async (t) => {
  const vega = {
    $schema: 'https://vega.github.io/schema/vega/v5.json', width: 100, height: 50,
    marks: [{ type: 'rect', encode: { enter: { x: { value: 10 }, y: { value: 10 }, width: { value: 50 }, height: { value: 20 }, fill: { value: 'steelblue' } } } }],
  }
  const out = await renderChart(task({ kind: 'vega', specJson: JSON.stringify(vega), themeConfig: themeConfig('dark') }))
  if (!out.ok) return t.fail(out.detail)
  const px = await decodePng(Buffer.from(out.bytes))
  t.same(px.at(1, 1), [51, 51, 51, 255], 'dark background from the theme')
  t.same(px.at(30, 20), [70, 130, 180, 255], 'the steelblue rect')
})

test('text renders in real fonts: Latin, CJK and colour emoji are not blank boxes', async (t) => {
  const spec = (label: string): string => JSON.stringify({ width: 200, height: 60, data: { values: [{}] }, mark: { type: 'text', fontSize: 40, align: 'left', baseline: 'top' }, encoding: { text: { value: label }, x: { value: 0 }, y: { value: 0 } }, config: { view: { stroke: null } } })
  const dark = async (label: string): Promise<{ inked: number, coloured: number }> => {
    const out = await renderChart(task({ specJson: spec(label) }))
    if (!out.ok) throw new Error(out.detail)
    const px = await decodePng(Buffer.from(out.bytes))
    let inked = 0; let coloured = 0
    for (let i = 0; i < px.data.length; i += 4) {
      const [r, g, b] = [px.data[i] ?? 0, px.data[i + 1] ?? 0, px.data[i + 2] ?? 0]
      if (r + g + b < 600) inked++
      if (Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++
    }
    return { inked, coloured }
  }
  const cjk = await dark('図表漢字')
  const tofu = await dark('\u{10FFFD}\u{10FFFD}\u{10FFFD}\u{10FFFD}')
  t.ok(cjk.inked > 500, `CJK glyphs drawn (${cjk.inked} px)`)
  t.not(cjk.inked, tofu.inked, 'CJK glyphs differ from missing-glyph boxes')
  const emoji = await dark('😀🎉')
  t.ok(emoji.coloured > 200, `emoji drawn in colour (${emoji.coloured} coloured px)`)
})

test('Vega-Lite warnings reach the result, so the model can fix its spec', async (t) => {
  const spec = { data: { values: [{ k: 'a', v: 1 }] }, mark: 'bar', encoding: { x: { field: 'k', type: 'nominal' }, y: { field: 'v', type: 'quantitative' }, shape: { field: 'k', type: 'nominal' } } }
  const out = await renderChart(task({ specJson: JSON.stringify(spec), format: 'svg' }))
  if (!out.ok) return t.fail(out.detail)
  t.same(out.warnings, ['shape dropped as it is incompatible with "bar".'])
})

test('renders Altair 4 output (Vega-Lite v4 schema with the old `selection` syntax)', async (t) => {
  const altair4 = {
    $schema: 'https://vega.github.io/schema/vega-lite/v4.17.0.json', config: { view: { continuousWidth: 400, continuousHeight: 300 } },
    data: { name: 'data-abc' }, datasets: { 'data-abc': [{ a: 1, b: 2 }, { a: 2, b: 4 }] }, mark: 'point',
    encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' } },
    selection: { selector001: { type: 'interval', bind: 'scales', encodings: ['x', 'y'] } },
  }
  const out = await renderChart(task({ specJson: JSON.stringify(altair4), format: 'svg' }))
  if (!out.ok) return t.fail(out.detail)
  t.same(out.warnings, [])
  t.equal((Buffer.from(out.bytes).toString('utf8').match(/<path [^>]*transform="translate\(/g) ?? []).length, 2, 'both points drawn')
})

// Issue 15: sizes alone used to run the worker out of heap (1e9 × 1e9 allocated 25 million axis ticks in runAsync()
// and came back LG_ERR_RENDER_CRASHED after 6.7 s); each must now be refused as too many pixels before the dataflow runs.
const DOTS = { data: { values: [{ a: 1, b: 2, c: 'x' }, { a: 2, b: 3, c: 'y' }] } }
const ENC = { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' } }
const unit = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ mark: 'point', encoding: ENC, ...extra })
const HOSTILE_SIZES: Array<[string, Record<string, unknown>, Partial<RenderTask>?]> = [
  ['width and height 1e9', { ...DOTS, ...unit({ width: 1e9, height: 1e9 }) }],
  ['a width of 1e9 alone', { ...DOTS, ...unit({ width: 1e9 }) }],
  ['a padding of 1e9', { ...DOTS, ...unit({ padding: 1e9 }) }],
  ['an autosize fit chart 1e9 wide', { ...DOTS, ...unit({ width: 1e9, autosize: { type: 'fit', contains: 'padding' } }) }],
  ['config.view.continuousWidth 1e9', { ...DOTS, ...unit({ config: { view: { continuousWidth: 1e9 } } }) }],
  ['an hconcat child 1e9 wide', { ...DOTS, hconcat: [unit({ width: 1e9 }), unit()] }],
  ['a vconcat child 1e9 tall', { ...DOTS, vconcat: [unit(), unit({ height: 1e9 })] }],
  ['a facet cell 1e9 wide', { ...DOTS, facet: { field: 'c', type: 'nominal' }, spec: unit({ width: 1e9 }) }],
  ['a repeated chart 1e9 tall', { ...DOTS, repeat: ['a', 'b'], spec: { mark: 'point', encoding: { x: { field: { repeat: 'repeat' }, type: 'quantitative' } }, height: 1e9 } }],
  ['a layer 1e9 wide', { ...DOTS, width: 1e9, layer: [unit(), unit({ mark: 'line' })] }],
  ['a band step of 1e9 (width computed from the data)', { ...DOTS, mark: 'bar', width: { step: 1e9 }, encoding: { x: { field: 'c', type: 'nominal' } } }],
  ['200 hconcat children 16000 px wide each', { ...DOTS, hconcat: Array.from({ length: 200 }, () => unit({ width: 16000 })) }],
  ['5000 × 5000 at scale 4', { ...DOTS, ...unit({ width: 5000, height: 5000 }) }, { scale: 4 }],
  ['Vega: a width signal of 1e9', { $schema: 'https://vega.github.io/schema/vega/v6.json', signals: [{ name: 'width', value: 1e9 }], height: 100, marks: [] }, { kind: 'vega' }],
  ['Vega: a constant width expression', { $schema: 'https://vega.github.io/schema/vega/v6.json', width: 100, signals: [{ name: 'width', update: '1e5 * 1e4' }], marks: [] }, { kind: 'vega' }],
  ['Vega: a width signal computed from data', {
    $schema: 'https://vega.github.io/schema/vega/v6.json', height: 100,
    data: [{ name: 't', values: [{ v: 1 }, { v: 2 }] }],
    signals: [{ name: 'width', update: "length(data('t')) * 1e9" }],
    scales: [{ name: 'x', type: 'linear', domain: [0, 1], range: 'width' }],
    axes: [{ scale: 'x', orient: 'bottom', tickCount: { signal: 'ceil(width / 40)' }, grid: true }],
  }, { kind: 'vega' }],
  ['Vega: a nested group 1e9 wide', {
    $schema: 'https://vega.github.io/schema/vega/v6.json', width: 100, height: 100,
    marks: [{ type: 'group', signals: [{ name: 'innerWidth', value: 1e9 }], encode: { update: { width: { value: 1e9 }, height: { value: 10 } } } }],
  }, { kind: 'vega' }],
]

for (const [name, spec, overrides] of HOSTILE_SIZES) {
  test(`refuses ${name} as too many pixels, before the dataflow allocates`, async (t) => {
    const out = await renderChart(task({ specJson: JSON.stringify(spec), ...overrides }))
    if (out.ok) return t.fail('rendered')
    t.equal(out.code, 'LG_ERR_RENDER_TOO_MANY_PIXELS', out.detail)
    t.equal(out.extra?.limit, 4096 * 4096)
  })
}

test('the size checks leave a legitimate 16-chart concat grid alone', async (t) => {
  const spec = { ...DOTS, concat: Array.from({ length: 16 }, () => unit({ width: 150, height: 100 })), columns: 4 }
  const out = await renderChart(task({ specJson: JSON.stringify(spec), format: 'svg' }))
  t.ok(out.ok, out.ok ? 'rendered' : out.detail)
})

test('an allowlisted image mark is fetched through the outbound client and drawn', async (t) => {
  const { createServer } = await import('node:http')
  const { once } = (await import('node:events')).default
  const { createCanvas } = await import('canvas')
  const red = createCanvas(20, 20)
  const ctx = red.getContext('2d')
  ctx.fillStyle = '#ff0000'
  ctx.fillRect(0, 0, 20, 20)
  const png = red.toBuffer('image/png')
  let hits = 0
  const server = createServer((_req, res) => { hits++; res.writeHead(200, { 'content-type': 'image/png' }).end(png) })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.close() })
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/img/`
  const spec = { width: 40, height: 40, data: { values: [{ x: 0.5, y: 0.5 }] }, mark: { type: 'image', width: 20, height: 20 }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, url: { value: `${base}red.png` } } }
  const out = await renderChart(task({ specJson: JSON.stringify(spec), urlAllowlist: [base] }))
  if (!out.ok) return t.fail(out.detail)
  t.equal(hits, 1, 'fetched once, by livegate')
  const px = await decodePng(Buffer.from(out.bytes))
  let reds = 0
  for (let y = 0; y < px.height; y++) for (let x = 0; x < px.width; x++) if (near(px.at(x, y), [255, 0, 0, 255])) reds++
  t.ok(reds >= 300, `the 20 × 20 red image is drawn (${reds} red pixels)`)
})
