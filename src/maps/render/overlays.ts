/**
 * @module maps/render/overlays
 * What is drawn over every base map, the same for tiles and offline: paths (straight in screen space, or
 * great-circle arcs when `geodesic:true`), filled polygons, Google-like pins in four sizes with labels on
 * normal and mid pins only, the attribution and an optional warning banner.
 */
import { geoDistance, geoInterpolate } from 'd3-geo'
import type { SKRSContext2D } from 'canvas'
import { cssColor } from '../colors.js'
import { pixelOf, worldSize, type Point, type Viewport } from '../mercator.js'
import type { LatLng, MapScene, MarkerSize, Rgba, ScenePath, ScenePin } from '../types.js'

/** Pin body sizes in logical px (Google does not publish them; these match its pins by eye). */
export const PIN_SIZES: Readonly<Record<MarkerSize, { w: number, h: number }>> = {
  normal: { w: 22, h: 36 },
  mid: { w: 17, h: 28 },
  small: { w: 12, h: 20 },
  tiny: { w: 8, h: 13 },
}
const FONT = 'sans-serif'
/** Vertices per radian of a geodesic arc (about one per degree). */
const GEODESIC_STEPS_PER_RADIAN = 57

/**
 * Screen points of a path. Each vertex goes on the world copy nearest the previous one, so a path across the
 * antimeridian stays continuous instead of running the long way round.
 */
function screenPath (points: readonly LatLng[], geodesic: boolean, view: Viewport): Point[] {
  const dense: LatLng[] = []
  points.forEach((p, i) => {
    const prev = points[i - 1]
    if (geodesic && prev !== undefined) {
      const a: [number, number] = [prev.lng, prev.lat]
      const b: [number, number] = [p.lng, p.lat]
      const steps = Math.max(1, Math.ceil(geoDistance(a, b) * GEODESIC_STEPS_PER_RADIAN))
      const at = geoInterpolate(a, b)
      for (let s = 1; s < steps; s++) { const q = at(s / steps); dense.push({ lng: q[0], lat: q[1] }) }
    }
    dense.push(p)
  })
  const W = worldSize(view.zoom)
  const out: Point[] = []
  for (const p of dense) {
    const q = pixelOf(p, view)
    const last = out[out.length - 1]
    if (last !== undefined) q.x -= Math.round((q.x - last.x) / W) * W
    out.push(q)
  }
  return out
}

function drawPath (ctx: SKRSContext2D, path: ScenePath, view: Viewport): void {
  const pts = screenPath(path.points, path.geodesic, view)
  const first = pts[0]
  if (first === undefined) return
  const trace = (close: boolean): void => {
    ctx.beginPath()
    ctx.moveTo(first.x, first.y)
    for (const p of pts.slice(1)) ctx.lineTo(p.x, p.y)
    if (close) ctx.closePath()
  }
  if (path.fillcolor !== undefined) {
    trace(true)
    ctx.fillStyle = cssColor(path.fillcolor)
    ctx.fill()
  }
  if (path.weight > 0 && path.color.a > 0) {
    trace(false)
    ctx.strokeStyle = cssColor(path.color)
    ctx.lineWidth = path.weight
    ctx.lineJoin = 'round'
    ctx.lineCap = 'round'
    ctx.stroke()
  }
}

function luminance (c: Rgba): number {
  return (0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b) / 255
}

function darker (c: Rgba): string {
  return `rgb(${Math.round(c.r * 0.6)},${Math.round(c.g * 0.6)},${Math.round(c.b * 0.6)})`
}

/** A teardrop pin whose tip is at (x, y): a round head joined to the tip by its two tangents. */
function drawPin (ctx: SKRSContext2D, pin: ScenePin, x: number, y: number): void {
  const { w, h } = PIN_SIZES[pin.size]
  const r = w / 2
  const cy = y - h + r
  const beta = Math.acos(r / (h - r))
  ctx.beginPath()
  ctx.moveTo(x, y)
  ctx.arc(x, cy, r, Math.PI / 2 + beta, Math.PI / 2 - beta + 2 * Math.PI)
  ctx.closePath()
  ctx.fillStyle = `rgb(${pin.color.r},${pin.color.g},${pin.color.b})`
  ctx.fill()
  ctx.strokeStyle = darker(pin.color)
  ctx.lineWidth = pin.size === 'tiny' ? 0.75 : 1
  ctx.stroke()
  const dark = luminance(pin.color) < 0.35
  if (pin.label !== undefined && (pin.size === 'normal' || pin.size === 'mid')) {
    ctx.fillStyle = dark ? '#ffffff' : '#000000'
    ctx.font = `bold ${Math.round(r * 1.15)}px ${FONT}`
    ctx.textAlign = 'center'
    ctx.textBaseline = 'middle'
    ctx.fillText(pin.label, x, cy + 0.5)
  } else if (pin.size !== 'tiny') {
    ctx.beginPath()
    ctx.arc(x, cy, r * 0.32, 0, 2 * Math.PI)
    ctx.fillStyle = dark ? 'rgba(255,255,255,0.85)' : darker(pin.color)
    ctx.fill()
  }
}

function drawTextBox (ctx: SKRSContext2D, text: string, x: number, y: number, align: 'left' | 'right', size: number, background: string): void {
  ctx.font = `${size}px ${FONT}`
  const width = ctx.measureText(text).width
  const pad = 3
  const left = align === 'right' ? x - width - 2 * pad : x
  ctx.fillStyle = background
  ctx.fillRect(left, y - size - pad, width + 2 * pad, size + 2 * pad)
  ctx.fillStyle = '#333333'
  ctx.textAlign = 'left'
  ctx.textBaseline = 'alphabetic'
  ctx.fillText(text, left + pad, y - 1)
}

/** Paths first, then pins from north to south so southern pins overlap northern ones, as Google stacks them. */
export function drawOverlays (ctx: SKRSContext2D, scene: MapScene): void {
  const view: Viewport = scene
  for (const path of scene.paths) drawPath(ctx, path, view)
  const placed = scene.pins.map((pin) => ({ pin, at: pixelOf(pin, view) })).sort((a, b) => a.at.y - b.at.y)
  for (const { pin, at } of placed) drawPin(ctx, pin, at.x, at.y)
  if (scene.attribution !== '') drawTextBox(ctx, scene.attribution, scene.width, scene.height, 'right', 10, 'rgba(255,255,255,0.75)')
  if (scene.banner !== undefined) drawTextBox(ctx, scene.banner, 0, 16, 'left', 11, 'rgba(255,243,205,0.92)')
}
