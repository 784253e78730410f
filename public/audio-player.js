/**
 * @module audio-player
 * Gap-free playback of the model's PCM chunks. Each chunk becomes an AudioBufferSourceNode started exactly when
 * the previous one ends, on the one AudioContext clock (`nextStartTime`), so chunks neither overlap nor leave
 * gaps however the network bunches them. If the queue has run dry, the next chunk starts after a
 * short lead so its first samples are not cut. `interrupt()` stops every scheduled node at once: what the model
 * said after the user barged in is never heard.
 */
import { base64ToBytes, pcm16ToFloat, rateOf } from './pcm.js'

/** Delay before the first chunk after silence, so scheduling never lands in the past (20 ms). */
const START_LEAD_S = 0.02

export class AudioPlayer {
  constructor () {
    /** @type {AudioContext | undefined} */
    this.context = undefined
    /** @type {Set<AudioBufferSourceNode>} */
    this.sources = new Set()
    this.nextStartTime = 0
    /** Counters the tests and the status line read through `window.livegate.playback`. */
    this.stats = {
      chunksQueued: 0,
      samplesQueued: 0,
      secondsQueued: 0,
      sampleRate: 0,
      /** Times the queue had run dry and playback started again (the first chunk after silence). */
      restarts: 0,
      interruptions: 0,
    }
    const player = this
    Object.defineProperties(this.stats, {
      /** Seconds of audio scheduled ahead of the clock right now. */
      bufferedSeconds: { enumerable: true, get () { return player.bufferedSeconds } },
      /** Nodes scheduled or playing. */
      pending: { enumerable: true, get () { return player.sources.size } },
    })
  }

  get bufferedSeconds () {
    const ctx = this.context
    return ctx === undefined ? 0 : Math.max(0, this.nextStartTime - ctx.currentTime)
  }

  /**
   * Create or resume the context. Call it from a click or key press: browsers keep audio suspended until the
   * user has interacted with the page.
   */
  async unlock () {
    this.context ??= new AudioContext({ latencyHint: 'interactive' })
    if (this.context.state === 'suspended') await this.context.resume()
  }

  /**
   * Queue one chunk of base64 PCM.
   * @param {string} base64
   * @param {string | undefined} mimeType e.g. `audio/pcm;rate=24000`
   */
  enqueue (base64, mimeType) {
    const samples = pcm16ToFloat(base64ToBytes(base64))
    if (samples.length === 0) return
    const rate = rateOf(mimeType)
    this.context ??= new AudioContext({ latencyHint: 'interactive' })
    const ctx = this.context
    const buffer = ctx.createBuffer(1, samples.length, rate)
    buffer.copyToChannel(samples, 0)
    const source = ctx.createBufferSource()
    source.buffer = buffer
    source.connect(ctx.destination)
    // Nothing queued (or the queue's end already passed): start a lead after now rather than at a moment that
    // is already being rendered, which would clip the chunk's first samples.
    if (this.sources.size === 0 || this.nextStartTime < ctx.currentTime) {
      this.stats.restarts++
      this.nextStartTime = ctx.currentTime + START_LEAD_S
    }
    source.start(this.nextStartTime)
    this.nextStartTime += buffer.duration
    this.sources.add(source)
    source.onended = () => { this.sources.delete(source) }
    this.stats.chunksQueued++
    this.stats.samplesQueued += samples.length
    this.stats.secondsQueued += buffer.duration
    this.stats.sampleRate = rate
  }

  /** Silence now: the model was interrupted, or the session ended. */
  interrupt () {
    if (this.sources.size > 0) this.stats.interruptions++
    for (const source of this.sources) {
      source.onended = null
      try { source.stop() } catch { /* never started: nothing to stop */ }
      source.disconnect()
    }
    this.sources.clear()
    this.nextStartTime = 0
  }
}
