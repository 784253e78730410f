/**
 * @module charts/render
 * One render, start to finish, in whatever thread calls it (a pool worker in production): compile Vega-Lite with the
 * theme as config (the way vega-embed does), parse with `ast: true` and evaluate expressions with vega-interpreter (no
 * `Function()` code generation), run the dataflow with the locked loader, check rows and pixel size, then rasterise
 * with @napi-rs/canvas (the `canvas` alias) or serialise SVG. Refusals come back as data, not thrown errors, because
 * an Error loses its `code` when it crosses the worker boundary.
 */
import * as vega from 'vega'
import * as vl from 'vega-lite'
import { expressionInterpreter } from 'vega-interpreter'
import { releaseCanvas } from '../workers/release-pixels.js'
import type { ErrorCode } from '../errors.js'
import { createLockedLoader, type LockedLoader } from './locked-loader.js'
import { DEFAULT_OUTBOUND_LIMITS, type OutboundLimits } from '../net/outbound.js'
import { createUrlPolicy } from './url-policy.js'
import { checkDeclaredSizes, checkViewSize, guardSizeSignals, MAX_SIDE_PX, type SizeRefusal } from './size-guard.js'

export type ImageFormat = 'png' | 'svg'

export interface RenderTask {
  kind: 'vega-lite' | 'vega'
  /** The spec as JSON text (cheaper to pass to a worker than a cloned object tree). */
  specJson: string
  /** The theme's config (themes.ts), applied under the spec's own `config`. */
  themeConfig: Record<string, unknown>
  format: ImageFormat
  scale: number
  maxRows: number
  maxPixels: number
  urlAllowlist: readonly string[]
  /** Timeout and size cap of allowlisted loads (LIVEGATE_OUTBOUND_*); default 10 s and 20 MiB. */
  outbound?: OutboundLimits
}

export type RenderOutcome =
  | { ok: true, bytes: Uint8Array, width: number, height: number, warnings: string[] }
  | { ok: false, code: ErrorCode, detail: string, extra?: Record<string, unknown> }

const MAX_WARNINGS = 20

/** vega-expression's messages for code the interpreter will not run (measured: see test/charts/refusals.test.ts). */
const EXPRESSION_ERROR = /^(Illegal |Unrecognized function|Unrecognized signal name|Disabled\.|Expression parse error|Unexpected token|Unexpected end of input|Unterminated |Invalid regular expression)/

interface HeadlessView extends vega.View { _viewWidth: number, _viewHeight: number, _runtime: { data: Record<string, unknown> } }

/** Warnings that only mean "there is no browser here" (interactions bound to window events): noise to a model. */
const HEADLESS_NOISE = /^Can not resolve event source: window$/

function collector (warnings: string[]): vega.LoggerInterface {
  const push = (...args: readonly unknown[]): void => {
    const text = args.map(String).join(' ')
    if (warnings.length < MAX_WARNINGS && !HEADLESS_NOISE.test(text)) warnings.push(text)
  }
  const logger = {
    level (): number { return vega.Warn },
    error: push,
    warn: push,
    info: () => logger,
    debug: () => logger,
  }
  return logger as unknown as vega.LoggerInterface
}

function fail (code: ErrorCode, detail: string, extra?: Record<string, unknown>): RenderOutcome {
  return extra === undefined ? { ok: false, code, detail } : { ok: false, code, detail, extra }
}

function pixelRefusal (refusal: SizeRefusal, task: RenderTask): RenderOutcome {
  return fail('LG_ERR_RENDER_TOO_MANY_PIXELS', refusal.detail, { width: refusal.width, height: refusal.height, limit: task.maxPixels })
}

/** A load that was refused, or an allowed one that timed out or was too large: either ends the render. */
function loadOutcome (locked: LockedLoader): RenderOutcome | undefined {
  const failure = locked.failure()
  if (failure !== undefined) return fail(failure.code, failure.detail, failure.extra)
  const { refused, reasons } = locked
  if (refused.length === 0) return undefined
  const why = reasons.length > 0 ? ` (${reasons.join('; ')})` : ''
  return fail('LG_ERR_RENDER_LOAD_REFUSED',
    `external loads are refused${why}; inline the data with "data": {"values": [...]} instead of: ${refused.join(', ')}`,
    { refused })
}

export async function renderChart (task: RenderTask): Promise<RenderOutcome> {
  const locked = createLockedLoader({ policy: createUrlPolicy(task.urlAllowlist), allowlist: task.urlAllowlist, limits: task.outbound ?? DEFAULT_OUTBOUND_LIMITS })
  try {
    return await renderWith(task, locked)
  } finally {
    await locked.close()
  }
}

