/**
 * @module maps/mercator
 * Google's Web Mercator pixel formula (spherical, world width 256·2^z px) and implicit positioning: the centre
 * and zoom that fit markers, paths and `visible` with margins, across the antimeridian. Google does not publish
 * its fitting rule ("generous margins"); this is the bbox → largest integer zoom approach of the reference (§2.4).
 */
import type { LatLng } from './types.js'

export const TILE_SIZE = 256
const MAX_ZOOM = 21
/** Google's latitude limit: sin(lat) is clamped to ±0.9999 (≈ ±85.0511°). */
const SIN_LIMIT = 0.9999
/**
 * Fraction of the image kept free on every side when fitting (Google's "generous margins"; its value is not
 * published). 8 % is the reference prototype's value: the 8 Australian capitals fit at z4 in 512×512.
 */
const FIT_MARGIN = 0.08
/** Height of a normal pin above its point: the top margin is at least this, so fitted pins are not cut. */
export const PIN_RESERVE_PX = 40
/** Zoom for an implicit fit of a single point, where there is no extent to fit (Google's choice is undocumented). */
const SINGLE_POINT_ZOOM = 15

export interface Point { x: number, y: number }

export function worldSize (zoom: number): number {
  return TILE_SIZE * 2 ** zoom
}

/** World pixel coordinates at zoom 0 (a 256 px world). Multiply by 2^z for zoom z. */
export function project (p: LatLng): Point {
  const s = Math.min(Math.max(Math.sin(p.lat * Math.PI / 180), -SIN_LIMIT), SIN_LIMIT)
  return {
    x: (p.lng + 180) / 360 * TILE_SIZE,
    y: (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * TILE_SIZE,
  }
}

export function unproject (pt: Point): LatLng {
  const lng = pt.x / TILE_SIZE * 360 - 180
  const lat = Math.atan(Math.sinh(Math.PI - 2 * Math.PI * pt.y / TILE_SIZE)) * 180 / Math.PI
  return { lat, lng: ((lng + 540) % 360) - 180 }
}

export interface Viewport {
  readonly center: LatLng
  readonly zoom: number
  readonly width: number
  readonly height: number
}

/**
 * Pixel of a location in an image (logical pixels; multiply by `scale` for scale=2). The location is placed on
 * the copy of the world nearest the centre, as Google places markers.
 */
export function pixelOf (p: LatLng, view: Viewport): Point {
  const W = worldSize(view.zoom)
  const c = project(view.center)
  const q = project(p)
  let dx = (q.x - c.x) * W / TILE_SIZE
  dx -= Math.round(dx / W) * W
  return { x: dx + view.width / 2, y: (q.y - c.y) * W / TILE_SIZE + view.height / 2 }
}

/** Metres per pixel at a latitude and zoom (for notes and tests). */
export function metresPerPixel (lat: number, zoom: number): number {
  return 156543.03392 * Math.cos(lat * Math.PI / 180) / 2 ** zoom
}

interface FitOptions {
  readonly width: number
  readonly height: number
  /** Keep this centre and only choose the zoom. */
  readonly center?: LatLng | undefined
  /** Keep this zoom and only choose the centre. */
  readonly zoom?: number | undefined
  readonly topReservePx?: number
}

interface Fit { center: LatLng, zoom: number, singlePoint: boolean }

/** The centre and/or zoom that show every point with margins. `points` must not be empty. */
export function fitView (points: readonly LatLng[], options: FitOptions): Fit {
  const bottom = options.height * FIT_MARGIN
  const top = Math.max(bottom, options.topReservePx ?? PIN_RESERVE_PX)
  const availW = options.width * (1 - 2 * FIT_MARGIN)
  const availH = Math.max(1, options.height - top - bottom)
  const pts = points.map(project)
  if (options.center !== undefined) {
    const c = project(options.center)
    let ratio = Infinity
    for (const q of pts) {
      let dx = q.x - c.x
      dx -= Math.round(dx / TILE_SIZE) * TILE_SIZE
      const dy = q.y - c.y
      if (dx !== 0) ratio = Math.min(ratio, availW / 2 / Math.abs(dx))
      if (dy < 0) ratio = Math.min(ratio, Math.max(1, options.height / 2 - top) / -dy)
      if (dy > 0) ratio = Math.min(ratio, Math.max(1, options.height / 2 - bottom) / dy)
    }
    const zoom = options.zoom ?? zoomFor(ratio)
    return { center: options.center, zoom, singlePoint: ratio === Infinity }
  }
  const { west, spanX } = circularSpan(pts.map((q) => q.x))
  let minY = Infinity
  let maxY = -Infinity
  for (const q of pts) { minY = Math.min(minY, q.y); maxY = Math.max(maxY, q.y) }
  const spanY = maxY - minY
  const singlePoint = spanX === 0 && spanY === 0
  const zoom = options.zoom ?? (singlePoint ? SINGLE_POINT_ZOOM : zoomFor(Math.min(availW / spanX, availH / spanY)))
  // Centre the box between the margins; the top one may be taller, to leave room for pins.
  const cy = (minY + maxY) / 2 - ((top - bottom) / 2) / 2 ** zoom
  const center = unproject({ x: west + spanX / 2, y: cy })
  return { center, zoom, singlePoint }
}

/** Largest integer zoom whose scale factor 2^z is at most `ratio`, within 0…21. */
function zoomFor (ratio: number): number {
  if (!Number.isFinite(ratio)) return SINGLE_POINT_ZOOM
  return Math.max(0, Math.min(MAX_ZOOM, Math.floor(Math.log2(ratio))))
}

/**
 * The smallest arc of the 256 px world circle holding all x values: the complement of the largest gap between
 * neighbours. This is what makes Fiji (178°E) + Samoa (172°W) a 10° span across the antimeridian, not 350°.
 */
export function circularSpan (xs: readonly number[]): { west: number, spanX: number } {
  const sorted = [...xs].sort((a, b) => a - b)
  const first = sorted[0] ?? 0
  const last = sorted[sorted.length - 1] ?? 0
  let maxGap = first + TILE_SIZE - last
  let west = first
  for (let i = 1; i < sorted.length; i++) {
    const gap = (sorted[i] as number) - (sorted[i - 1] as number)
    if (gap > maxGap) { maxGap = gap; west = sorted[i] as number }
  }
  return { west, spanX: TILE_SIZE - maxGap }
}
