/** The charts users see, compared with committed golden images (see test/helpers/golden.ts to regenerate). */
import { readFileSync } from 'node:fs'
import { test } from 'tap'
import { renderChart } from '../../src/charts/render.js'
import { themeConfig } from '../../src/charts/themes.js'
import { assertGolden } from '../helpers/golden.js'

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
    await assertGolden(t, new URL(`../fixtures/charts/golden/${name}.png`, import.meta.url), Buffer.from(out.bytes))
  })
}
