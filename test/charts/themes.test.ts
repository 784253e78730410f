import { test } from 'tap'
import { assertTheme, pickTheme, THEME_NAMES, themeConfig } from '../../src/charts/themes.js'
import type { LivegateError } from '../../src/errors.js'

test('knows Altair\'s themes and every vega-themes name', async (t) => {
  for (const name of ['default', 'opaque', 'none', 'dark', 'ggplot2', 'quartz', 'vox', 'fivethirtyeight', 'carbong100', 'powerbi']) {
    t.ok(THEME_NAMES.includes(name), name)
  }
  t.same(themeConfig('none'), {})
  t.same(themeConfig('opaque'), { background: 'white', view: { continuousWidth: 300, continuousHeight: 300 } })
  t.equal(themeConfig('dark').background, '#333', 'vega-themes dark')
  t.match(themeConfig('dark').view, { continuousWidth: 300, continuousHeight: 300 }, 'with Altair\'s view size, as VegaTheme(name) does')
})

test('an unknown theme is an error that lists the valid names', async (t) => {
  try {
    assertTheme('solarized')
    t.fail('accepted an unknown theme')
  } catch (err) {
    const e = err as LivegateError
    t.equal(e.code, 'LG_ERR_RENDER_UNKNOWN_THEME')
    t.match(e.detail, /"solarized"/)
    for (const name of ['default', 'opaque', 'none', 'dark', 'ggplot2']) t.match(e.detail, name)
    t.same(e.extra?.themes, THEME_NAMES)
  }
})

test('the theme argument wins, then Altair\'s usermeta.embedOptions.theme, then default', async (t) => {
  const altair = { usermeta: { embedOptions: { theme: 'quartz' } } }
  t.equal(pickTheme('dark', altair), 'dark')
  t.equal(pickTheme(undefined, altair), 'quartz')
  t.equal(pickTheme('', altair), 'quartz')
  t.equal(pickTheme(undefined, {}), 'default')
})
