/** Reading what the page sent: base64 PCM frames back to samples, and the pitch of a tone. */

/** Concatenate `realtimeInput.audio` frames into one 16-bit sample array. */
export function pcmOfAudioFrames (frames: ReadonlyArray<{ data: string }>): Int16Array {
  const bytes = Buffer.concat(frames.map((f) => Buffer.from(f.data, 'base64')))
  const samples = new Int16Array(bytes.length >> 1)
  for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(i * 2)
  return samples
}

/**
 * The frequency of a steady tone: the median period between upward zero crossings (placed between samples by
 * linear interpolation), over the loud parts only. The median shrugs off what a loaded machine does to a fake
 * capture device now and then (a dropped or zero-filled buffer), which a plain crossing count would not.
 */
export function pitchHz (samples: Int16Array, rate: number): number {
  let peak = 0
  for (const s of samples) peak = Math.max(peak, Math.abs(s))
  const crossings: number[] = []
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1] ?? 0
    const b = samples[i] ?? 0
    if (a < 0 && b >= 0) crossings.push(i - 1 + a / (a - b))
  }
  const periods: number[] = []
  for (let k = 1; k < crossings.length; k++) {
    const from = Math.floor(crossings[k - 1] ?? 0)
    const to = Math.ceil(crossings[k] ?? 0)
    let localPeak = 0
    for (let i = from; i <= to; i++) localPeak = Math.max(localPeak, Math.abs(samples[i] ?? 0))
    if (localPeak >= peak * 0.1) periods.push((crossings[k] ?? 0) - (crossings[k - 1] ?? 0))
  }
  if (periods.length === 0) return 0
  periods.sort((x, y) => x - y)
  return rate / (periods[periods.length >> 1] ?? Infinity)
}
