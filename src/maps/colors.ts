/**
 * @module maps/colors
 * Google Static Maps colours: ten names or `0xRRGGBB`, plus `0xRRGGBBAA` where alpha is allowed (paths only;
 * "transparencies are supported in paths, though they are not supported for markers").
 */
import type { Rgba } from './types.js'

/**
 * Google's named colours. The RGB values are those of Google's default pins and paths as they appear in
 * rendered maps (the names are documented, the exact shades are not).
 */
const NAMED_COLORS: Readonly<Record<string, readonly [number, number, number]>> = {
  black: [0, 0, 0],
  brown: [165, 42, 42],
  green: [0, 160, 0],
  purple: [128, 0, 128],
  yellow: [255, 220, 0],
  blue: [0, 0, 255],
  gray: [128, 128, 128],
  orange: [255, 165, 0],
  red: [234, 67, 53],
  white: [255, 255, 255],
}

export const COLOR_NAMES = Object.keys(NAMED_COLORS).join('|')

const HEX_RE = /^0x([0-9a-f]{6})([0-9a-f]{2})?$/i

/** Parse a colour token; `undefined` when it is not one. `allowAlpha` admits the 32-bit form. */
export function parseColor (token: string, allowAlpha: boolean): Rgba | undefined {
  const lower = token.toLowerCase()
  const named = NAMED_COLORS[lower]
  if (named !== undefined) return { r: named[0], g: named[1], b: named[2], a: 255, name: lower }
  const m = HEX_RE.exec(token)
  if (m === null || m[1] === undefined) return undefined
  if (m[2] !== undefined && !allowAlpha) return undefined
  const rgb = parseInt(m[1], 16)
  return { r: (rgb >> 16) & 255, g: (rgb >> 8) & 255, b: rgb & 255, a: m[2] === undefined ? 255 : parseInt(m[2], 16) }
}

/** The token Google would accept for this colour (the name when one was used). */
export function formatColor (c: Rgba): string {
  if (c.name !== undefined) return c.name
  const hex = (n: number): string => n.toString(16).padStart(2, '0')
  return `0x${hex(c.r)}${hex(c.g)}${hex(c.b)}${c.a === 255 ? '' : hex(c.a)}`
}

/** CSS form for the canvas. */
export function cssColor (c: Rgba): string {
  return `rgba(${c.r},${c.g},${c.b},${(c.a / 255).toFixed(3)})`
}
