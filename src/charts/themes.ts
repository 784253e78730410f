/**
 * @module charts/themes
 * Chart themes as Altair names them: its own `default`, `opaque` and `none`, plus every vega-themes name. Altair
 * records a vega-themes choice only as `usermeta.embedOptions.theme` and lets vega-embed apply it at render time;
 * livegate applies it the same way (the theme is the compile-time config, so the spec's own `config` wins).
 */
import * as vegaThemes from 'vega-themes'
import { LivegateError } from '../errors.js'

type Config = Record<string, unknown>

/** Altair's default view size; every Altair theme but `none` carries it. */
const ALTAIR_VIEW: Config = { view: { continuousWidth: 300, continuousHeight: 300 } }

const ALTAIR_THEMES: Readonly<Record<string, Config>> = {
  default: ALTAIR_VIEW,
  opaque: { background: 'white', ...ALTAIR_VIEW },
  none: {},
}

const VEGA_THEMES: Readonly<Record<string, Config>> = Object.fromEntries(
  Object.entries(vegaThemes).filter(([name, value]) => name !== 'version' && typeof value === 'object'),
) as Record<string, Config>

/** Every accepted theme name, Altair's first. */
export const THEME_NAMES: readonly string[] = Object.freeze([...Object.keys(ALTAIR_THEMES), ...Object.keys(VEGA_THEMES).sort()])

const DEFAULT_THEME = 'default'

/** Throws LG_ERR_RENDER_UNKNOWN_THEME (listing the valid names) unless `name` is a theme. */
export function assertTheme (name: string): void {
  if (!THEME_NAMES.includes(name)) {
    throw new LivegateError('LG_ERR_RENDER_UNKNOWN_THEME',
      `unknown theme ${JSON.stringify(name)}; valid themes: ${THEME_NAMES.join(', ')}`, { themes: THEME_NAMES })
  }
}

function isObject (value: unknown): value is Config {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Shallow-recursive merge in the manner of vega-util's mergeConfig: later objects win, nested objects merge. */
function merge (...configs: Config[]): Config {
  const out: Config = {}
  for (const config of configs) {
    for (const [key, value] of Object.entries(config)) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue
      const prev = out[key]
      out[key] = isObject(prev) && isObject(value) ? merge(prev, value) : value
    }
  }
  return out
}

/**
 * The config a theme contributes at compile time (what vega-embed passes to `vl.compile(spec, {config})`).
 * @example themeConfig('dark').background === '#333'
 */
export function themeConfig (name: string): Config {
  assertTheme(name)
  const altair = ALTAIR_THEMES[name]
  if (altair !== undefined) return merge(altair)
  return merge(ALTAIR_VIEW, VEGA_THEMES[name] ?? {})
}

/** The theme a spec asks for: the explicit argument, else Altair's `usermeta.embedOptions.theme`, else `default`. */
export function pickTheme (explicit: string | undefined, spec: Config): string {
  if (explicit !== undefined && explicit !== '') return explicit
  const usermeta = spec.usermeta
  if (isObject(usermeta) && isObject(usermeta.embedOptions) && typeof usermeta.embedOptions.theme === 'string') {
    return usermeta.embedOptions.theme
  }
  return DEFAULT_THEME
}
