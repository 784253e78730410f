/**
 * @module maps/render-worker
 * Runs in a piscina worker thread, never on the relay's event loop: gazetteer lookups (a 0.3 s, 80 MB load on
 * first use) and map drawing (base map or tiles, then overlays, then PNG encode). Exports one function per
 * task name, as piscina's `name` option selects them.
 */
import { createCanvas, Image, type Canvas } from 'canvas'
import { workerData } from 'piscina'
import { lowerThisThread } from '../workers/priority.js'
import { releaseCanvas, releaseImage } from '../workers/release-pixels.js'
import { markStarted } from '../workers/start-deadline.js'
import { gazetteer, type Place } from './geocode.js'
import { drawBasemap, warmBasemap } from './render/basemap.js'
import { drawOverlays, PIN_SIZES } from './render/overlays.js'
import { drawPlaces, type Box } from './render/places.js'
import { pixelOf, project } from './mercator.js'
import type { MapScene } from './types.js'

lowerThisThread((workerData as { nice?: unknown } | undefined)?.nice)

export interface PlacedTile {
  /** Encoded image bytes (PNG/JPEG/WebP) as the tile server sent them. */
  readonly bytes: Uint8Array
  /** Top-left corner in logical image pixels. */
  readonly x: number
  readonly y: number
}

export type BaseLayer =
  | { readonly kind: 'offline' }
  | { readonly kind: 'tiles', readonly tiles: readonly PlacedTile[] }

export interface RenderTask {
  readonly scene: MapScene
  readonly base: BaseLayer
  /** Set by the pool: the worker writes ms since `submittedAt` (at least 1) when it starts drawing. */
  readonly started?: Int32Array
  readonly submittedAt?: number
}

export interface RenderOutput {
  readonly png: Uint8Array
  /** Tiles that could not be decoded (drawn as blank), by index into `base.tiles`. */
  readonly badTiles: readonly number[]
}

/** Look up addresses; `null` where the gazetteer has no answer. */
export function geocode (queries: readonly string[]): Array<Place | null> {
  const g = gazetteer()
  return queries.map((q) => g.lookup(q) ?? null)
}

async function decode (bytes: Uint8Array): Promise<Image | undefined> {
  const img = new Image()
  const loaded = new Promise<boolean>((resolve) => {
    img.onload = () => { resolve(true) }
    img.onerror = () => { resolve(false) }
  })
  img.src = bytes
  return await loaded ? img : undefined
}

/** Where pins will stand, so place names keep clear of them (and of the banner and attribution). */
function pinBoxes (scene: MapScene): Box[] {
  const boxes: Box[] = scene.pins.map((pin) => {
    const at = pixelOf(pin, scene)
    const { w, h } = PIN_SIZES[pin.size]
    return { x0: at.x - w / 2 - 1, y0: at.y - h - 1, x1: at.x + w / 2 + 1, y1: at.y + 1 }
  })
  boxes.push({ x0: scene.width - 200, y0: scene.height - 16, x1: scene.width, y1: scene.height })
  if (scene.banner !== undefined) boxes.push({ x0: 0, y0: 0, x1: scene.width, y1: 22 })
  return boxes
}

export async function render (task: RenderTask): Promise<RenderOutput> {
  if (task.base.kind === 'offline') warmBasemap(task.scene.zoom)
  if (task.started !== undefined) markStarted(task.started, task.submittedAt ?? Date.now())
  const { scene } = task
  const canvas = createCanvas(scene.width * scene.scale, scene.height * scene.scale)
  try {
    return await draw(canvas, task)
  } finally {
    releaseCanvas(canvas)
  }
}

async function draw (canvas: Canvas, { scene, base }: RenderTask): Promise<RenderOutput> {
  const ctx = canvas.getContext('2d')
  ctx.scale(scene.scale, scene.scale)
  const badTiles: number[] = []
  if (base.kind === 'offline') {
    const c = project(scene.center)
    const k = 2 ** scene.zoom
    const win = { x0: c.x - scene.width / 2 / k, y0: c.y - scene.height / 2 / k, k, width: scene.width, height: scene.height }
    drawBasemap(ctx, win, scene.zoom)
    drawPlaces(ctx, win, scene.zoom, pinBoxes(scene))
  } else {
    ctx.fillStyle = '#e5e3df'
    ctx.fillRect(0, 0, scene.width, scene.height)
    const images = await Promise.all(base.tiles.map(async (t) => await decode(t.bytes)))
    images.forEach((img, i) => {
      const t = base.tiles[i] as PlacedTile
      if (img === undefined) badTiles.push(i)
      else ctx.drawImage(img, t.x, t.y, 256, 256)
    })
    for (const img of images) if (img !== undefined) releaseImage(img)
  }
  drawOverlays(ctx, scene)
  const png = await canvas.encode('png')
  return { png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength), badTiles }
}
