/**
 * @module maps/descriptors
 * The `|`-separated descriptors of Google Static Maps: locations, `markers=` and `path=` (styles first, then
 * locations; `enc:` takes the rest of the value). Every error names the parameter, its index and the token.
 */
import { LivegateError } from '../errors.js'
import { COLOR_NAMES, parseColor } from './colors.js'
import { decodePolyline } from './polyline.js'
import { MARKER_SIZES, type Location, type MarkerGroup, type MarkerSize, type PathSpec, type Rgba } from './types.js'

/** Where a value came from, for error messages: `markers[1]`, `path[0]`, `center`. */
export interface Where {
  readonly param: string
  readonly index: number | undefined
}

const DEFAULT_MARKER_COLOR: Rgba = { r: 234, g: 67, b: 53, a: 255, name: 'red' }
/** Google's default path: blue, slightly transparent, 5 px (the weight is documented, the colour is not). */
const DEFAULT_PATH_COLOR: Rgba = { r: 0, g: 0, b: 255, a: 0xbf }
const DEFAULT_PATH_WEIGHT = 5
const MAX_PATH_WEIGHT = 64
const ANCHORS = ['top', 'bottom', 'left', 'right', 'center', 'topleft', 'topright', 'bottomleft', 'bottomright']

function label (where: Where): string {
  return where.index === undefined ? where.param : `${where.param}[${where.index}]`
}

export function paramError (where: Where, message: string, token?: string): LivegateError {
  return new LivegateError('LG_ERR_MAP_INVALID_PARAM', `${label(where)}: ${message}`, {
    param: where.param,
    ...(where.index === undefined ? {} : { index: where.index }),
    ...(token === undefined ? {} : { token }),
  })
}

const COORDS_RE = /^\s*([+-]?\d+(?:\.\d*)?|[+-]?\.\d+)\s*,\s*([+-]?\d+(?:\.\d*)?|[+-]?\.\d+)\s*$/

/** `lat,lng` or an address. Numbers out of range are an error, never an address. */
export function parseLocation (token: string, where: Where): Location {
  const text = token.trim()
  if (text === '') throw paramError(where, 'empty location', token)
  const m = COORDS_RE.exec(text)
  if (m !== null) {
    const lat = Number(m[1])
    const lng = Number(m[2])
    if (!(lat >= -90 && lat <= 90)) throw paramError(where, `invalid location '${text}' (latitude must be between -90 and 90)`, text)
    if (!(lng >= -180 && lng <= 180)) throw paramError(where, `invalid location '${text}' (longitude must be between -180 and 180)`, text)
    return { kind: 'coords', lat, lng }
  }
  if (/^place_id:/i.test(text)) throw paramError(where, `place_id locations are not supported ('${text}'); send lat,lng or an address`, text)
  if (text.length > 200) throw paramError(where, `address is ${text.length} characters (at most 200)`, text.slice(0, 40))
  return { kind: 'address', query: text }
}

/** A style token is `key:value` with a known key; anything else starts the locations. */
function styleKey (token: string, keys: readonly string[]): string | undefined {
  const m = /^([a-z]+):/i.exec(token)
  if (m === null || m[1] === undefined) return undefined
  const key = m[1].toLowerCase()
  return keys.includes(key) ? key : undefined
}

const MARKER_KEYS = ['size', 'color', 'label', 'icon', 'anchor', 'scale']

