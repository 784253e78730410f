/**
 * @module maps/scene
 * From a parsed `MapRequest` and the geocoder's answers to the `MapScene` the renderer draws: every location as
 * lat/lng, and the final centre and zoom (implicit positioning when either is absent). An address the gazetteer
 * cannot resolve is an error naming it and asking for `lat,lng` — never a silently wrong place.
 */
import { LivegateError } from '../errors.js'
import { fitView } from './mercator.js'
import type { LatLng, Location, MapRequest, MapScene, ScenePath, ScenePin } from './types.js'

export interface Resolved { readonly query: string, readonly lat: number, readonly lng: number }

/** Every address in the request, once each, in order of appearance, with where it was first seen. */
export function addressesOf (req: MapRequest): Array<{ query: string, where: string }> {
  const seen = new Map<string, string>()
  const add = (l: Location | undefined, where: string): void => {
    if (l?.kind === 'address' && !seen.has(l.query)) seen.set(l.query, where)
  }
  add(req.center, 'center')
  req.markers.forEach((m, i) => { for (const l of m.locations) add(l, `markers[${i}]`) })
  req.paths.forEach((p, i) => { for (const l of p.points) add(l, `path[${i}]`) })
  for (const l of req.visible) add(l, 'visible')
  return [...seen].map(([query, where]) => ({ query, where }))
}

/** Fail with every address the lookup could not resolve. */
export function assertResolved (addresses: ReadonlyArray<{ query: string, where: string }>, found: ReadonlyMap<string, LatLng>): void {
  const missing = addresses.filter((a) => !found.has(a.query))
  if (missing.length === 0) return
  const list = missing.map((a) => `'${a.query}' (${a.where})`).join(', ')
  throw new LivegateError('LG_ERR_MAP_GEOCODE_FAILED',
    `cannot resolve ${list}: this map provider only knows city and town names (optionally 'City, ST' or 'City, Country'); send ${missing.length === 1 ? 'this location' : 'these locations'} as 'lat,lng'`,
    { queries: missing.map((a) => a.query) })
}

export interface SceneOptions {
  readonly attribution: string
  /** Drawn at the top of the image when the final zoom is at least `bannerFromZoom`. */
  readonly banner?: { text: string, fromZoom: number }
}

interface SceneResult { scene: MapScene, notes: string[] }

export function buildScene (req: MapRequest, found: ReadonlyMap<string, LatLng>, options: SceneOptions): SceneResult {
  const at = (l: Location): LatLng => {
    if (l.kind === 'coords') return { lat: l.lat, lng: l.lng }
    const p = found.get(l.query)
    if (p === undefined) throw new LivegateError('LG_ERR_MAP_GEOCODE_FAILED', `cannot resolve '${l.query}'; send it as 'lat,lng'`)
    return { lat: p.lat, lng: p.lng }
  }
  const notes: string[] = []
  const pins: ScenePin[] = req.markers.flatMap((m) => m.locations.map((l) => ({ ...at(l), size: m.size, color: m.color, label: m.label })))
  const paths: ScenePath[] = req.paths.map((p) => ({ weight: p.weight, color: p.color, fillcolor: p.fillcolor, geodesic: p.geodesic, points: p.points.map(at) }))
  const visible = req.visible.map(at)
  let center = req.center === undefined ? undefined : at(req.center)
  let zoom = req.zoom
  if (center === undefined || zoom === undefined) {
    const points = [...pins, ...paths.flatMap((p) => p.points), ...visible]
    const fit = fitView(points, { width: req.width, height: req.height, center, zoom, topReservePx: pins.length > 0 ? undefined : 0 })
    if (fit.singlePoint && zoom === undefined) notes.push(`one location and no zoom: zoom ${fit.zoom} chosen (pass zoom to change it)`)
    center = fit.center
    zoom = fit.zoom
  }
  const banner = options.banner !== undefined && zoom >= options.banner.fromZoom ? options.banner.text : undefined
  const scene: MapScene = {
    center, zoom, width: req.width, height: req.height, scale: req.scale, pins, paths, attribution: options.attribution, banner,
  }
  return { scene, notes }
}

/** Notes for request features a provider that draws its own overlays cannot honour. */
export function unsupportedNotes (req: MapRequest): string[] {
  const notes: string[] = []
  if (req.maptype !== 'roadmap') notes.push(`maptype '${req.maptype}' is not available from this provider; drawn as roadmap`)
  if (req.styles.length > 0 || req.mapId !== undefined) notes.push('style and map_id are applied only by the Google provider; ignored')
  if (req.markers.some((m) => m.icon !== undefined)) notes.push('custom marker icons are drawn as default pins (icons are never fetched)')
  if (req.language !== undefined || req.region !== undefined) notes.push('language and region are applied only by the Google provider; ignored')
  return notes
}
