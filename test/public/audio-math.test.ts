/**
 * The page's PCM and resampling code (public/pcm.js, public/resampler.js) is plain browser JavaScript with no
 * DOM use, so it runs under Node as is. Loaded by URL: the type checker does not read public/.
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'

interface PcmModule {
  INPUT_RATE_HZ: number
  INPUT_MIME_TYPE: string
  floatToPcm16 (samples: Float32Array): Uint8Array
  pcm16ToFloat (bytes: Uint8Array): Float32Array
  bytesToBase64 (bytes: Uint8Array): string
  base64ToBytes (base64: string): Uint8Array
  rateOf (mimeType: string | undefined, fallback?: number): number
}
interface Resampler { push (input: Float32Array): Float32Array }
interface ResamplerModule { StreamingResampler: new (inRate: number, outRate: number) => Resampler }

const publicUrl = (file: string): string => pathToFileURL(path.resolve(import.meta.dirname, '../../public', file)).href
const pcm = await import(publicUrl('pcm.js')) as PcmModule
const { StreamingResampler } = await import(publicUrl('resampler.js')) as ResamplerModule

function sine (rate: number, hz: number, seconds: number, amplitude = 0.5): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds))
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin(2 * Math.PI * hz * i / rate)
  return out
}

function rms (x: Float32Array, skip = 0): number {
  let sum = 0
  for (let i = skip; i < x.length; i++) sum += (x[i] ?? 0) ** 2
  return Math.sqrt(sum / Math.max(1, x.length - skip))
}

/** Upward zero crossings per second: the frequency of a clean tone. */
function frequency (x: Float32Array, rate: number, skip: number): number {
  let crossings = 0
  for (let i = skip + 1; i < x.length; i++) if ((x[i - 1] ?? 0) < 0 && (x[i] ?? 0) >= 0) crossings++
  return crossings / ((x.length - skip) / rate)
}

function resampleInBlocks (inRate: number, input: Float32Array, blockSizes: number[]): Float32Array {
  const r = new StreamingResampler(inRate, 16000)
  const chunks: Float32Array[] = []
  let offset = 0
  for (let i = 0; offset < input.length; i++) {
    const size = blockSizes[i % blockSizes.length] ?? 128
    chunks.push(r.push(input.subarray(offset, offset + size)))
    offset += size
  }
  const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) { out.set(c, at); at += c.length }
  return out
}

t.test('PCM 16-bit little-endian: byte order, clamping and round trip', async (t) => {
  const bytes = pcm.floatToPcm16(new Float32Array([0, 1, -1, 2, -2, 0.5]))
  t.same([...bytes.subarray(0, 6)], [0x00, 0x00, 0xff, 0x7f, 0x00, 0x80], '0, +max, -max in LE byte order')
  t.same([...bytes.subarray(6, 10)], [0xff, 0x7f, 0x00, 0x80], 'out-of-range samples are clamped, not wrapped')
  const back = pcm.pcm16ToFloat(bytes)
  t.equal(back.length, 6)
  t.ok(Math.abs((back[5] ?? 0) - 0.5) < 1e-4)
  t.equal(pcm.pcm16ToFloat(new Uint8Array([1, 2, 3])).length, 1, 'a trailing odd byte is ignored')
})

t.test('base64 matches Node for sizes around the chunking boundary', async (t) => {
  for (const size of [0, 1, 2, 3, 0x7fff, 0x8000, 0x8001, 100_000]) {
    const bytes = new Uint8Array(size).map((_, i) => (i * 131 + 7) & 0xff)
    const b64 = pcm.bytesToBase64(bytes)
    t.equal(b64, Buffer.from(bytes).toString('base64'), `encode ${size}`)
    t.same(Buffer.from(pcm.base64ToBytes(b64)), Buffer.from(bytes), `decode ${size}`)
  }
})

t.test('rateOf reads the rate from the mime type', async (t) => {
  t.equal(pcm.rateOf('audio/pcm;rate=24000'), 24000)
  t.equal(pcm.rateOf('audio/pcm; rate=16000'), 16000)
  t.equal(pcm.rateOf('audio/pcm'), 24000, 'Gemini output default')
  t.equal(pcm.rateOf(undefined, 16000), 16000)
  t.equal(pcm.rateOf('audio/pcm;rate=7'), 24000, 'an absurd rate falls back')
  t.equal(pcm.INPUT_MIME_TYPE, 'audio/pcm;rate=16000')
})

for (const inRate of [48000, 44100, 32000, 22050, 16000]) {
  t.test(`resampling ${inRate} Hz to 16 kHz keeps length, pitch and level`, async (t) => {
    const input = sine(inRate, 440, 1)
    const out = resampleInBlocks(inRate, input, [128])
    t.ok(Math.abs(out.length - 16000) <= 1, `one second in, one second out (${out.length} samples)`)
    const skip = 400 // the low-pass filter's start-up transient
    t.ok(Math.abs(frequency(out, 16000, skip) - 440) < 3, 'the tone keeps its pitch')
    t.ok(Math.abs(rms(out, skip) - 0.5 / Math.SQRT2) < 0.01, 'speech-band level is kept')
  })
}

t.test('block boundaries do not change the output', async (t) => {
  const input = sine(48000, 997, 0.5)
  const whole = resampleInBlocks(48000, input, [input.length])
  const ragged = resampleInBlocks(48000, input, [128, 1, 7, 500, 3, 2048])
  t.equal(ragged.length, whole.length)
  let worst = 0
  for (let i = 0; i < whole.length; i++) worst = Math.max(worst, Math.abs((whole[i] ?? 0) - (ragged[i] ?? 0)))
  t.ok(worst < 1e-5, `largest difference ${worst}`)
})

t.test('tones above 8 kHz do not fold back into the speech band', async (t) => {
  // 12 kHz at 48 kHz would alias to 4 kHz at 16 kHz without the low-pass filter.
  const out = resampleInBlocks(48000, sine(48000, 12000, 1), [128])
  const level = rms(out, 400) / (0.5 / Math.SQRT2)
  t.ok(level < 0.0316, `aliased energy is at most -30 dB (got ${(20 * Math.log10(level)).toFixed(1)} dB)`)
})

t.test('the top of the speech band (3.4 kHz) passes within 1 dB', async (t) => {
  const out = resampleInBlocks(48000, sine(48000, 3400, 1), [128])
  const db = 20 * Math.log10(rms(out, 400) / (0.5 / Math.SQRT2))
  t.ok(Math.abs(db) < 1, `level change ${db.toFixed(2)} dB`)
})
