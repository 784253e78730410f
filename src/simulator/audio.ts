/**
 * @module simulator/audio
 * Audio both ways. Out: 24 kHz 16-bit little-endian mono PCM, the format Gemini speaks (reference §1.3), synthesised
 * as a voice-like signal (a pitch contour with vowel formants per letter and short pauses at spaces and punctuation)
 * whose length follows the text. In: the sample rate from the mime type and a small energy VAD.
 */

export const OUTPUT_RATE = 24_000
export const OUTPUT_MIME = 'audio/pcm;rate=24000'
const INPUT_RATE_DEFAULT = 16_000

/** `audio/pcm;rate=16000` → 16000; bare `audio/pcm` (the cookbook's Python) → 16000. */
export function pcmRate (mimeType: unknown): number {
  if (typeof mimeType !== 'string') return INPUT_RATE_DEFAULT
  const match = /rate\s*=\s*(\d+)/i.exec(mimeType)
  const rate = match === null ? NaN : Number(match[1])
  return Number.isFinite(rate) && rate >= 1000 && rate <= 192_000 ? rate : INPUT_RATE_DEFAULT
}

// Speech synthesis -----------------------------------------------------------------------------------------------

const LETTER_MS = 62
const SPACE_MS = 45
const COMMA_MS = 160
const STOP_MS = 320
const MAX_HARMONICS = 16
const FORMANT_WIDTH_HZ = 130
const PEAK = 9000

/** First and second formants (Hz) of the vowel a letter suggests; consonants get a neutral, quieter shape. */
const VOWELS: Record<string, [number, number]> = {
  a: [730, 1090], e: [530, 1840], i: [300, 2250], o: [570, 840], u: [320, 900], y: [350, 2000],
}
const FRICATIVES = new Set(['s', 'f', 'h', 'x', 'z', 'c', 'j', 'v'])

interface Segment {
  /** First sample. */
  start: number
  length: number
  kind: 'vowel' | 'consonant' | 'fricative' | 'pause'
  f0: number
  weights: Float64Array
}

function harmonicWeights (f0: number, f1: number, f2: number): Float64Array {
  const weights = new Float64Array(MAX_HARMONICS)
  let sum = 0
  for (let k = 1; k <= MAX_HARMONICS; k++) {
    const f = k * f0
    const w = (Math.exp(-((f - f1) ** 2) / (2 * FORMANT_WIDTH_HZ ** 2)) +
      0.6 * Math.exp(-((f - f2) ** 2) / (2 * FORMANT_WIDTH_HZ ** 2)) + 0.08) / Math.sqrt(k)
    weights[k - 1] = w
    sum += w
  }
  for (let k = 0; k < MAX_HARMONICS; k++) weights[k] = (weights[k] as number) / sum
  return weights
}

function pauseMs (ch: string): number | undefined {
  if (ch === ' ' || ch === '\t') return SPACE_MS
  if (ch === ',' || ch === ';' || ch === ':' || ch === '(' || ch === ')') return COMMA_MS
  if (ch === '.' || ch === '!' || ch === '?' || ch === '\n') return STOP_MS
  return undefined
}

/**
 * A stateful synthesiser: `next(n)` renders the next n samples. The phase runs on across segments and chunks, so
 * chunk boundaries make no clicks. `textUntil(sample)` says which characters have been "spoken" by then, for
 * `outputTranscription`.
 */
export class SpeechSynth {
  readonly text: string
  readonly totalSamples: number
  readonly #segments: Segment[] = []
  /** Sample at which each character starts. */
  readonly #charStart: Int32Array
  #position = 0
  #segment = 0
  #phase = 0
  #noise = 0x2545f491
  #spokenChars = 0

