/**
 * @module workers/release-pixels
 * @napi-rs/canvas keeps a canvas's surface and a decoded image's pixels in native memory and frees them only when
 * the JS wrapper is collected and its finalizer has run. V8 is not told about that memory, so in a render worker it
 * sees a small heap, seldom collects, and the process grew by a surface with every render: 1.6 GB after 1,600
 * five-film PNGs (bench/RESULTS.md, "Tools"). Workers free pixels as soon as the bytes are encoded.
 */

interface Sized { width: number, height: number }
interface Sourced { src: unknown, onload?: unknown, onerror?: unknown }

const EMPTY = Buffer.alloc(0)

/** Drop a canvas's surface now: a 0×0 size reallocates it empty. */
export function releaseCanvas (canvas: Sized): void {
  canvas.width = 0
  canvas.height = 0
}

/** Drop a decoded image's pixels now (its handlers first: an empty source reports an error). */
export function releaseImage (image: Sourced): void {
  image.onload = null
  image.onerror = null
  image.src = EMPTY
}
