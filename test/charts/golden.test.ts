/**
 * Golden images: what users see must not drift unnoticed (fonts, themes, vega upgrades). Compared with a pixel
 * tolerance, because anti-aliasing differs slightly between machines. Regenerate after an intended change with
 * `LIVEGATE_UPDATE_GOLDEN=1 npx tap test/charts/golden.test.ts`, look at the PNGs, and commit them.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { test } from 'tap'
import { renderChart } from '../../src/charts/render.js'
import { themeConfig } from '../../src/charts/themes.js'
import { decodePng } from './pixels.js'

const UPDATE = process.env.LIVEGATE_UPDATE_GOLDEN === '1'
/** A channel differing by more than this counts the pixel as different. */
const CHANNEL_TOLERANCE = 48
/** At most this share of pixels may differ. */
const MAX_DIFFERENT_SHARE = 0.01

const FIVE_FILMS = readFileSync(new URL('../fixtures/charts/five-films.vl.json', import.meta.url), 'utf8')
const MULTILINGUAL = JSON.stringify({
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  title: 'Box office 興行収入 😀',
  width: 300,
  data: { values: [{ film: 'Spirited Away 千と千尋', gross: 395 }, { film: 'Parasite 기생충', gross: 262 }, { film: 'Amélie', gross: 174 }, { film: 'Party 🎉', gross: 120 }] },
  mark: 'bar',
  encoding: { y: { field: 'film', type: 'nominal', sort: '-x' }, x: { field: 'gross', type: 'quantitative' } },
})

const GOLDENS: Array<[string, string, string]> = [
  ['five-films-default', FIVE_FILMS, 'default'],
  ['five-films-dark', FIVE_FILMS, 'dark'],
  ['five-films-ggplot2', FIVE_FILMS, 'ggplot2'],
  ['multilingual-default', MULTILINGUAL, 'default'],
]

for (const [name, specJson, theme] of GOLDENS) {
  test(`${name} looks like its golden image`, async (t) => {
    const out = await renderChart({ kind: 'vega-lite', specJson, themeConfig: themeConfig(theme), format: 'png', scale: 1, maxRows: 1e5, maxPixels: 1 << 24, urlAllowlist: [] })
    if (!out.ok) return t.fail(out.detail)
    const file = new URL(`../fixtures/charts/golden/${name}.png`, import.meta.url)
    if (UPDATE || !existsSync(file)) {
      if (!UPDATE) return t.fail(`no golden image ${name}.png; run with LIVEGATE_UPDATE_GOLDEN=1 and commit it`)
      writeFileSync(file, out.bytes)
      return t.pass(`wrote ${name}.png`)
    }
    const [actual, expected] = await Promise.all([decodePng(Buffer.from(out.bytes)), decodePng(readFileSync(file))])
    t.same([actual.width, actual.height], [expected.width, expected.height], 'same size')
    if (actual.width !== expected.width || actual.height !== expected.height) return
    let different = 0
    for (let i = 0; i < actual.data.length; i += 4) {
      for (let c = 0; c < 4; c++) {
        if (Math.abs((actual.data[i + c] ?? 0) - (expected.data[i + c] ?? 0)) > CHANNEL_TOLERANCE) { different++; break }
      }
    }
    const share = different / (actual.width * actual.height)
    t.ok(share <= MAX_DIFFERENT_SHARE, `${different} pixels (${(share * 100).toFixed(2)} %) differ; at most ${MAX_DIFFERENT_SHARE * 100} % may`)
  })
}
