/**
 * @module charts/chart-service
 * `ChartService.create`: normalise and check a spec, derive its content-hash id, and return the cached artifact or
 * render it once through the pool (concurrent identical requests share that render), then store it. The normalised
 * spec is stored too (`<id>.spec.json`), so the format not rendered yet is rendered on its first GET.
 */
import { createHash } from 'node:crypto'
import type { Config } from '../config.js'
import { LivegateError } from '../errors.js'
import type { Artifact, ArtifactStore } from '../artifacts/store.js'
import { DEFAULT_OUTBOUND_LIMITS, type OutboundLimits } from '../net/outbound.js'
import type { ImageFormat } from './render.js'
import { createRenderPool, type RenderPool } from './render-pool.js'
import { rendererVersion } from './renderer-version.js'
import { createSharedWork } from '../artifacts/shared-work.js'
import { assertRowLimit, canonicalJson, parseSpecInput, specKind, type SpecKind } from './spec-input.js'
import { assertTheme, pickTheme, themeConfig } from './themes.js'

export type { ImageFormat } from './render.js'

export interface ChartInput {
  /** A Vega-Lite or Vega spec: an object, a JSON string, or a JSON string of a JSON string. */
  spec: unknown
  /** Altair theme name or any vega-themes name; default: the spec's `usermeta.embedOptions.theme`, else `default`. */
  theme?: string
  /** Which format to render now (the other renders on its first GET). Default `png`. */
  format?: ImageFormat
  /** Pixel ratio, 0.1–4. Default 1. */
  scale?: number
}

export interface ChartResult {
  id: string
  /** Server-relative: `/v1/artifacts/<id>.png` and `.svg`. */
  paths: { png: string, svg: string }
  /** Pixel size of the rendered image (scale applied). */
  width: number
  height: number
  warnings: string[]
  /** True when no render ran for this call (stored earlier). */
  cached: boolean
}

export interface ChartService {
  create (input: ChartInput, options?: { signal?: AbortSignal }): Promise<ChartResult>
  /** The stored `<id>.<format>`, rendering it from the stored spec if only the other format exists; undefined if unknown. */
  artifact (id: string, format: ImageFormat, options?: { signal?: AbortSignal }): Promise<Artifact | undefined>
  /** Renders queued and running; undefined until the first render starts the pool (metrics). */
  renderQueue (): { queued: number, running: number } | undefined
  close (): Promise<void>
}

/** What is stored as `<id>.spec.json`: everything needed to render either format again. */
interface ChartRecipe { kind: SpecKind, theme: string, scale: number, specJson: string, warnings: string[] }

export const MIN_SCALE = 0.1
export const MAX_SCALE = 4
/** 128 bits of sha256 in base64url: collision-safe for a cache, short enough for a URL. */
const ID_CHARS = 22
export const CHART_ID = /^[A-Za-z0-9_-]{22}$/

const MIME: Record<ImageFormat, string> = { png: 'image/png', svg: 'image/svg+xml' }

export interface ChartServiceOptions {
  charts: Config['charts']
  store: ArtifactStore
  /** Default: a pool sized from `charts` (threads, queue, timeoutMs, heapMb), started on the first render. */
  pool?: RenderPool
  /** Timeout and size cap of allowlisted chart data loads (config.outbound). */
  outbound?: OutboundLimits
}

export function artifactPaths (id: string): { png: string, svg: string } {
  return { png: `/v1/artifacts/${id}.png`, svg: `/v1/artifacts/${id}.svg` }
}

function checkOptions (input: ChartInput): { format: ImageFormat, scale: number, theme: string | undefined } {
  const format = input.format ?? 'png'
  if (format !== 'png' && format !== 'svg') {
    throw new LivegateError('LG_ERR_RENDER_BAD_OPTION', `format must be png or svg, got ${JSON.stringify(format)}`)
  }
  const scale = input.scale ?? 1
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale < MIN_SCALE || scale > MAX_SCALE) {
    throw new LivegateError('LG_ERR_RENDER_BAD_OPTION', `scale must be a number from ${MIN_SCALE} to ${MAX_SCALE}, got ${JSON.stringify(scale)}`)
  }
  if (input.theme !== undefined && typeof input.theme !== 'string') {
    throw new LivegateError('LG_ERR_RENDER_BAD_OPTION', 'theme must be a string')
  }
  return { format, scale, theme: input.theme }
}

