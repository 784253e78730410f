/**
 * @module charts/size-guard
 * The pixel limit, checked before the dataflow runs. Vega-Lite sizes its axes from the plot size (`tickCount:
 * ceil(width/40)`), so a 1e9 px wide chart allocates 25 million ticks inside `runAsync()` and runs the worker out of
 * heap long before the post-run pixel check could refuse it. Three layers, cheapest first:
 * 1. the view's own size after parse (`view.width()`, `height()`, `padding()`) times the scale;
 * 2. every size-like signal (`width`, `childWidth`, `concat_0_height`, …, at any depth of the compiled Vega spec, and
 *    group mark sizes) whose value or constant `update` expression is known before the run: one side, and the sum
 *    over all of them (concat and repeat children add up);
 * 3. a guard operator ranked right after each top-level size signal, so a size computed from data (a band `step`
 *    times the domain) is checked the moment it is known, and the pulse is aborted before anything downstream of it
 *    (axes, grids, layout) runs.
 */
import * as vega from 'vega'

/** Skia refuses (and cairo silently shrinks) surfaces past this side; the reference saw 1×1 PNGs at 40000². */
export const MAX_SIDE_PX = 16_384
/**
 * The sum of all declared widths (or heights) a spec may hold: a 16 × 16 grid of concat charts stays far below
 * it, while thousands of wide concat children (each under the side limit) cannot add up to millions of ticks.
 */
export const MAX_SIZE_SUM_PX = 16 * MAX_SIDE_PX

const SIZE_NAME = /(width|height)$/i

export interface SizeRefusal { detail: string, width: number, height: number }

interface Padding { left: number, right: number, top: number, bottom: number }
interface SignalOperator { value: unknown, rank: number }
interface GuardableView extends vega.View {
  _runtime: { signals: Record<string, SignalOperator> }
  add: (update: (params: Record<string, unknown>) => unknown, params: Record<string, unknown>) => { rank: number }
}

/** Limits for one render. */
export interface SizeLimits { scale: number, maxPixels: number }

function sideRefusal (what: string, px: number, limits: SizeLimits): SizeRefusal {
  const scaled = px * limits.scale
  return {
    detail: `${what} is ${px} px at scale ${limits.scale}; the limit is ${MAX_SIDE_PX} px a side and ${limits.maxPixels} px in all`,
    width: Number.isFinite(scaled) ? Math.floor(scaled) : scaled,
    height: 0,
  }
}

function okSide (px: number, limits: SizeLimits): boolean {
  // `!(… <= …)` also refuses NaN; negative sizes are Vega's problem, not a pixel risk.
  return px * limits.scale <= MAX_SIDE_PX
}

/** Layer 1: the top-level size the view declares, before its dataflow ran. */
export function checkViewSize (view: vega.View, limits: SizeLimits): SizeRefusal | undefined {
  const pad = view.padding() as Padding
  const width = Math.floor((view.width() + pad.left + pad.right) * limits.scale)
  const height = Math.floor((view.height() + pad.top + pad.bottom) * limits.scale)
  if (width * height <= limits.maxPixels && width <= MAX_SIDE_PX && height <= MAX_SIDE_PX) return undefined
  return {
    detail: `the chart would be at least ${width}×${height} px at scale ${limits.scale}; the limit is ${limits.maxPixels} px in all and ${MAX_SIDE_PX} px a side`,
    width,
    height,
  }
}

/**
 * A constant arithmetic expression (`"1e9"`, `"400 * 300"`) folded to its number; anything that reads a signal,
 * data or a function is left to layer 3 (undefined).
 */
export function constantValue (expr: string): number | undefined {
  let ast: unknown
  try { ast = vega.parseExpression(expr) } catch { return undefined }
  return fold(ast)
}

function fold (node: unknown): number | undefined {
  const n = node as { type?: string, value?: unknown, operator?: string, argument?: unknown, left?: unknown, right?: unknown }
  switch (n.type) {
    case 'Literal': return typeof n.value === 'number' ? n.value : undefined
    case 'UnaryExpression': {
      const v = fold(n.argument)
      return v === undefined ? undefined : n.operator === '-' ? -v : n.operator === '+' ? v : undefined
    }
    case 'BinaryExpression': {
      const a = fold(n.left)
      const b = fold(n.right)
      if (a === undefined || b === undefined) return undefined
      switch (n.operator) {
        case '+': return a + b
        case '-': return a - b
        case '*': return a * b
        case '/': return a / b
        default: return undefined
      }
    }
    default: return undefined
  }
}