export function parseMarkers (value: string, where: Where, notes: string[]): MarkerGroup {
  let size: MarkerSize = 'normal'
  let color = DEFAULT_MARKER_COLOR
  let markerLabel: string | undefined
  let icon: string | undefined
  let anchor: string | undefined
  const locations: Location[] = []
  for (const token of value.split('|')) {
    if (token.trim() === '') continue
    const key = locations.length === 0 ? styleKey(token, MARKER_KEYS) : undefined
    const arg = token.slice(token.indexOf(':') + 1)
    switch (key) {
      case 'size':
        if (!(MARKER_SIZES as readonly string[]).includes(arg) || arg === 'normal') {
          throw paramError(where, `unknown size '${arg}' (use tiny|mid|small, or omit it for normal)`, arg)
        }
        size = arg as MarkerSize
        break
      case 'color': {
        const c = parseColor(arg, false)
        if (c === undefined) throw paramError(where, `unknown color '${arg}' (use a name from ${COLOR_NAMES} or 0xRRGGBB)`, arg)
        color = c
        break
      }
      case 'label':
        if (!/^[A-Z0-9]$/.test(arg)) throw paramError(where, `invalid label '${arg}' (one uppercase letter A-Z or digit 0-9)`, arg)
        markerLabel = arg
        break
      case 'icon':
        if (!/^https?:\/\//i.test(decodeURIComponentSafe(arg))) throw paramError(where, `invalid icon '${arg}' (an http(s) URL)`, arg)
        icon = arg
        break
      case 'anchor':
        if (!ANCHORS.includes(arg) && !/^\d+,\d+$/.test(arg)) throw paramError(where, `invalid anchor '${arg}' (x,y or ${ANCHORS.join('|')})`, arg)
        anchor = arg
        break
      case 'scale':
        if (!['1', '2', '4'].includes(arg)) throw paramError(where, `invalid scale '${arg}' (1, 2 or 4)`, arg)
        break
      default:
        if (locations.length === 0 && /^[a-z]+:[^/]/i.test(token) && !/^place_id:/i.test(token)) {
          throw paramError(where, `unknown style '${token}' (use ${MARKER_KEYS.join(', ')}; styles come before locations)`, token)
        }
        locations.push(parseLocation(token, where))
    }
  }
  if (locations.length === 0) throw paramError(where, 'no location (a markers value ends with one or more locations)', value)
  if (markerLabel !== undefined && (size === 'tiny' || size === 'small')) {
    notes.push(`${label(where)}: label '${markerLabel}' not drawn: Google draws labels only on normal and mid markers`)
  }
  return { size, color, label: markerLabel, icon, anchor, locations }
}

function decodeURIComponentSafe (s: string): string {
  try { return decodeURIComponent(s) } catch { return s }
}

const PATH_KEYS = ['weight', 'color', 'fillcolor', 'geodesic']

export function parsePath (value: string, where: Where): PathSpec {
  let weight = DEFAULT_PATH_WEIGHT
  let color = DEFAULT_PATH_COLOR
  let fillcolor: Rgba | undefined
  let geodesic = false
  const points: Location[] = []
  let encoded: string | undefined
  let rest = value
  while (rest !== '') {
    const bar = rest.indexOf('|')
    const token = bar < 0 ? rest : rest.slice(0, bar)
    if (points.length === 0 && token.startsWith('enc:')) {
      // The polyline alphabet includes '|', so `enc:` takes the rest of the value.
      encoded = rest.slice(4)
      break
    }
    rest = bar < 0 ? '' : rest.slice(bar + 1)
    if (token.trim() === '') continue
    const key = points.length === 0 ? styleKey(token, PATH_KEYS) : undefined
    const arg = token.slice(token.indexOf(':') + 1)
    switch (key) {
      case 'weight':
        if (!/^\d+$/.test(arg) || Number(arg) > MAX_PATH_WEIGHT) throw paramError(where, `invalid weight '${arg}' (a whole number of pixels, 0-${MAX_PATH_WEIGHT})`, arg)
        weight = Number(arg)
        break
      case 'color':
      case 'fillcolor': {
        const c = parseColor(arg, true)
        if (c === undefined) throw paramError(where, `unknown ${key} '${arg}' (use a name from ${COLOR_NAMES}, 0xRRGGBB or 0xRRGGBBAA)`, arg)
        if (key === 'color') color = c
        else fillcolor = c
        break
      }
      case 'geodesic':
        if (arg !== 'true' && arg !== 'false') throw paramError(where, `invalid geodesic '${arg}' (true or false)`, arg)
        geodesic = arg === 'true'
        break
      default:
        if (points.length === 0 && /^[a-z]+:[^/]/i.test(token) && !/^place_id:/i.test(token)) {
          throw paramError(where, `unknown style '${token}' (use ${PATH_KEYS.join(', ')}; styles come before points)`, token)
        }
        points.push(parseLocation(token, where))
    }
  }
  if (encoded !== undefined) {
    const decoded = decodePolyline(encoded)
    if (decoded === undefined) throw paramError(where, `invalid encoded polyline 'enc:${encoded.slice(0, 40)}'`, `enc:${encoded.slice(0, 40)}`)
    for (const p of decoded) points.push(parseLocation(`${p.lat},${p.lng}`, where))
  }
  if (points.length < 2) throw paramError(where, `needs two or more points, got ${points.length}`, value.slice(0, 80))
  return { weight, color, fillcolor, geodesic, points, encoded }
}

/** `visible=loc|loc|…` */
export function parseVisible (value: string, where: Where): Location[] {
  const out: Location[] = []
  for (const token of value.split('|')) if (token.trim() !== '') out.push(parseLocation(token, where))
  return out
}
