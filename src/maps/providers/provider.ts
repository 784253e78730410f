/**
 * @module maps/providers/provider
 * The one interface every map provider meets, and the steps the self-drawing providers (tiles, offline) share:
 * geocode through the worker pool, build the scene, draw it in a worker.
 */
import type { MapPool } from '../pool.js'
import type { BaseLayer } from '../render-worker.js'
import { addressesOf, assertResolved, buildScene, unsupportedNotes, type Resolved, type SceneOptions } from '../scene.js'
import type { LatLng, MapRequest, MapScene } from '../types.js'

export type ProviderName = 'google' | 'tiles' | 'offline'

export interface Drawn {
  readonly png: Uint8Array
  /** Pixel size of the PNG (logical size × scale). */
  readonly width: number
  readonly height: number
  /** Final centre and zoom; null only when Google positioned the map from addresses livegate cannot resolve. */
  readonly center: LatLng | null
  readonly zoom: number | null
  readonly resolved: Resolved[]
  readonly notes: string[]
}

export interface MapProvider {
  readonly name: ProviderName
  /** What else decides the pixels (tile template, endpoint); part of the map id. */
  readonly cacheSalt: string
  draw (req: MapRequest, signal?: AbortSignal): Promise<Drawn>
}

/** Geocode every address with the bundled gazetteer; `strict` fails on the first unresolvable ones. */
export async function geocodeRequest (pool: MapPool, req: MapRequest, strict: boolean, signal?: AbortSignal): Promise<{ found: Map<string, LatLng>, resolved: Resolved[] }> {
  const addresses = addressesOf(req)
  const found = new Map<string, LatLng>()
  const resolved: Resolved[] = []
  if (addresses.length > 0) {
    const places = await pool.geocode(addresses.map((a) => a.query), signal)
    addresses.forEach((a, i) => {
      const p = places[i]
      if (p === null || p === undefined) return
      found.set(a.query, { lat: p.lat, lng: p.lng })
      resolved.push({ query: a.query, lat: p.lat, lng: p.lng })
    })
  }
  if (strict) assertResolved(addresses, found)
  return { found, resolved }
}

/** Geocode, fit, draw: the whole pipeline of a provider that draws its own overlays over `base(scene)`. */
export async function drawLocally (
  pool: MapPool,
  req: MapRequest,
  options: SceneOptions,
  base: (scene: MapScene, notes: string[]) => Promise<BaseLayer>,
  signal?: AbortSignal,
): Promise<Drawn> {
  const { found, resolved } = await geocodeRequest(pool, req, true, signal)
  const { scene, notes } = buildScene(req, found, options)
  const allNotes = [...req.notes, ...notes, ...unsupportedNotes(req)]
  const layer = await base(scene, allNotes)
  const out = await pool.render({ scene, base: layer }, signal)
  if (out.badTiles.length > 0) allNotes.push(`${out.badTiles.length} tile(s) could not be decoded and were left blank`)
  return {
    png: out.png,
    width: scene.width * scene.scale,
    height: scene.height * scene.scale,
    center: scene.center,
    zoom: scene.zoom,
    resolved,
    notes: allNotes,
  }
}
