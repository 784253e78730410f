/**
 * @module charts/renderer-version
 * The versions that decide what a chart looks like, folded into every chart id: upgrading vega, vega-lite,
 * vega-themes or the canvas gives new ids instead of serving stale images under old ones.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** Bump when livegate's own rendering changes what the same spec produces (themes, fonts, limits that alter output). */
const LIVEGATE_RENDER_REVISION = 1

function packageVersion (name: string): string {
  // vega and vega-lite do not export ./package.json, so walk up from the entry point.
  let dir = path.dirname(fileURLToPath(import.meta.resolve(name)))
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string, version?: string }
      if (pkg.name === name || (name === 'canvas' && pkg.name === '@napi-rs/canvas')) return pkg.version ?? '0'
    } catch { /* keep walking */ }
    const parent = path.dirname(dir)
    if (parent === dir) return 'unknown'
    dir = parent
  }
}

let cached: string | undefined

/** e.g. `livegate-render/1 vega/6.4.0 vega-lite/6.4.3 vega-themes/3.0.0 canvas/1.1.1` */
export function rendererVersion (): string {
  cached ??= [`livegate-render/${LIVEGATE_RENDER_REVISION}`, ...['vega', 'vega-lite', 'vega-themes', 'canvas'].map((n) => `${n}/${packageVersion(n)}`)].join(' ')
  return cached
}
