/**
 * @module maps/render/basemap
 * The offline base map: Natural Earth land and country borders (world-atlas; 1:110m up to z2, 1:50m for z3–5,
 * 1:10m from z6) and US state lines (us-atlas) from z3. Geometry is projected once per resolution to zoom-0
 * world pixels (Float64Array rings with a bbox each), so a render only culls, scales and calls lineTo — the
 * "direct" engine of the reference prototype, 21–70 ms per 512² map including PNG encode.
 */
import { createRequire } from 'node:module'
import { feature, mesh } from 'topojson-client'
import type { Topology, GeometryCollection } from 'topojson-specification'
import type { SKRSContext2D } from 'canvas'
import { project, TILE_SIZE } from '../mercator.js'
import { lineTo, polygonTo } from './clip.js'

export const WATER = '#aadaff'
export const LAND = '#f2efe9'
const BORDER = '#a09a92'
const STATE_BORDER = '#c4bdb4'

interface Ring { readonly xy: Float64Array, readonly minX: number, readonly minY: number, readonly maxX: number, readonly maxY: number }
interface Layer { readonly land: readonly Ring[], readonly borders: readonly Ring[] }

export type Resolution = '110m' | '50m' | '10m'

export function resolutionFor (zoom: number): Resolution {
  return zoom <= 2 ? '110m' : zoom <= 5 ? '50m' : '10m'
}

const layers = new Map<string, Layer>()
let states: readonly Ring[] | undefined

/**
 * Quantized Natural Earth rings (Fiji, Chukotka) jump from +179.9° to −180° mid-ring; drawn raw, that jump is a
 * hairline across the whole map. Unwrap such jumps so the ring stays continuous (x may leave 0…256; `trace`
 * draws the shifted copies). Rings that circle the whole globe (Antarctica) keep their ±180° form.
 */
function unwrapLngs (coords: ReadonlyArray<readonly number[]>): number[] {
  const lngs: number[] = []
  let offset = 0
  coords.forEach((c, i) => {
    const lng = c[0] as number
    const prev = coords[i - 1]?.[0]
    if (prev !== undefined && Math.abs(lng - prev) > 180) offset += lng < prev ? 360 : -360
    lngs.push(lng + offset)
  })
  let lo = Infinity
  let hi = -Infinity
  for (const l of lngs) { if (l < lo) lo = l; if (l > hi) hi = l }
  const span = hi - lo
  return span > 350 ? coords.map((c) => c[0] as number) : lngs
}

function toRing (coords: ReadonlyArray<readonly number[]>): Ring {
  const xy = new Float64Array(coords.length * 2)
  const lngs = unwrapLngs(coords)
  let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity
  coords.forEach((c, i) => {
    const lat = c[1] as number
    const p = project({ lng: 0, lat })
    p.x = ((lngs[i] as number) + 180) / 360 * TILE_SIZE
    xy[2 * i] = p.x
    xy[2 * i + 1] = p.y
    if (p.x < minX) minX = p.x
    if (p.x > maxX) maxX = p.x
    if (p.y < minY) minY = p.y
    if (p.y > maxY) maxY = p.y
  })
  return { xy, minX, minY, maxX, maxY }
}

function ringsOf (geometry: { type: string } | null): Ring[] {
  if (geometry === null || !('coordinates' in geometry)) return []
  const c = geometry.coordinates as never
  switch (geometry.type) {
    case 'Polygon': return (c as number[][][]).map(toRing)
    case 'MultiPolygon': return (c as number[][][][]).flat().map(toRing)
    case 'LineString': return [toRing(c as number[][])]
    case 'MultiLineString': return (c as number[][][]).map(toRing)
    default: return []
  }
}

function load (res: Resolution): Layer {
  const cached = layers.get(res)
  if (cached !== undefined) return cached
  const require = createRequire(import.meta.url)
  const land = require(`world-atlas/land-${res}.json`) as Topology
  const countries = require(`world-atlas/countries-${res}.json`) as Topology
  const landFeature = feature(land, land.objects.land as GeometryCollection)
  const landRings = ('features' in landFeature ? landFeature.features : [landFeature]).flatMap((f) => ringsOf(f.geometry))
  const borderMesh = mesh(countries, countries.objects.countries as GeometryCollection, (a, b) => a !== b)
  const layer = { land: landRings, borders: ringsOf(borderMesh) }
  layers.set(res, layer)
  return layer
}

function loadStates (): readonly Ring[] {
  if (states === undefined) {
    const us = createRequire(import.meta.url)('us-atlas/states-10m.json') as Topology
    states = ringsOf(mesh(us, us.objects.states as GeometryCollection, (a, b) => a !== b))
  }
  return states
}

/** The visible window in zoom-0 world pixels. */
export interface Window { readonly x0: number, readonly y0: number, readonly k: number, readonly width: number, readonly height: number }

/**
 * Trace every ring that intersects the window, once per world copy the window shows (the world repeats
 * horizontally, so a view across the antimeridian draws the copy on each side).
 */
function trace (ctx: SKRSContext2D, rings: readonly Ring[], win: Window, closed: boolean): void {
  const x1 = win.x0 + win.width / win.k
  const y1 = win.y0 + win.height / win.k
  const pad = 2 / win.k
  for (let shift = Math.floor(win.x0 / TILE_SIZE) * TILE_SIZE - TILE_SIZE; shift < x1 + TILE_SIZE; shift += TILE_SIZE) {
    const affine = { dx: shift - win.x0, dy: -win.y0, k: win.k, width: win.width, height: win.height }
    for (const r of rings) {
      if (r.maxX + shift < win.x0 - pad || r.minX + shift > x1 + pad || r.maxY < win.y0 - pad || r.minY > y1 + pad) continue
      if (!closed) { lineTo(ctx, r.xy, affine); continue }
      const inside = r.minX + shift >= win.x0 && r.maxX + shift <= x1 && r.minY >= win.y0 && r.maxY <= y1
      polygonTo(ctx, r.xy, affine, inside)
    }
  }
}

/** Draw water, land, country borders and (from z3) US state lines. */
export function drawBasemap (ctx: SKRSContext2D, win: Window, zoom: number): void {
  const layer = load(resolutionFor(zoom))
  ctx.fillStyle = WATER
  ctx.fillRect(0, 0, win.width, win.height)
  ctx.beginPath()
  trace(ctx, layer.land, win, true)
  ctx.fillStyle = LAND
  ctx.fill('evenodd')
  ctx.lineJoin = 'round'
  if (zoom >= 3) {
    ctx.beginPath()
    trace(ctx, loadStates(), win, false)
    ctx.strokeStyle = STATE_BORDER
    ctx.lineWidth = 0.8
    ctx.setLineDash([4, 3])
    ctx.stroke()
    ctx.setLineDash([])
  }
  ctx.beginPath()
  trace(ctx, layer.borders, win, false)
  ctx.strokeStyle = BORDER
  ctx.lineWidth = zoom <= 2 ? 0.6 : 1
  ctx.stroke()
}

/**
 * Loads (once per worker) the coastlines and borders a draw at `zoom` needs, so the one-off parse of bundled data
 * is not counted against the draw's timeout.
 */
export function warmBasemap (zoom: number): void {
  load(resolutionFor(zoom))
  loadStates()
}
