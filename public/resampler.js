/**
 * @module resampler
 * Streaming mono resampler for the microphone: the AudioContext runs at the device rate (often 48 kHz or
 * 44.1 kHz) and Gemini wants 16 kHz. Blocks of any size go in; the output is the same as resampling the whole
 * stream at once, because the filter state, the fractional read position and one carried-over sample survive
 * between blocks. Downsampling first runs a 6th-order Butterworth low-pass (three RBJ biquads) at 0.4 × the
 * output rate (6.4 kHz for 16 kHz: speech keeps its band), so sound above 8 kHz does not fold back as aliasing;
 * then it interpolates linearly.
 */

/** A second-order low-pass section (RBJ Audio EQ Cookbook), Direct Form I with its own state. */
class Biquad {
  /**
   * @param {number} rate
   * @param {number} cutoff
   * @param {number} q
   */
  constructor (rate, cutoff, q) {
    const w = 2 * Math.PI * cutoff / rate
    const alpha = Math.sin(w) / (2 * q)
    const cos = Math.cos(w)
    const a0 = 1 + alpha
    this.b0 = (1 - cos) / 2 / a0
    this.b1 = (1 - cos) / a0
    this.b2 = (1 - cos) / 2 / a0
    this.a1 = -2 * cos / a0
    this.a2 = (1 - alpha) / a0
    this.x1 = 0
    this.x2 = 0
    this.y1 = 0
    this.y2 = 0
  }

  /** @param {Float32Array} block filtered in place */
  run (block) {
    for (let i = 0; i < block.length; i++) {
      const x = block[i] ?? 0
      const y = this.b0 * x + this.b1 * this.x1 + this.b2 * this.x2 - this.a1 * this.y1 - this.a2 * this.y2
      this.x2 = this.x1
      this.x1 = x
      this.y2 = this.y1
      this.y1 = y
      block[i] = y
    }
  }
}

/** Q of the three sections of a 6th-order Butterworth filter. */
const BUTTERWORTH_6_Q = [0.5176381, 0.7071068, 1.9318517]
/** Low-pass cutoff as a fraction of the output rate (its Nyquist frequency is 0.5). */
const CUTOFF_FRACTION = 0.4

export class StreamingResampler {
  /**
   * @param {number} inRate
   * @param {number} outRate
   */
  constructor (inRate, outRate) {
    if (!(inRate > 0) || !(outRate > 0)) throw new RangeError(`invalid rates ${inRate} → ${outRate}`)
    this.inRate = inRate
    this.outRate = outRate
    /** Input samples per output sample. */
    this.step = inRate / outRate
    /** Where the next output sample falls, in input samples after `last` (which sits at position 0). */
    this.pos = 1
    /** The previous block's final (filtered) sample, the left neighbour for interpolation across blocks. */
    this.last = 0
    this.filters = inRate > outRate ? BUTTERWORTH_6_Q.map((q) => new Biquad(inRate, CUTOFF_FRACTION * outRate, q)) : []
  }

  /**
   * @param {Float32Array} input a block at `inRate`; not modified
   * @returns {Float32Array} the output samples this block completes, at `outRate`
   */
  push (input) {
    if (this.inRate === this.outRate) return input.slice()
    const block = input.slice()
    for (const f of this.filters) f.run(block)
    // Positions: 0 is `last`, k (1..n) is block[k - 1]. An output sample at p needs the samples at floor(p) and floor(p) + 1.
    const n = block.length
    const out = new Float32Array(Math.max(0, Math.ceil((n - this.pos) / this.step) + 1))
    let p = this.pos
    let count = 0
    // p <= n keeps both neighbours inside [last, block]: at p === n the fraction is 0 and no right neighbour is read.
    for (; p <= n && count < out.length; p += this.step, count++) {
      const k = Math.floor(p)
      const frac = p - k
      const left = k === 0 ? this.last : (block[k - 1] ?? 0)
      const right = frac === 0 ? left : (block[k] ?? 0)
      out[count] = left + (right - left) * frac
    }
    this.pos = p - n
    if (n > 0) this.last = block[n - 1] ?? 0
    return out.subarray(0, count)
  }
}
