/**
 * @module maps/polyline
 * Google's Encoded Polyline Algorithm Format (1e-5 precision, lat before lng), as used by `path=enc:…`.
 * Written from the published algorithm (developers.google.com/maps/documentation/utilities/polylinealgorithm);
 * it is twenty lines, which does not justify a dependency.
 */
import type { LatLng } from './types.js'

/** Decode an encoded polyline; `undefined` when the text is not a complete, valid encoding. */
export function decodePolyline (text: string): LatLng[] | undefined {
  const points: LatLng[] = []
  let i = 0
  let lat = 0
  let lng = 0
  const next = (): number | undefined => {
    let result = 0
    let shift = 0
    for (;;) {
      if (i >= text.length) return undefined
      const b = text.charCodeAt(i++) - 63
      if (b < 0 || b > 63) return undefined
      result |= (b & 0x1f) << shift
      shift += 5
      if (b < 0x20) break
      if (shift > 30) return undefined
    }
    return (result & 1) !== 0 ? ~(result >> 1) : result >> 1
  }
  while (i < text.length) {
    const dlat = next()
    const dlng = next()
    if (dlat === undefined || dlng === undefined) return undefined
    lat += dlat
    lng += dlng
    points.push({ lat: lat / 1e5, lng: lng / 1e5 })
  }
  return points
}

/** Encode points as a polyline (used to keep re-serialised requests short). */
export function encodePolyline (points: readonly LatLng[]): string {
  let out = ''
  let plat = 0
  let plng = 0
  const put = (v: number): void => {
    let n = v < 0 ? ~(v << 1) : v << 1
    while (n >= 0x20) {
      out += String.fromCharCode((0x20 | (n & 0x1f)) + 63)
      n >>= 5
    }
    out += String.fromCharCode(n + 63)
  }
  for (const p of points) {
    const lat = Math.round(p.lat * 1e5)
    const lng = Math.round(p.lng * 1e5)
    put(lat - plat)
    put(lng - plng)
    plat = lat
    plng = lng
  }
  return out
}