/** The number a size property or signal declares, when it is known without running anything. */
function declared (value: unknown): number | undefined {
  if (typeof value === 'number') return value
  if (typeof value === 'object' && value !== null) {
    const v = value as { value?: unknown, update?: unknown }
    if (typeof v.value === 'number') return v.value
    if (typeof v.update === 'string') return constantValue(v.update)
  }
  return undefined
}

/** Every object of the compiled Vega spec except inline data (a row with a `width` field says nothing about pixels). */
function * layoutNodes (vgSpec: unknown): Generator<Record<string, unknown>> {
  const stack: unknown[] = [vgSpec]
  while (stack.length > 0) {
    const node = stack.pop()
    if (Array.isArray(node)) { for (const item of node) if (typeof item === 'object' && item !== null) stack.push(item); continue }
    if (typeof node !== 'object' || node === null) continue
    const obj = node as Record<string, unknown>
    yield obj
    for (const [key, value] of Object.entries(obj)) {
      if (key === 'values' || key === 'data' || key === 'datasets') continue
      if (typeof value === 'object' && value !== null) stack.push(value)
    }
  }
}

const isHeight = (name: string): boolean => /height$/i.test(name)

/**
 * Layer 2: walks the compiled Vega spec for size-like signals, top-level sizes and group mark `width`/`height`
 * encodings known before the run. Each must fit one side; and the group sizes are summed per axis, resolving the
 * signal they name, because Vega-Lite gives 200 equal concat children one shared `childWidth` signal.
 */
export function checkDeclaredSizes (vgSpec: unknown, limits: SizeLimits): SizeRefusal | undefined {
  const known = new Map<string, number>()
  for (const obj of layoutNodes(vgSpec)) {
    if (!Array.isArray(obj.signals)) continue
    for (const s of obj.signals as unknown[]) {
      const name = (s as { name?: unknown } | null)?.name
      if (typeof name !== 'string' || !SIZE_NAME.test(name)) continue
      const px = declared(s)
      if (px === undefined) continue
      if (!okSide(px, limits)) return sideRefusal(`signal ${JSON.stringify(name.slice(0, 64))}`, px, limits)
      known.set(name, px)
    }
  }
  const sums = { width: 0, height: 0 }
  for (const obj of layoutNodes(vgSpec)) {
    for (const key of ['width', 'height'] as const) {
      if (!(key in obj)) continue
      const value = obj[key]
      const ref = (value as { signal?: unknown } | null)?.signal
      const px = typeof ref === 'string' ? known.get(ref) : declared(value)
      if (px === undefined) continue
      if (!okSide(px, limits)) return sideRefusal(key, px, limits)
      if (px > 0) sums[isHeight(key) ? 'height' : 'width'] += px
    }
  }
  if (sums.width * limits.scale <= MAX_SIZE_SUM_PX && sums.height * limits.scale <= MAX_SIZE_SUM_PX) return undefined
  return {
    detail: `the spec lays out ${sums.width} px of widths and ${sums.height} px of heights in all at scale ${limits.scale}; the limit is ${MAX_SIZE_SUM_PX} px each`,
    width: Math.floor(sums.width * limits.scale),
    height: Math.floor(sums.height * limits.scale),
  }
}

/**
 * Layer 3: adds a guard operator after each top-level size-like signal. When one of them evaluates past the side
 * limit, the guard records the refusal and throws, which makes Vega clear the pulse queue: nothing that depends on
 * that size runs. The caller reads `refusal()` after `runAsync()`.
 */
export function guardSizeSignals (view: vega.View, limits: SizeLimits): () => SizeRefusal | undefined {
  let refused: SizeRefusal | undefined
  const v = view as GuardableView
  for (const [name, op] of Object.entries(v._runtime.signals)) {
    if (!SIZE_NAME.test(name)) continue
    const guard = v.add((params) => {
      const px = params.size
      if (typeof px === 'number' && !okSide(px, limits)) {
        refused ??= sideRefusal(`signal ${JSON.stringify(name.slice(0, 64))}`, px, limits)
        throw new Error(refused.detail)
      }
      return undefined
    }, { size: op })
    // Between the signal and its first dependant (ranks are integers), so it runs before the axes that read it.
    guard.rank = op.rank + 0.5
  }
  return () => refused
}
