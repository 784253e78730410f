/**
 * @module live-client
 * The Gemini Live protocol as any client speaks it, pointed at livegate: the Google path with the livegate token
 * as `?key=`, the standard camelCase messages, and `livegate_events=1` so server tool runs arrive as event frames.
 * Nothing here knows about the page; it emits `state` and `message` events.
 */
import { INPUT_MIME_TYPE } from './pcm.js'

export const LIVE_PATH = 'ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent'

/**
 * @typedef {'TEXT' | 'AUDIO'} Modality
 * @typedef {{ token: string, model: string, modality: Modality, voice: string }} SessionOptions
 * @typedef {'idle' | 'connecting' | 'setup' | 'ready' | 'closed'} ConnectionState
 * @typedef {{ state: ConnectionState, code?: number, reason?: string, wasClean?: boolean }} StateDetail
 */

/**
 * The socket URL, relative to the page so a gateway behind a path prefix works too.
 * @param {string} pageUrl `location.href`
 * @param {string} token livegate token; empty means none (a gateway without LIVEGATE_CLIENT_TOKENS)
 * @returns {string}
 */
export function liveUrl (pageUrl, token) {
  const url = new URL(LIVE_PATH, pageUrl)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.search = ''
  url.hash = ''
  if (token !== '') url.searchParams.set('key', token)
  url.searchParams.set('livegate_events', '1')
  return url.href
}

/**
 * The first message of a session.
 * @param {SessionOptions} options
 * @returns {{ setup: Record<string, unknown> }}
 */
export function setupMessage ({ model, modality, voice }) {
  /** @type {Record<string, unknown>} */
  const generationConfig = { responseModalities: [modality] }
  /** @type {Record<string, unknown>} */
  const setup = { model: model.startsWith('models/') ? model : `models/${model}`, generationConfig }
  if (modality === 'AUDIO') {
    if (voice !== '') generationConfig.speechConfig = { voiceConfig: { prebuiltVoiceConfig: { voiceName: voice } } }
    setup.inputAudioTranscription = {}
    setup.outputAudioTranscription = {}
  }
  return { setup }
}

/**
 * Server frames are binary JSON (Google sends opcode 2), but text frames are read too. `arraybuffer` rather than
 * Blob, because `Blob.text()` resolves asynchronously and could reorder frames.
 * @param {unknown} data
 * @returns {Record<string, unknown> | undefined}
 */
export function decodeFrame (data) {
  const text = typeof data === 'string' ? data : data instanceof ArrayBuffer ? new TextDecoder().decode(data) : undefined
  if (text === undefined) return undefined
  try {
    const value = JSON.parse(text)
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined
  } catch {
    return undefined
  }
}

export class LiveClient extends EventTarget {
  constructor () {
    super()
    /** @type {WebSocket | undefined} */
    this.socket = undefined
    /** @type {ConnectionState} */
    this.state = 'idle'
    this.stats = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, undecodable: 0 }
  }

  get ready () { return this.state === 'ready' }

  /** @param {StateDetail} detail */
  #setState (detail) {
    this.state = detail.state
    this.dispatchEvent(new CustomEvent('state', { detail }))
  }

  /**
   * Open a session: the setup goes out as soon as the socket opens; `ready` follows `setupComplete`.
   * @param {string} pageUrl
   * @param {SessionOptions} options
   */
  connect (pageUrl, options) {
    this.#detach()
    const socket = new WebSocket(liveUrl(pageUrl, options.token))
    socket.binaryType = 'arraybuffer'
    this.socket = socket
    this.stats = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, undecodable: 0 }
    this.#setState({ state: 'connecting' })
    socket.onopen = () => {
      this.#setState({ state: 'setup' })
      this.send(setupMessage(options))
    }
    socket.onmessage = (event) => {
      if (socket !== this.socket) return
      this.stats.framesIn++
      this.stats.bytesIn += typeof event.data === 'string' ? event.data.length : event.data.byteLength
      const message = decodeFrame(event.data)
      if (message === undefined) { this.stats.undecodable++; return }
      if ('setupComplete' in message && this.state === 'setup') this.#setState({ state: 'ready' })
      this.dispatchEvent(new CustomEvent('message', { detail: message }))
    }
    socket.onclose = (event) => {
      if (socket !== this.socket) return
      this.socket = undefined
      this.#setState({ state: 'closed', code: event.code, reason: event.reason, wasClean: event.wasClean })
    }
  }

  /** @param {Record<string, unknown>} message */
  send (message) {
    const socket = this.socket
    if (socket === undefined || socket.readyState !== WebSocket.OPEN) return false
    const text = JSON.stringify(message)
    socket.send(text)
    this.stats.framesOut++
    this.stats.bytesOut += text.length
    return true
  }

  /** @param {string} text one complete user turn */
  sendText (text) {
    return this.send({ clientContent: { turns: [{ role: 'user', parts: [{ text }] }], turnComplete: true } })
  }

  /** @param {string} base64 16 kHz 16-bit LE PCM */
  sendAudio (base64) {
    return this.send({ realtimeInput: { audio: { data: base64, mimeType: INPUT_MIME_TYPE } } })
  }

  /** The microphone stopped: lets automatic activity detection end the user's turn without waiting for silence. */
  sendAudioStreamEnd () {
    return this.send({ realtimeInput: { audioStreamEnd: true } })
  }

  /** @param {Array<Record<string, unknown>>} functionResponses */
  sendToolResponse (functionResponses) {
    return this.send({ toolResponse: { functionResponses } })
  }

  /** Forget the current socket (closing it with 1000) without reporting its close. */
  #detach () {
    const socket = this.socket
    if (socket === undefined) return false
    this.socket = undefined
    socket.onopen = socket.onmessage = socket.onclose = null
    if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) socket.close(1000, 'client closed')
    return true
  }

  /** Close by the user's choice. */
  close () {
    if (this.#detach()) this.#setState({ state: 'closed', code: 1000, reason: 'Disconnected by you', wasClean: true })
  }
}
