/** Reading what the page sent: base64 PCM frames back to samples, and the pitch of a tone. */

/** Concatenate `realtimeInput.audio` frames into one 16-bit sample array. */
export function pcmOfAudioFrames (frames: ReadonlyArray<{ data: string }>): Int16Array {
  const bytes = Buffer.concat(frames.map((f) => Buffer.from(f.data, 'base64')))
  const samples = new Int16Array(bytes.length >> 1)
  for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(i * 2)
  return samples
}

/**
 * The frequency of a steady tone from upward zero crossings, counted only where the signal is loud (silence and
 * the noise floor would add crossings of their own). Measured in runs of at least 20 ms.
 */
export function pitchHz (samples: Int16Array, rate: number): number {
  const block = Math.round(rate / 50)
  let peak = 0
  for (const s of samples) peak = Math.max(peak, Math.abs(s))
  let crossings = 0
  let loudSamples = 0
  for (let start = 0; start + block <= samples.length; start += block) {
    let blockPeak = 0
    for (let i = start; i < start + block; i++) blockPeak = Math.max(blockPeak, Math.abs(samples[i] ?? 0))
    if (blockPeak < peak * 0.25) continue
    loudSamples += block
    for (let i = Math.max(1, start); i < start + block; i++) if ((samples[i - 1] ?? 0) < 0 && (samples[i] ?? 0) >= 0) crossings++
  }
  return loudSamples === 0 ? 0 : crossings / (loudSamples / rate)
}