async function renderWith (task: RenderTask, locked: LockedLoader): Promise<RenderOutcome> {
  const warnings: string[] = []
  const logger = collector(warnings)
  const { loader } = locked
  let view: HeadlessView
  let guardRefusal: () => SizeRefusal | undefined
  const limits = { scale: task.scale, maxPixels: task.maxPixels }
  try {
    const spec = JSON.parse(task.specJson) as Record<string, unknown>
    let vgSpec: vega.Spec
    let config: vega.Config | undefined
    if (task.kind === 'vega-lite') {
      vgSpec = vl.compile(spec as unknown as vl.TopLevelSpec, { config: task.themeConfig as vl.Config, logger }).spec
    } else {
      vgSpec = spec as vega.Spec
      config = task.themeConfig as vega.Config
    }
    // Sizes first: what a spec declares is checked before Vega parses or allocates anything for it.
    const declaredRefusal = checkDeclaredSizes(vgSpec, limits)
    if (declaredRefusal !== undefined) return pixelRefusal(declaredRefusal, task)
    const runtime = vega.parse(vgSpec, config, { ast: true })
    view = new vega.View(runtime, { renderer: 'none', loader, logger, expr: expressionInterpreter }) as HeadlessView
    const viewRefusal = checkViewSize(view, limits)
    if (viewRefusal !== undefined) { view.finalize(); return pixelRefusal(viewRefusal, task) }
    guardRefusal = guardSizeSignals(view, limits)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    if (EXPRESSION_ERROR.test(message)) return fail('LG_ERR_RENDER_EXPRESSION', `expression refused: ${message}`)
    return fail('LG_ERR_RENDER_INVALID_SPEC', `invalid ${task.kind === 'vega' ? 'Vega' : 'Vega-Lite'} spec: ${message}`)
  }
  try {
    await view.runAsync()
  } catch (err) {
    view.finalize()
    const sized = guardRefusal()
    if (sized !== undefined) return pixelRefusal(sized, task)
    const loadFailed = loadOutcome(locked)
    if (loadFailed !== undefined) return loadFailed
    const message = err instanceof Error ? err.message : String(err)
    if (EXPRESSION_ERROR.test(message)) return fail('LG_ERR_RENDER_EXPRESSION', `expression refused: ${message}`)
    return fail('LG_ERR_RENDER_INVALID_SPEC', `chart failed to evaluate: ${message}`)
  }
  // Vega logs an operator's error and ends the pulse without rejecting: the size guard's refusal is read here.
  const sized = guardRefusal()
  if (sized !== undefined) { view.finalize(); return pixelRefusal(sized, task) }
  // Vega swallows loader errors into a warning and renders an empty chart; a refusal must reach the caller instead.
  const loadFailed = loadOutcome(locked)
  if (loadFailed !== undefined) { view.finalize(); return loadFailed }

  const rows = largestDataset(view)
  if (rows.count > task.maxRows) {
    view.finalize()
    return fail('LG_ERR_RENDER_TOO_MANY_ROWS', `dataset ${JSON.stringify(rows.name)} holds ${rows.count} rows after its transforms; the limit is ${task.maxRows}`, { limit: task.maxRows })
  }
  // The size is known once the dataflow ran (autosize, band steps) and must be checked before any pixel is allocated.
  const padding = view.padding() as { left: number, right: number, top: number, bottom: number }
  // Truncated as a canvas truncates its size, so PNG and SVG report the same pixels.
  const width = Math.floor((view._viewWidth + padding.left + padding.right) * task.scale)
  const height = Math.floor((view._viewHeight + padding.top + padding.bottom) * task.scale)
  if (!(width * height <= task.maxPixels) || width > MAX_SIDE_PX || height > MAX_SIDE_PX) {
    view.finalize()
    return fail('LG_ERR_RENDER_TOO_MANY_PIXELS',
      `the chart would be ${width}×${height} px at scale ${task.scale}; the limit is ${task.maxPixels} px in all and ${MAX_SIDE_PX} px a side`,
      { width, height, limit: task.maxPixels })
  }
  try {
    if (task.format === 'svg') {
      const svg = await view.toSVG(task.scale)
      // Image marks are loaded by the renderer (through `sanitize`), only now.
      const imageFailed = loadOutcome(locked)
      if (imageFailed !== undefined) return imageFailed
      return { ok: true, bytes: Buffer.from(svg), width, height, warnings }
    }
    const canvas = await view.toCanvas(task.scale) as unknown as { width: number, height: number, encodeSync (f: 'png'): Buffer }
    try {
      const imageFailed = loadOutcome(locked)
      if (imageFailed !== undefined) return imageFailed
      // Synchronous: this already runs off the main thread, and the async encode queues on libuv's thread pool
      // (measured 18 ms vs 7 ms for the five-film chart on a loaded host). A worker terminated mid-encode is safe with
      // @napi-rs/canvas (checked: terminate() during encodeSync of a 4096² canvas, process unharmed).
      const png = canvas.encodeSync('png')
      return { ok: true, bytes: png, width: canvas.width, height: canvas.height, warnings }
    } finally {
      releaseCanvas(canvas)
    }
  } catch (err) {
    return fail('LG_ERR_RENDER_INVALID_SPEC', `chart failed to render: ${err instanceof Error ? err.message : String(err)}`)
  } finally {
    view.finalize()
  }
}

function largestDataset (view: HeadlessView): { name: string, count: number } {
  let best = { name: '', count: 0 }
  for (const name of Object.keys(view._runtime.data)) {
    let values: unknown
    try { values = view.data(name) } catch { continue }
    if (Array.isArray(values) && values.length > best.count) best = { name, count: values.length }
  }
  return best
}
