/**
 * @module maps/params
 * The Google Maps Static API grammar → a typed `MapRequest`, from either a query string (REST:
 * `GET /v1/maps/staticmap?center=…&markers=…`) or the seed's `draw_map(center, zoom, path, markers[])` tool
 * arguments. Errors are `LG_ERR_MAP_INVALID_PARAM` and name the parameter, its index and the token:
 * `markers[1]: unknown color 'reddish' (use a name from black|…|white or 0xRRGGBB)`.
 *
 * @example
 * parseMapQuery('center=Sydney&zoom=12&markers=color:red|label:A|-33.86,151.21').markers[0].label === 'A'
 */
import { FORMATS, MAPTYPES, type Location, type MapFormat, type MapRequest, type MapType, type MarkerGroup, type PathSpec } from './types.js'
import { paramError, parseLocation, parseMarkers, parsePath, parseVisible, type Where } from './descriptors.js'

/** Google's documented URL limit (best-practices page: 16384 characters). */
const MAX_QUERY_CHARS = 16384
const DEFAULT_SIZE = 512
const MAX_SIZE = 640
/** Addresses to geocode per request, and points (markers, path vertices, visible) in all. */
const MAX_LOCATIONS = 512
const MAX_POINTS = 10000

/** Ignored without a note: credentials (livegate's own or Google's) and Google's legacy flags. */
const SILENT_PARAMS = new Set(['key', 'signature', 'access_token', 'client', 'channel', 'sensor', 'livegate_events'])

interface Collected {
  center?: string
  zoom?: string
  size?: string
  scale?: string
  format?: string
  maptype?: string
  language?: string
  region?: string
  map_id?: string
  markers: string[]
  path: string[]
  visible: string[]
  style: string[]
  unknown: string[]
}

const SINGLE = ['center', 'zoom', 'size', 'scale', 'format', 'maptype', 'language', 'region', 'map_id'] as const
type Single = typeof SINGLE[number]
const REPEATED = ['markers', 'path', 'visible', 'style'] as const
type Repeated = typeof REPEATED[number]

function collect (entries: Iterable<[string, string]>): Collected {
  const c: Collected = { markers: [], path: [], visible: [], style: [], unknown: [] }
  for (const [name, value] of entries) {
    if ((REPEATED as readonly string[]).includes(name)) c[name as Repeated].push(value)
    else if ((SINGLE as readonly string[]).includes(name)) {
      if (c[name as Single] !== undefined) throw paramError({ param: name, index: undefined }, `given more than once ('${value}')`, value)
      c[name as Single] = value
    } else if (!SILENT_PARAMS.has(name)) c.unknown.push(name)
  }
  return c
}

/** Parse a REST query string (with or without the leading `?`). */
export function parseMapQuery (query: string): MapRequest {
  const text = query.startsWith('?') ? query.slice(1) : query
  if (text.length > MAX_QUERY_CHARS) {
    throw paramError({ param: 'query', index: undefined }, `is ${text.length} characters; the Static Maps limit is ${MAX_QUERY_CHARS} (use enc: polylines for long paths)`)
  }
  return build(collect(new URLSearchParams(text)))
}

/**
 * Parse `draw_map` tool arguments (or a `POST /v1/maps` body): the seed's `center`, `zoom`, `path` (a string),
 * `markers` (an array of descriptor strings), plus any other Static Maps parameter under its own name.
 */
export function parseMapArgs (args: Readonly<Record<string, unknown>>): MapRequest {
  const entries: Array<[string, string]> = []
  for (const [name, value] of Object.entries(args)) {
    if (value === undefined || value === null) continue
    const values = Array.isArray(value) ? value : [value]
    if (Array.isArray(value) && !(REPEATED as readonly string[]).includes(name)) {
      throw paramError({ param: name, index: undefined }, 'must be a single value, not a list', JSON.stringify(value).slice(0, 80))
    }
    values.forEach((v, i) => {
      if (typeof v === 'number' && Number.isFinite(v)) entries.push([name, String(v)])
      // The seed's own draw_map defaults `path` to "": an empty value means "none", as it does for Google.
      else if (typeof v === 'string') { if (v.trim() !== '') entries.push([name, unescapePipes(v)]) }
      else if (name === 'markers' && isMarkerObject(v)) entries.push([name, markerDescriptor(v)])
      else throw paramError({ param: name, index: Array.isArray(value) ? i : undefined }, `must be a string, got ${JSON.stringify(v)?.slice(0, 80) ?? typeof v}`)
    })
  }
  return build(collect(entries))
}

interface MarkerObject { location: string, label?: unknown, color?: unknown, size?: unknown }

/** Some draw_map declarations in the wild describe markers as `{location, label, color}` objects. */
function isMarkerObject (v: unknown): v is MarkerObject {
  return typeof v === 'object' && v !== null && typeof (v as { location?: unknown }).location === 'string'
}

