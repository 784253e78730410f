/**
 * @module maps/render/clip
 * Emit projected rings to a canvas path, keeping only what can show. At zoom 12 the view is a few km wide, yet the
 * 1:10m Australia ring intersects it and holds tens of thousands of vertices: tracing all of them dominated the
 * render. Polygons are clipped to the (padded) image with Sutherland–Hodgman, which is exact for a convex clip
 * window; lines skip segments that lie wholly beyond one edge. Vertices closer than a quarter pixel to the last
 * one drawn are dropped (invisible, and most of a small-scale coastline at low zoom).
 */
import type { SKRSContext2D } from 'canvas'

/** Clip margin in px, so the clip edges themselves are never visible. */
const PAD = 4
const MIN_STEP_SQ = 0.25 * 0.25

interface Affine { readonly dx: number, readonly dy: number, readonly k: number, readonly width: number, readonly height: number }

let bufA = new Float64Array(1024)
let bufB = new Float64Array(1024)

function ensure (n: number): void {
  if (bufA.length < n) { bufA = new Float64Array(n * 2); bufB = new Float64Array(n * 2) }
}

/** One Sutherland–Hodgman pass against the half-plane `sign·(p[axis]) ≤ sign·limit`. Returns the new count. */
function pass (src: Float64Array, n: number, dst: Float64Array, axis: 0 | 1, limit: number, sign: 1 | -1): number {
  let m = 0
  if (n === 0) return 0
  let px = src[2 * (n - 1)] as number
  let py = src[2 * (n - 1) + 1] as number
  let pIn = sign * ((axis === 0 ? px : py) - limit) <= 0
  for (let i = 0; i < n; i++) {
    const cx = src[2 * i] as number
    const cy = src[2 * i + 1] as number
    const cIn = sign * ((axis === 0 ? cx : cy) - limit) <= 0
    if (cIn !== pIn) {
      const t = axis === 0 ? (limit - px) / (cx - px) : (limit - py) / (cy - py)
      dst[m++] = px + (cx - px) * t
      dst[m++] = py + (cy - py) * t
    }
    if (cIn) { dst[m++] = cx; dst[m++] = cy }
    px = cx; py = cy; pIn = cIn
  }
  return m / 2
}

/** Add one closed ring (zoom-0 coordinates in `xy`) to the current path, clipped to the image. */
export function polygonTo (ctx: SKRSContext2D, xy: Float64Array, a: Affine, insideOnly: boolean): void {
  const count = xy.length / 2
  ensure(count + 8)
  // Project to screen px, dropping sub-pixel steps.
  let n = 0
  let lx = NaN
  let ly = NaN
  for (let i = 0; i < count; i++) {
    const x = ((xy[2 * i] as number) + a.dx) * a.k
    const y = ((xy[2 * i + 1] as number) + a.dy) * a.k
    const ddx = x - lx
    const ddy = y - ly
    if (ddx * ddx + ddy * ddy < MIN_STEP_SQ) continue
    bufA[2 * n] = x; bufA[2 * n + 1] = y; n++; lx = x; ly = y
  }
  let src = bufA
  let dst = bufB
  if (!insideOnly) {
    const planes: Array<[0 | 1, number, 1 | -1]> = [[0, -PAD, -1], [0, a.width + PAD, 1], [1, -PAD, -1], [1, a.height + PAD, 1]]
    for (const [axis, limit, sign] of planes) {
      n = pass(src, n, dst, axis, limit, sign)
      const swap = src; src = dst; dst = swap
    }
  }
  if (n < 3) return
  ctx.moveTo(src[0] as number, src[1] as number)
  for (let i = 1; i < n; i++) ctx.lineTo(src[2 * i] as number, src[2 * i + 1] as number)
  ctx.closePath()
}

function outcode (x: number, y: number, a: Affine): number {
  return (x < -PAD ? 1 : 0) | (x > a.width + PAD ? 2 : 0) | (y < -PAD ? 4 : 0) | (y > a.height + PAD ? 8 : 0)
}

/** Add one open line to the current path, skipping segments that lie wholly beyond one image edge. */
export function lineTo (ctx: SKRSContext2D, xy: Float64Array, a: Affine): void {
  const count = xy.length / 2
  let px = ((xy[0] as number) + a.dx) * a.k
  let py = ((xy[1] as number) + a.dy) * a.k
  let pc = outcode(px, py, a)
  let penDown = false
  for (let i = 1; i < count; i++) {
    const x = ((xy[2 * i] as number) + a.dx) * a.k
    const y = ((xy[2 * i + 1] as number) + a.dy) * a.k
    const c = outcode(x, y, a)
    if ((pc & c) !== 0) {
      penDown = false
    } else {
      const ddx = x - px
      const ddy = y - py
      if (penDown && ddx * ddx + ddy * ddy < MIN_STEP_SQ && i < count - 1) continue
      if (!penDown) { ctx.moveTo(px, py); penDown = true }
      ctx.lineTo(x, y)
    }
    px = x; py = y; pc = c
  }
}
