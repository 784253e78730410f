/**
 * @module pcm
 * 16-bit little-endian PCM and base64 helpers shared by the microphone (16 kHz out) and playback (24 kHz in).
 * Gemini Live speaks raw `audio/pcm;rate=N` (signed 16-bit LE, mono) in base64 inside JSON, both ways.
 * No DOM: the AudioWorklet and the Node tests import this file too.
 */

/** Rate Gemini expects for `realtimeInput.audio`. */
export const INPUT_RATE_HZ = 16000
/** Rate of the model's audio when the mime type does not say. */
export const OUTPUT_RATE_HZ = 24000
export const INPUT_MIME_TYPE = `audio/pcm;rate=${INPUT_RATE_HZ}`

/**
 * Floats in [-1, 1] to 16-bit little-endian PCM bytes (clamped; DataView so the byte order never depends on the CPU).
 * @param {Float32Array} samples
 * @returns {Uint8Array}
 */
export function floatToPcm16 (samples) {
  const bytes = new Uint8Array(samples.length * 2)
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i] ?? 0))
    view.setInt16(i * 2, s < 0 ? Math.round(s * 0x8000) : Math.round(s * 0x7fff), true)
  }
  return bytes
}

/**
 * 16-bit little-endian PCM bytes to floats in [-1, 1). A trailing odd byte is ignored.
 * @param {Uint8Array} bytes
 * @returns {Float32Array}
 */
export function pcm16ToFloat (bytes) {
  const count = Math.floor(bytes.length / 2)
  const out = new Float32Array(count)
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * 2)
  for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true) / 0x8000
  return out
}

/**
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function bytesToBase64 (bytes) {
  // String.fromCharCode over chunks: one call per byte is slow, one call for all bytes overflows the stack.
  const CHUNK = 0x8000
  let binary = ''
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode.apply(null, /** @type {number[]} */ (/** @type {unknown} */ (bytes.subarray(i, i + CHUNK))))
  }
  return btoa(binary)
}

/**
 * @param {string} base64
 * @returns {Uint8Array}
 */
export function base64ToBytes (base64) {
  const binary = atob(base64)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/**
 * The sample rate named in `audio/pcm;rate=24000`, or `fallback`.
 * @param {string | undefined} mimeType
 * @param {number} [fallback]
 * @returns {number}
 */
export function rateOf (mimeType, fallback = OUTPUT_RATE_HZ) {
  const match = /(?:^|;)\s*rate\s*=\s*(\d+)/i.exec(mimeType ?? '')
  const rate = match === null ? NaN : Number(match[1])
  return Number.isFinite(rate) && rate >= 3000 && rate <= 384000 ? rate : fallback
}