function markerDescriptor (m: MarkerObject): string {
  const styles = (['size', 'color', 'label'] as const)
    .filter((k) => typeof m[k] === 'string' && m[k] !== '')
    .map((k) => `${k}:${String(m[k])}`)
  return [...styles, m.location].join('|')
}

/** Models sometimes copy URL-encoded descriptors (`color:red%7Clabel:A%7C…`) into tool arguments. */
function unescapePipes (v: string): string {
  return v.replace(/%7C/gi, '|')
}

function build (c: Collected): MapRequest {
  const notes: string[] = c.unknown.map((n) => `ignored unknown parameter '${n}'`)
  const one = (param: string): Where => ({ param, index: undefined })
  const { width, height } = parseSize(c.size, notes)
  const markers: MarkerGroup[] = c.markers.map((v, i) => parseMarkers(v, { param: 'markers', index: i }, notes))
  const paths: PathSpec[] = c.path.map((v, i) => parsePath(v, { param: 'path', index: i }))
  const visible: Location[] = c.visible.flatMap((v, i) => parseVisible(v, { param: 'visible', index: c.visible.length > 1 ? i : undefined }))
  const center = c.center === undefined ? undefined : parseLocation(c.center, one('center'))
  const zoom = c.zoom === undefined ? undefined : parseZoom(c.zoom)
  const hasElements = markers.length > 0 || paths.length > 0 || visible.length > 0
  if (!hasElements && (center === undefined || zoom === undefined)) {
    const missing = center === undefined ? 'center' : 'zoom'
    throw paramError(one(missing), 'required when there are no markers, path or visible locations')
  }
  const total = markers.reduce((n, m) => n + m.locations.length, 0) + paths.reduce((n, p) => n + p.points.length, 0) + visible.length
  if (total > MAX_POINTS) throw paramError(one('query'), `has ${total} locations (at most ${MAX_POINTS})`)
  const addresses = [center, ...visible, ...markers.flatMap((m) => m.locations), ...paths.flatMap((p) => p.points)]
    .filter((l) => l?.kind === 'address').length
  if (addresses > MAX_LOCATIONS) throw paramError(one('query'), `has ${addresses} addresses to geocode (at most ${MAX_LOCATIONS}); send lat,lng`)
  return {
    center,
    zoom,
    width,
    height,
    scale: parseEnum(c.scale, ['1', '2'], 'scale', '1') === '2' ? 2 : 1,
    format: parseEnum(c.format, FORMATS, 'format', 'png') as MapFormat,
    maptype: parseEnum(c.maptype, MAPTYPES, 'maptype', 'roadmap') as MapType,
    language: parseCode(c.language, 'language', /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/),
    region: parseCode(c.region, 'region', /^[A-Za-z]{2}$/),
    markers,
    paths,
    visible,
    styles: c.style,
    mapId: parseCode(c.map_id, 'map_id', /^[A-Za-z0-9_-]{1,64}$/),
    notes,
  }
}

function parseZoom (text: string): number {
  const n = Number(text.trim())
  if (text.trim() === '' || !Number.isInteger(n) || n < 0 || n > 21) {
    throw paramError({ param: 'zoom', index: undefined }, `invalid zoom '${text}' (a whole number from 0 to 21)`, text)
  }
  return n
}

function parseSize (text: string | undefined, notes: string[]): { width: number, height: number } {
  if (text === undefined) return { width: DEFAULT_SIZE, height: DEFAULT_SIZE }
  const m = /^(\d{1,5})x(\d{1,5})$/.exec(text.trim())
  const w = Number(m?.[1])
  const h = Number(m?.[2])
  if (m === null || w < 1 || h < 1) throw paramError({ param: 'size', index: undefined }, `invalid size '${text}' (use {width}x{height}, e.g. 512x512)`, text)
  if (w > MAX_SIZE || h > MAX_SIZE) notes.push(`size ${w}x${h} clamped to ${Math.min(w, MAX_SIZE)}x${Math.min(h, MAX_SIZE)} (the Static Maps limit is ${MAX_SIZE}x${MAX_SIZE}; use scale=2 for more pixels)`)
  return { width: Math.min(w, MAX_SIZE), height: Math.min(h, MAX_SIZE) }
}

function parseEnum (text: string | undefined, allowed: readonly string[], param: string, fallback: string): string {
  if (text === undefined) return fallback
  const v = text.trim().toLowerCase()
  if (!allowed.includes(v)) throw paramError({ param, index: undefined }, `invalid ${param} '${text}' (use ${allowed.join('|')})`, text)
  return v
}

function parseCode (text: string | undefined, param: string, re: RegExp): string | undefined {
  if (text === undefined) return undefined
  if (!re.test(text.trim())) throw paramError({ param, index: undefined }, `invalid ${param} '${text}'`, text)
  return text.trim()
}
