/** Decode a PNG into RGBA pixels (with @napi-rs/canvas, the `canvas` alias) so tests can look at what a user sees. */
import { createCanvas, loadImage } from 'canvas'

export interface Pixels {
  width: number
  height: number
  data: Uint8ClampedArray
  at (x: number, y: number): [number, number, number, number]
}

export async function decodePng (png: Uint8Array): Promise<Pixels> {
  const image = await loadImage(Buffer.from(png.buffer, png.byteOffset, png.byteLength))
  const canvas = createCanvas(image.width, image.height)
  const ctx = canvas.getContext('2d')
  ctx.drawImage(image, 0, 0)
  const { data } = ctx.getImageData(0, 0, image.width, image.height)
  return {
    width: image.width,
    height: image.height,
    data,
    at (x, y) {
      const i = (Math.round(y) * image.width + Math.round(x)) * 4
      return [data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0, data[i + 3] ?? 0]
    },
  }
}

/** Pixels that differ from `colour` by more than `tolerance` in any channel. */
export function countUnlike (pixels: Pixels, colour: readonly number[], tolerance = 8): number {
  let n = 0
  for (let i = 0; i < pixels.data.length; i += 4) {
    for (let c = 0; c < 4; c++) {
      if (Math.abs((pixels.data[i + c] ?? 0) - (colour[c] ?? 255)) > tolerance) { n++; break }
    }
  }
  return n
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** Every channel within `tolerance` of the expected colour. */
export function near (actual: readonly number[], expected: readonly number[], tolerance = 12): boolean {
  return expected.every((v, i) => Math.abs((actual[i] ?? -999) - v) <= tolerance)
}

export function hex (css: string): [number, number, number] {
  const n = parseInt(css.slice(1), 16)
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255]
}
