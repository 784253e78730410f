/**
 * @module simulator/input
 * The user's audio: 16-bit PCM at the rate its mime type names, cut into utterances by the energy VAD (automatic
 * activity detection, the default), or between `activityStart` and `activityEnd` when setup disabled it
 * (`realtimeInputConfig.automaticActivityDetection.disabled`). `activityHandling: NO_INTERRUPTION` turns barge-in off.
 */
import { EnergyVad, pcmDurationMs, pcmRate, type VadEvent } from './audio.js'
import { type Json, obj } from './json.js'

export class AudioInput {
  /** Server-side VAD on (the default). */
  readonly automatic: boolean
  /** Speech starting during a model turn interrupts it (`START_OF_ACTIVITY_INTERRUPTS`, the default). */
  readonly interrupts: boolean
  readonly #vad: EnergyVad
  /** Audio since `activityStart`, when detection is manual. */
  #manualMs: number | undefined
  #totalMs = 0

  constructor (setup: Json) {
    const realtime = obj(setup.realtimeInputConfig)
    const detection = obj(realtime?.automaticActivityDetection)
    this.automatic = detection?.disabled !== true
    this.interrupts = realtime?.activityHandling !== 'NO_INTERRUPTION'
    const silence = Number(detection?.silenceDurationMs)
    this.#vad = new EnergyVad(Number.isFinite(silence) && silence > 0 ? silence : 500)
  }

  /** All audio received, in ms (prompt usage). */
  get totalMs (): number { return this.#totalMs }

  /** One `{mimeType, data}` blob; returns the VAD's start/end events (none in manual mode). */
  push (blob: Json): VadEvent[] {
    if (typeof blob.data !== 'string') return []
    const pcm = Buffer.from(blob.data, 'base64')
    const rate = pcmRate(blob.mimeType)
    const ms = pcmDurationMs(pcm.length, rate)
    this.#totalMs += ms
    if (!this.automatic) {
      if (this.#manualMs !== undefined) this.#manualMs += ms
      return []
    }
    return this.#vad.push(pcm, rate)
  }

  activityStart (): void {
    this.#manualMs = 0
  }

  /** The utterance's length, or undefined when no activity was open. */
  activityEnd (): number | undefined {
    const ms = this.#manualMs
    this.#manualMs = undefined
    return ms
  }

  /** `audioStreamEnd`: end the current utterance now. */
  streamEnd (): VadEvent | undefined {
    return this.#vad.flush()
  }
}
