/**
 * @module maps/serialize
 * `MapRequest` → Google Static Maps query parameters. The Google provider sends exactly this (plus the key,
 * added at the last moment and never stored), and the map id hashes it, so equal maps share one artifact.
 */
import { formatColor } from './colors.js'
import type { Location, MapRequest, MarkerGroup, PathSpec } from './types.js'

function location (l: Location): string {
  return l.kind === 'coords' ? `${l.lat},${l.lng}` : l.query
}

function markers (m: MarkerGroup): string {
  const parts: string[] = []
  if (m.size !== 'normal') parts.push(`size:${m.size}`)
  parts.push(`color:${formatColor(m.color)}`)
  if (m.label !== undefined) parts.push(`label:${m.label}`)
  if (m.icon !== undefined) parts.push(`icon:${m.icon}`)
  if (m.anchor !== undefined) parts.push(`anchor:${m.anchor}`)
  return [...parts, ...m.locations.map(location)].join('|')
}

function path (p: PathSpec): string {
  const parts = [`weight:${p.weight}`, `color:${formatColor(p.color)}`]
  if (p.fillcolor !== undefined) parts.push(`fillcolor:${formatColor(p.fillcolor)}`)
  if (p.geodesic) parts.push('geodesic:true')
  if (p.encoded !== undefined) return `${parts.join('|')}|enc:${p.encoded}`
  return [...parts, ...p.points.map(location)].join('|')
}

/**
 * Canonical query parameters, in a fixed order. `format` is always a PNG form: livegate serves maps as PNG.
 */
export function toSearchParams (req: MapRequest): URLSearchParams {
  const q = new URLSearchParams()
  if (req.center !== undefined) q.append('center', location(req.center))
  if (req.zoom !== undefined) q.append('zoom', String(req.zoom))
  q.append('size', `${req.width}x${req.height}`)
  if (req.scale !== 1) q.append('scale', String(req.scale))
  q.append('format', req.format === 'png32' ? 'png32' : 'png')
  q.append('maptype', req.maptype)
  if (req.language !== undefined) q.append('language', req.language)
  if (req.region !== undefined) q.append('region', req.region)
  if (req.mapId !== undefined) q.append('map_id', req.mapId)
  for (const m of req.markers) q.append('markers', markers(m))
  for (const p of req.paths) q.append('path', path(p))
  if (req.visible.length > 0) q.append('visible', req.visible.map(location).join('|'))
  for (const s of req.styles) q.append('style', s)
  return q
}