  constructor (text: string) {
    this.text = text
    this.#charStart = new Int32Array(text.length)
    const samplesPer = (ms: number): number => Math.round(ms * OUTPUT_RATE / 1000)
    let at = 0
    const chars = [...text]
    let index = 0
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i] as string
      const lower = ch.toLowerCase()
      for (let u = 0; u < ch.length; u++) this.#charStart[index + u] = at
      index += ch.length
      const pause = pauseMs(ch)
      // A falling pitch over the utterance, a little lift at each word start, as read-aloud speech does.
      const progress = chars.length <= 1 ? 0 : i / (chars.length - 1)
      const wordStart = i === 0 || pauseMs(chars[i - 1] as string) !== undefined
      const f0 = 150 - 35 * progress + (wordStart ? 12 : 0)
      let segment: Segment
      if (pause !== undefined) {
        segment = { start: at, length: samplesPer(pause), kind: 'pause', f0, weights: new Float64Array(0) }
      } else if (lower in VOWELS) {
        const [f1, f2] = VOWELS[lower] as [number, number]
        segment = { start: at, length: samplesPer(LETTER_MS * 1.3), kind: 'vowel', f0, weights: harmonicWeights(f0, f1, f2) }
      } else if (FRICATIVES.has(lower)) {
        segment = { start: at, length: samplesPer(LETTER_MS), kind: 'fricative', f0, weights: harmonicWeights(f0, 400, 1600) }
      } else {
        segment = { start: at, length: samplesPer(LETTER_MS * 0.8), kind: 'consonant', f0, weights: harmonicWeights(f0, 450, 1500) }
      }
      this.#segments.push(segment)
      at += segment.length
    }
    this.totalSamples = at
  }

  get position (): number { return this.#position }
  get done (): boolean { return this.#position >= this.totalSamples }

  /** Render up to `count` samples as 16-bit little-endian PCM. */
  next (count: number): Buffer {
    const n = Math.max(0, Math.min(count, this.totalSamples - this.#position))
    const out = Buffer.allocUnsafe(n * 2)
    for (let i = 0; i < n; i++) {
      out.writeInt16LE(this.#sample(), i * 2)
      this.#position++
    }
    return out
  }

  /** The characters whose sound starts before `sample` and that were not returned before. */
  textUntil (sample: number): string {
    let end = this.#spokenChars
    while (end < this.text.length && ((this.#charStart[end] as number) < sample || sample >= this.totalSamples)) end++
    const delta = this.text.slice(this.#spokenChars, end)
    this.#spokenChars = end
    return delta
  }

  #sample (): number {
    while (this.#segment < this.#segments.length - 1) {
      const s = this.#segments[this.#segment] as Segment
      if (this.#position < s.start + s.length) break
      this.#segment++
    }
    const s = this.#segments[this.#segment]
    if (s === undefined || s.kind === 'pause') return 0
    this.#phase += 2 * Math.PI * s.f0 / OUTPUT_RATE
    if (this.#phase > 2 * Math.PI * 1000) this.#phase -= 2 * Math.PI * 1000
    let voiced = 0
    const weights = s.weights
    for (let k = 0; k < weights.length; k++) voiced += (weights[k] as number) * Math.sin((k + 1) * this.#phase)
    // 8 ms raised-cosine edges per segment: no clicks between letters.
    const t = this.#position - s.start
    const edge = Math.round(0.008 * OUTPUT_RATE)
    const envelope = t < edge ? 0.5 - 0.5 * Math.cos(Math.PI * t / edge)
      : t > s.length - edge ? 0.5 - 0.5 * Math.cos(Math.PI * Math.max(0, s.length - t) / edge) : 1
    let value: number
    if (s.kind === 'vowel') value = voiced
    else if (s.kind === 'consonant') value = 0.45 * voiced
    else value = 0.15 * voiced + 0.35 * this.#white()
    return Math.max(-32768, Math.min(32767, Math.round(PEAK * 3 * value * envelope)))
  }

  /** xorshift32 noise in [-1, 1), deterministic so the same text gives the same audio. */
  #white (): number {
    let x = this.#noise
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5
    this.#noise = x >>> 0
    return (this.#noise / 0x80000000) - 1
  }
}

/** Duration in ms of 16-bit mono PCM at `rate`. */
export function pcmDurationMs (bytes: number, rate: number): number {
  return (bytes / 2) * 1000 / rate
}

// Voice activity detection ---------------------------------------------------------------------------------------

const WINDOW_MS = 20
/** RMS over a 20 ms window above this (about −36 dBFS) is speech. */
const SPEECH_RMS = 500

export type VadEvent = { type: 'start' } | { type: 'end', speechMs: number }

/**
 * Energy VAD in 20 ms windows: the first loud window starts speech; `silenceMs` of quiet after speech ends it
 * (Gemini's `silenceDurationMs`, default about 500 ms).
 */
export class EnergyVad {
  readonly silenceMs: number
  #speaking = false
  #speechMs = 0
  #quietMs = 0

  constructor (silenceMs = 500) {
    this.silenceMs = silenceMs
  }

  get speaking (): boolean { return this.#speaking }
  get speechMs (): number { return this.#speechMs }

  /** Feed 16-bit little-endian PCM; returns the events it caused, in order. */
  push (pcm: Buffer, rate: number): VadEvent[] {
    const events: VadEvent[] = []
    const window = Math.max(1, Math.round(rate * WINDOW_MS / 1000))
    const samples = pcm.length >> 1
    for (let from = 0; from < samples; from += window) {
      const to = Math.min(samples, from + window)
      let sum = 0
      for (let i = from; i < to; i++) {
        const v = pcm.readInt16LE(i * 2)
        sum += v * v
      }
      const ms = (to - from) * 1000 / rate
      const loud = Math.sqrt(sum / (to - from)) > SPEECH_RMS
      if (loud) {
        if (!this.#speaking) {
          this.#speaking = true
          this.#speechMs = 0
          events.push({ type: 'start' })
        }
        this.#speechMs += this.#quietMs + ms
        this.#quietMs = 0
      } else if (this.#speaking) {
        this.#quietMs += ms
        if (this.#quietMs >= this.silenceMs) events.push(this.#end())
      }
    }
    return events
  }

  /** End the utterance now (`audioStreamEnd`, `activityEnd`); undefined when nobody was speaking. */
  flush (): VadEvent | undefined {
    return this.#speaking ? this.#end() : undefined
  }

  #end (): VadEvent {
    const speechMs = Math.round(this.#speechMs)
    this.#speaking = false
    this.#speechMs = 0
    this.#quietMs = 0
    return { type: 'end', speechMs }
  }
}
