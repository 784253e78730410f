/**
 * @module mic-capture
 * The microphone as a stream of 16 kHz 16-bit PCM chunks. The AudioContext keeps the device's own rate (forcing
 * 16 kHz on it is not honoured everywhere and degrades echo cancellation); pcm-worklet.js resamples.
 */
import { INPUT_RATE_HZ } from './pcm.js'

/** Longest wait for the worklet's last chunk when stopping. */
const STOP_FLUSH_TIMEOUT_MS = 500

export class MicCapture {
  /** @type {(() => void) | undefined} */
  #onStopped = undefined

  constructor () {
    /** @type {AudioContext | undefined} */
    this.context = undefined
    /** @type {MediaStream | undefined} */
    this.stream = undefined
    /** @type {AudioWorkletNode | undefined} */
    this.node = undefined
    /** Counters the tests read through `window.livegate.mic`. */
    this.stats = { active: false, contextRate: 0, outputRate: INPUT_RATE_HZ, chunksSent: 0, samplesSent: 0 }
  }

  get active () { return this.stats.active }

  /**
   * Ask for the microphone and start posting chunks. Rejects with the browser's error (NotAllowedError when the
   * user says no, NotFoundError without a device) so the page can say what happened.
   * @param {(pcm: Uint8Array) => void} onChunk
   */
  async start (onChunk) {
    if (this.stats.active) return
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    })
    try {
      this.context = new AudioContext()
      await this.context.audioWorklet.addModule(new URL('./pcm-worklet.js', import.meta.url))
      const source = this.context.createMediaStreamSource(this.stream)
      // No outputs: the node is a sink, and Chromium pulls sink worklets without a path to the destination.
      this.node = new AudioWorkletNode(this.context, 'pcm16-capture', { numberOfInputs: 1, numberOfOutputs: 0, channelCount: 1 })
      this.node.port.onmessage = (event) => {
        if (event.data === 'stopped') { this.#onStopped?.(); return }
        const pcm = new Uint8Array(/** @type {ArrayBuffer} */ (event.data))
        this.stats.chunksSent++
        this.stats.samplesSent += pcm.length / 2
        onChunk(pcm)
      }
      source.connect(this.node)
      await this.context.resume()
      this.stats.contextRate = this.context.sampleRate
      this.stats.active = true
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  /** Stop the tracks (the browser's recording indicator goes off) and flush the last partial chunk. */
  async stop () {
    this.stats.active = false
    for (const track of this.stream?.getTracks() ?? []) track.stop()
    this.stream = undefined
    const { context, node } = this
    this.context = undefined
    this.node = undefined
    if (node !== undefined) {
      // The worklet answers 'stopped' after posting its last partial chunk; wait for it so no syllable is lost.
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, STOP_FLUSH_TIMEOUT_MS)
        this.#onStopped = () => { clearTimeout(timer); resolve(undefined) }
        node.port.postMessage('stop')
      })
      this.#onStopped = undefined
      node.port.onmessage = null
    }
    await context?.close()
  }
}
