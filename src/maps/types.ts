/**
 * @module maps/types
 * The parsed form of a Google Maps Static API request (`MapRequest`) and the resolved form the renderer draws
 * (`MapScene`). Plain data only: scenes cross the worker boundary by structured clone.
 */

/** A colour with alpha, each channel 0–255. `name` keeps Google's colour name when one was used. */
export interface Rgba {
  readonly r: number
  readonly g: number
  readonly b: number
  readonly a: number
  readonly name?: string
}

export type Location =
  | { readonly kind: 'coords', readonly lat: number, readonly lng: number }
  | { readonly kind: 'address', readonly query: string }

export type MarkerSize = 'tiny' | 'small' | 'mid' | 'normal'
export const MARKER_SIZES: readonly MarkerSize[] = ['tiny', 'small', 'mid', 'normal']

export interface MarkerGroup {
  readonly size: MarkerSize
  readonly color: Rgba
  /** One character from A–Z or 0–9; Google draws it only on `normal` and `mid` pins. */
  readonly label: string | undefined
  /** Custom icon URL: passed to Google, drawn as a default pin by the other providers (never fetched). */
  readonly icon: string | undefined
  readonly anchor: string | undefined
  readonly locations: readonly Location[]
}

export interface PathSpec {
  readonly weight: number
  readonly color: Rgba
  readonly fillcolor: Rgba | undefined
  readonly geodesic: boolean
  readonly points: readonly Location[]
  /** Set when the points came from an `enc:` polyline, so re-serialising keeps the compact form. */
  readonly encoded: string | undefined
}

export const FORMATS = ['png', 'png8', 'png32', 'gif', 'jpg', 'jpg-baseline'] as const
export type MapFormat = typeof FORMATS[number]
export const MAPTYPES = ['roadmap', 'satellite', 'terrain', 'hybrid'] as const
export type MapType = typeof MAPTYPES[number]

export interface MapRequest {
  readonly center: Location | undefined
  readonly zoom: number | undefined
  readonly width: number
  readonly height: number
  readonly scale: 1 | 2
  readonly format: MapFormat
  readonly maptype: MapType
  readonly language: string | undefined
  readonly region: string | undefined
  readonly markers: readonly MarkerGroup[]
  readonly paths: readonly PathSpec[]
  readonly visible: readonly Location[]
  /** `style=` rules, kept verbatim for Google; the other providers ignore them (with a note). */
  readonly styles: readonly string[]
  readonly mapId: string | undefined
  /** Things the parser accepted but changed (e.g. a clamped size); they end up in the result's notes. */
  readonly notes: readonly string[]
}

export interface LatLng { readonly lat: number, readonly lng: number }

/** A marker after geocoding, ready to draw. */
export interface ScenePin extends LatLng {
  readonly size: MarkerSize
  readonly color: Rgba
  readonly label: string | undefined
}

export interface ScenePath {
  readonly weight: number
  readonly color: Rgba
  readonly fillcolor: Rgba | undefined
  readonly geodesic: boolean
  readonly points: readonly LatLng[]
}

/** What the renderer draws: every location resolved, centre and zoom final. Sizes are logical (before scale). */
export interface MapScene {
  readonly center: LatLng
  readonly zoom: number
  readonly width: number
  readonly height: number
  readonly scale: 1 | 2
  readonly pins: readonly ScenePin[]
  readonly paths: readonly ScenePath[]
  readonly attribution: string
  /** Drawn as a banner at the top when set (the offline provider's "schematic coastline" warning). */
  readonly banner: string | undefined
}