export function createChartService ({ charts, store, pool: given, outbound = DEFAULT_OUTBOUND_LIMITS }: ChartServiceOptions): ChartService {
  // Lazy: an app that never renders (most relay tests) never pays for workers importing vega.
  let pool = given
  let closed = false
  const getPool = (): RenderPool => {
    if (closed) throw new LivegateError('LG_ERR_RENDER_BUSY', 'the renderer is shutting down', { retryAfterSeconds: 5 })
    return (pool ??= createRenderPool(charts))
  }
  const version = rendererVersion()
  const work = createSharedWork<{ artifact: Artifact, warnings: string[] }>()

  function chartId (recipe: Omit<ChartRecipe, 'warnings'>): string {
    const hash = createHash('sha256')
    for (const part of [version, recipe.kind, recipe.theme, String(recipe.scale), recipe.specJson]) hash.update(part).update('\0')
    return hash.digest('base64url').slice(0, ID_CHARS)
  }

  async function renderAndStore (id: string, recipe: ChartRecipe, format: ImageFormat, signal: AbortSignal): Promise<{ artifact: Artifact, warnings: string[] }> {
    const image = await getPool().run({
      kind: recipe.kind,
      specJson: recipe.specJson,
      themeConfig: themeConfig(recipe.theme),
      format,
      scale: recipe.scale,
      maxRows: charts.maxRows,
      maxPixels: charts.maxPixels,
      urlAllowlist: charts.urlAllowlist,
      outbound,
    }, signal)
    const meta = await store.put(`${id}.${format}`, image.bytes, { mimeType: MIME[format], sourceKind: 'chart', width: image.width, height: image.height })
    if (await store.head(`${id}.spec.json`) === undefined) {
      await store.put(`${id}.spec.json`, Buffer.from(JSON.stringify({ ...recipe, warnings: image.warnings })), { mimeType: 'application/json', sourceKind: 'chart-spec' })
    }
    return { artifact: { bytes: image.bytes, meta }, warnings: image.warnings }
  }

  async function readRecipe (id: string): Promise<ChartRecipe | undefined> {
    const stored = await store.get(`${id}.spec.json`)
    if (stored === undefined) return undefined
    try { return JSON.parse(stored.bytes.toString('utf8')) as ChartRecipe } catch { return undefined }
  }

  return {
    async create (input, options = {}) {
      const { format, scale, theme: explicitTheme } = checkOptions(input)
      const spec = parseSpecInput(input.spec, charts.maxSpecBytes)
      const theme = pickTheme(explicitTheme, spec)
      assertTheme(theme)
      const kind = specKind(spec)
      assertRowLimit(spec, charts.maxRows)
      const recipe: ChartRecipe = { kind, theme, scale, specJson: canonicalJson(spec), warnings: [] }
      const id = chartId(recipe)
      const key = `${id}.${format}`

      const stored = await store.head(key)
      if (stored !== undefined) {
        const known = await readRecipe(id)
        return { id, paths: artifactPaths(id), width: stored.width ?? 0, height: stored.height ?? 0, warnings: known?.warnings ?? [], cached: true }
      }
      const { value, shared } = await work.run(key, async (signal) => await renderAndStore(id, recipe, format, signal), options.signal)
      return { id, paths: artifactPaths(id), width: value.artifact.meta.width ?? 0, height: value.artifact.meta.height ?? 0, warnings: value.warnings, cached: shared }
    },

    async artifact (id, format, options = {}) {
      if (!CHART_ID.test(id)) return undefined
      const key = `${id}.${format}`
      const stored = await store.get(key)
      if (stored !== undefined) return stored
      const recipe = await readRecipe(id)
      if (recipe === undefined) return undefined
      const { value } = await work.run(key, async (signal) => await renderAndStore(id, recipe, format, signal), options.signal)
      return value.artifact
    },

    renderQueue () {
      if (pool === undefined) return undefined
      const queued = pool.queued
      return { queued, running: Math.max(0, pool.pending - queued) }
    },

    async close () {
      closed = true
      await pool?.close()
    },
  }
}
