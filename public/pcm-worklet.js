/**
 * @module pcm-worklet
 * AudioWorklet processor for the microphone: resamples the context's rate to 16 kHz and posts 16-bit
 * little-endian PCM to the page in chunks of `chunkMs` (default 40 ms: small enough for barge-in, large enough
 * that a frame's JSON overhead stays small). Runs on the audio rendering thread, so it only converts and posts;
 * base64 and the socket live on the main thread.
 */
/* global sampleRate, registerProcessor, AudioWorkletProcessor */
import { StreamingResampler } from './resampler.js'
import { INPUT_RATE_HZ, floatToPcm16 } from './pcm.js'

class Pcm16Capture extends AudioWorkletProcessor {
  /** @param {{ processorOptions?: { chunkMs?: number } }} options */
  constructor (options) {
    super()
    const chunkMs = options.processorOptions?.chunkMs ?? 40
    this.resampler = new StreamingResampler(sampleRate, INPUT_RATE_HZ)
    this.chunk = new Float32Array(Math.round(INPUT_RATE_HZ * chunkMs / 1000))
    this.filled = 0
    this.stopped = false
    this.port.onmessage = (event) => {
      if (event.data === 'stop') {
        this.flush()
        this.stopped = true
        this.port.postMessage('stopped')
      }
    }
  }

  /** Send what is buffered, even a partial chunk (on stop, so the last syllable is not lost). */
  flush () {
    if (this.filled === 0) return
    const bytes = floatToPcm16(this.chunk.subarray(0, this.filled))
    this.port.postMessage(bytes.buffer, [bytes.buffer])
    this.filled = 0
  }

  /** @param {Float32Array[][]} inputs */
  process (inputs) {
    if (this.stopped) return false
    // Channel 0 of input 0; an unconnected or muted input arrives as an empty list, which is silence to skip.
    const mono = inputs[0]?.[0]
    if (mono === undefined || mono.length === 0) return true
    const resampled = this.resampler.push(mono)
    let offset = 0
    while (offset < resampled.length) {
      const take = Math.min(this.chunk.length - this.filled, resampled.length - offset)
      this.chunk.set(resampled.subarray(offset, offset + take), this.filled)
      this.filled += take
      offset += take
      if (this.filled === this.chunk.length) this.flush()
    }
    return true
  }
}

registerProcessor('pcm16-capture', Pcm16Capture)
