/** Decode a PNG and read pixels, for semantic image checks ("the sea is blue here, the pin is orange there"). */
import { createCanvas, loadImage } from 'canvas'

export interface Pixels {
  readonly width: number
  readonly height: number
  at (x: number, y: number): [number, number, number, number]
}

export async function decodePng (bytes: Uint8Array): Promise<Pixels> {
  const img = await loadImage(Buffer.from(bytes))
  const canvas = createCanvas(img.width, img.height)
  const ctx = canvas.getContext('2d')
  ctx.drawImage(img, 0, 0)
  const data = ctx.getImageData(0, 0, img.width, img.height).data
  return {
    width: img.width,
    height: img.height,
    at (x, y) {
      const i = (Math.round(y) * img.width + Math.round(x)) * 4
      return [data[i] ?? -1, data[i + 1] ?? -1, data[i + 2] ?? -1, data[i + 3] ?? -1]
    },
  }
}

/** Every channel within `tolerance` of the expected colour. */
export function near (actual: readonly number[], expected: readonly number[], tolerance = 12): boolean {
  return expected.every((v, i) => Math.abs((actual[i] ?? -999) - v) <= tolerance)
}

export function hex (css: string): [number, number, number] {
  const n = parseInt(css.slice(1), 16)
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255]
}
