/**
 * Test helpers for the simulator: a raw `ws` client in the seed notebook's style (reads every frame as bytes and
 * decodes it), and a simulator started per test and closed in teardown.
 */
import { once } from 'node:events'
import WebSocket, { type ClientOptions } from 'ws'
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js'

/** A current model that can answer in TEXT (most tests read text replies). */
export const MODEL = 'models/gemini-3.1-flash-live-preview'
/** The current GA model: AUDIO replies only, NON_BLOCKING functions by default. */
export const GA_MODEL = 'models/gemini-3.8-live'
export const KEY = 'sim-test-key'
export const PATH = '/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Frame {
  readonly data: Buffer
  readonly binary: boolean
  /** The parsed JSON (server frames always are). */
  readonly json: Json
}

export class RawClient {
  readonly ws: WebSocket
  readonly frames: Frame[] = []
  readonly closed: Promise<{ code: number, reason: string }>
  readonly #waiters = new Set<{ from: number, predicate: (f: Frame) => boolean, resolve: (f: Frame) => void }>()

  private constructor (ws: WebSocket) {
    this.ws = ws
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => { resolve({ code, reason: reason.toString() }) })
    })
    ws.on('error', () => {})
    ws.on('message', (data: Buffer, binary: boolean) => {
      let json: Json
      try { json = JSON.parse(data.toString('utf8')) as Json } catch { json = { unparsable: data.toString('utf8') } }
      const frame = { data, binary, json }
      this.frames.push(frame)
      const index = this.frames.length - 1
      for (const waiter of this.#waiters) {
        if (index >= waiter.from && waiter.predicate(frame)) {
          this.#waiters.delete(waiter)
          waiter.resolve(frame)
        }
      }
    })
  }

  static async open (url: string, options: ClientOptions = {}): Promise<RawClient> {
    const client = new RawClient(new WebSocket(url, { perMessageDeflate: false, ...options }))
    await Promise.race([once(client.ws, 'open'), client.closed])
    return client
  }

  /** Send a message as a text frame (JSON-encoded unless already a string), or binary. */
  send (message: Json | string, binary = false): void {
    const text = typeof message === 'string' ? message : JSON.stringify(message)
    this.ws.send(binary ? Buffer.from(text) : text, { binary })
  }

  /** The seed notebook's `send(ws, prompt)`. */
  say (prompt: string): void {
    this.send({ client_content: { turns: [{ role: 'user', parts: [{ text: prompt }] }], turn_complete: true } })
  }

  /** Number of frames so far: pass it as `from` to wait only for later frames. */
  mark (): number { return this.frames.length }

  async waitFor (predicate: (f: Frame) => boolean, from = 0, timeoutMs = 5000): Promise<Frame> {
    const seen = this.frames.slice(from).find(predicate)
    if (seen !== undefined) return seen
    return await new Promise((resolve, reject) => {
      const waiter = {
        from,
        predicate,
        resolve: (f: Frame) => { clearTimeout(timer); resolve(f) },
      }
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter)
        reject(new Error(`no matching frame within ${timeoutMs} ms; got: ${this.frames.slice(from).map((f) => Object.keys(f.json).join('+')).join(', ')}`))
      }, timeoutMs)
      this.#waiters.add(waiter)
    })
  }

  /** Frames from `from` up to and including the next `turnComplete`. */
  async turn (from: number, timeoutMs = 5000): Promise<Frame[]> {
    const end = await this.waitFor(isTurnComplete, from, timeoutMs)
    return this.frames.slice(from, this.frames.indexOf(end) + 1)
  }
}

export function has (key: string): (f: Frame) => boolean {
  return (f) => key in f.json
}

export function isTurnComplete (f: Frame): boolean {
  return f.json.serverContent?.turnComplete === true
}

/** Concatenated text of `modelTurn` parts. */
export function textOf (frames: readonly Frame[]): string {
  return frames.map((f) => (f.json.serverContent?.modelTurn?.parts ?? []).map((p: Json) => p.text ?? '').join('')).join('')
}

/** Concatenated `outputTranscription` deltas: what an audio turn said. */
export function spokenOf (frames: readonly Frame[]): string {
  return frames.map((f) => f.json.serverContent?.outputTranscription?.text ?? '').join('')
}

/** Setup for an AUDIO session on the GA model, transcribed so tests can read what it says. */
export const GA_AUDIO_SETUP: Json = { model: GA_MODEL, generation_config: { response_modalities: ['AUDIO'] }, output_audio_transcription: {} }

/** A compact name for each frame: `setupComplete`, `text`, `audio`, `generationComplete`, `turnComplete+usage`… */
export function shape (f: Frame): string {
  const j = f.json
  if (j.serverContent !== undefined) {
    const sc = j.serverContent
    const names: string[] = []
    for (const part of sc.modelTurn?.parts ?? []) names.push(part.text !== undefined ? 'text' : part.inlineData !== undefined ? 'audio' : Object.keys(part).join('+'))
    for (const key of Object.keys(sc)) if (key !== 'modelTurn') names.push(key)
    if (j.usageMetadata !== undefined) names.push('usage')
    return names.join('+')
  }
  return Object.keys(j).join('+')
}

export interface TestSim extends Simulator {
  /** `ws://…` + path + `?key=` */
  wsUrl (path?: string, query?: string): string
}

interface Teardown { teardown (fn: () => Promise<void> | void): void }

export async function startTestSimulator (t: Teardown, options: SimulatorOptions = {}): Promise<TestSim> {
  const sim = await startSimulator({ chunkDelayMs: 0, apiKeys: [KEY], ...options })
  t.teardown(async () => { await sim.close() })
  return Object.assign(sim, {
    wsUrl: (path = PATH, query = `key=${KEY}`) => `${sim.url.replace(/^http/, 'ws')}${path}${query === '' ? '' : `?${query}`}`,
  })
}

/** Open a raw client, send setup, wait for `setupComplete`. */
export async function openSession (sim: TestSim, setup: Json = {}, query?: string): Promise<RawClient> {
  const client = await RawClient.open(sim.wsUrl(PATH, query))
  client.send({ setup: { model: MODEL, generation_config: { response_modalities: ['TEXT'] }, ...setup } })
  await client.waitFor(has('setupComplete'))
  return client
}

/** 16-bit PCM: a tone (speech energy) or silence. */
export function pcm (ms: number, rate = 16_000, amplitude = 8000, hz = 220): Buffer {
  const n = Math.round(rate * ms / 1000)
  const out = Buffer.alloc(n * 2)
  for (let i = 0; i < n; i++) out.writeInt16LE(Math.round(amplitude * Math.sin(2 * Math.PI * hz * i / rate)), i * 2)
  return out
}

/** Send PCM as 20 ms `realtimeInput.audio` frames. */
export function sendAudio (client: RawClient, audio: Buffer, rate = 16_000): void {
  const frame = rate * 2 * 20 / 1000
  for (let at = 0; at < audio.length; at += frame) {
    client.send({ realtimeInput: { audio: { mimeType: `audio/pcm;rate=${rate}`, data: audio.subarray(at, at + frame).toString('base64') } } })
  }
}
