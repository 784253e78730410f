/**
 * @module live/session
 * One `LiveSession` per client socket: it owns one upstream socket at a time and relays frames both ways as they
 * came (same bytes, same frame type). Only the client's first frame (`setup`) is always parsed; other frames are
 * parsed only when the interceptor asks for them after a cheap byte check. The upstream socket can be swapped
 * (`attachUpstream`) while the client stays connected, for resumption across Gemini's connection limit.
 */
import { randomUUID } from 'node:crypto'
import type WebSocket from 'ws'
import type { FastifyBaseLogger } from 'fastify'
import { LivegateError, isLivegateError } from '../errors.js'
import {
  CLOSE_ABNORMAL, CLOSE_GOING_AWAY, CLOSE_INTERNAL, field, parseFrame, sendableCloseCode, truncateCloseReason,
  type JsonObject,
} from './protocol.js'
import type { Interceptor } from './interceptor.js'
import type { ClientIdentity } from '../auth/identity.js'

const BINARY = { binary: true } as const
const TEXT = { binary: false } as const

export interface SessionOptions {
  readonly highWaterBytes: number
  /** Model ids (without `models/`) clients may use; undefined: any. */
  readonly models: readonly string[] | undefined
  /**
   * Applied to the client's setup before anything else looks at it (an ephemeral token's constraints). Return a
   * replacement, or undefined to keep it; throw a LivegateError to refuse the session.
   */
  readonly rewriteSetup?: ((setup: JsonObject) => JsonObject | undefined) | undefined
}

export interface SessionInfo {
  readonly clientAddress: string
  /** Who opened the session (auth/identity.ts): limits, metrics and logs key on `identity.name`. */
  readonly identity: ClientIdentity
  readonly apiVersion: string
}

/** What the interceptor may do to a session: inject frames either way, each in the type the peer uses. */
export interface SessionIO {
  readonly id: string
  readonly log: FastifyBaseLogger
  /** The model the session's setup names (as written, e.g. `models/gemini-3.8-live`, after any token constraints); undefined before setup. */
  readonly model: string | undefined
  sendUpstream (message: JsonObject): void
  sendClient (message: JsonObject): void
}

export class LiveSession implements SessionIO {
  readonly id: string
  log: FastifyBaseLogger
  readonly startedMs: number
  readonly identity: ClientIdentity
  model: string | undefined
  // Counters for the end-of-session log line.
  clientFrames = 0
  clientBytes = 0
  upstreamFrames = 0
  upstreamBytes = 0
  /** Set by any frame; the app's sweeper turns it into `lastActivityMs`, so the hot path never reads the clock. */
  sawFrame = false
  lastActivityMs: number
  /** Cleared by each ping, set by the pong. */
  clientAlive = true

  readonly #client: WebSocket
  readonly #options: SessionOptions
  readonly #interceptor: Interceptor
  #upstream: WebSocket | undefined = undefined
  #upstreamOpen = false
  /** Client frames that arrived before the upstream socket opened, in order. */
  #pending: Array<{ data: Buffer, binary: boolean }> | undefined = []
  #pendingBytes = 0
  #setupSeen = false
  #closed = false
  #clientPaused = false
  #upstreamPaused = false
  /** Frame type the upstream uses (Gemini: binary); injected client frames follow it. */
  #upstreamBinary = true
  readonly #onClientSent: (err?: Error) => void
  readonly #onUpstreamSent: (err?: Error) => void
  readonly #onUpstreamMessage: (data: Buffer, isBinary: boolean) => void
  readonly #onUpstreamClose: (code: number, reason: Buffer) => void
  readonly #onUpstreamError: (err: Error) => void

  constructor (client: WebSocket, log: FastifyBaseLogger, info: SessionInfo, options: SessionOptions, interceptor: Interceptor) {
    this.id = randomUUID()
    this.#client = client
    this.#options = options
    this.#interceptor = interceptor
    this.startedMs = Date.now()
    this.lastActivityMs = this.startedMs
    this.model = undefined
    this.identity = info.identity
    this.log = log.child({
      sessionId: this.id, client: info.identity.name, clientKind: info.identity.kind, clientAddress: info.clientAddress, apiVersion: info.apiVersion,
    })

    // Bound once: the hot path passes these to every send and allocates no closure per frame.
    this.#onClientSent = () => {
      if (this.#upstreamPaused && this.#client.bufferedAmount <= this.#options.highWaterBytes >>> 1) {
        this.#upstreamPaused = false
        this.#upstream?.resume()
      }
    }
    this.#onUpstreamSent = () => {
      if (this.#clientPaused && (this.#upstream?.bufferedAmount ?? 0) <= this.#options.highWaterBytes >>> 1) {
        this.#clientPaused = false
        this.#client.resume()
      }
    }
    this.#onUpstreamMessage = (data, isBinary) => this.#fromUpstream(data, isBinary)
    this.#onUpstreamClose = (code, reason) => this.#upstreamClosed(code, reason)
    this.#onUpstreamError = (err) => this.log.warn({ err: { message: err.message, code: (err as NodeJS.ErrnoException).code } }, 'upstream socket error')

    client.on('message', (data: Buffer, isBinary: boolean) => this.#fromClient(data, isBinary))
    client.on('close', (code: number, reason: Buffer) => this.#clientClosed(code, reason))
    client.on('error', (err: Error) => this.log.info({ err: { message: err.message, code: (err as NodeJS.ErrnoException).code } }, 'client socket error'))
    client.on('pong', () => { this.clientAlive = true })
    interceptor.attach(this)
  }

  get closed (): boolean { return this.#closed }
  get setupSeen (): boolean { return this.#setupSeen }
  /** True while the client socket is paused for backpressure (its pongs cannot be read then). */
  get clientPaused (): boolean { return this.#clientPaused }
  get client (): WebSocket { return this.#client }

  /**
   * Use `socket` (already open) as the upstream from now on. Frames queued while dialing are flushed to it. The
   * previous upstream, if any, is detached without closing the client.
   */
  attachUpstream (socket: WebSocket): void {
    const previous = this.#upstream
    if (previous !== undefined && previous !== socket) this.#detach(previous)
    this.#upstream = socket
    this.#upstreamOpen = true
    if (this.#closed) {
      socket.close(CLOSE_GOING_AWAY)
      return
    }
    socket.on('message', this.#onUpstreamMessage)
    socket.on('close', this.#onUpstreamClose)
    socket.on('error', this.#onUpstreamError)
    const pending = this.#pending
    this.#pending = undefined
    this.#pendingBytes = 0
    if (pending !== undefined) for (const frame of pending) this.#toUpstream(frame.data, frame.binary)
    if (this.#clientPaused && socket.bufferedAmount <= this.#options.highWaterBytes) {
      this.#clientPaused = false
      this.#client.resume()
    }
  }

  /** The dial failed: close the client with the cause (never the key). */
  upstreamFailed (err: unknown): void {
    const lgErr = isLivegateError(err) ? err : new LivegateError('LG_ERR_UPSTREAM_UNREACHABLE', 'upstream connection failed')
    this.log.warn({ code: lgErr.code, detail: lgErr.detail }, 'upstream dial failed')
    this.fail(lgErr)
  }

  /** Close with a livegate error: its close code, and `CODE: detail` as the reason. */
  fail (err: LivegateError): void {
    this.close(err.wsCode, `${err.code}: ${err.detail}`)
  }

  close (code: number, reason: string): void {
    if (!this.#end(CLOSE_GOING_AWAY, 'client session ended')) return
    this.#client.close(sendableCloseCode(code), truncateCloseReason(reason))
  }

  /** The client is gone without a close handshake (missed pings): tell the upstream why, then cut the client. */
  drop (err: LivegateError): void {
    if (!this.#end(err.wsCode, `${err.code}: ${err.detail}`)) return
    this.#client.terminate()
  }

  sendUpstream (message: JsonObject): void {
    if (this.#closed) return
    this.#toUpstream(Buffer.from(JSON.stringify(message)), false)
  }

  sendClient (message: JsonObject): void {
    if (this.#closed) return
    this.#toClient(Buffer.from(JSON.stringify(message)), this.#upstreamBinary)
  }

  setUpstreamDial (socket: WebSocket): void {
    this.#upstream = socket
    this.#upstreamOpen = false
  }

  // Client → upstream ---------------------------------------------------------------------------------------------

  #fromClient (data: Buffer, isBinary: boolean): void {
    this.sawFrame = true
    this.clientFrames++
    this.clientBytes += data.length
    if (!this.#setupSeen) {
      this.#handleSetup(data, isBinary)
      return
    }
    if (this.#interceptor.inspectsClient && this.#interceptor.wantsClientFrame(data)) {
      const parsed = parseFrame(data)
      if (parsed.ok && !this.#interceptor.onClientMessage(parsed.message)) return
    }
    this.#toUpstream(data, isBinary)
  }

  #handleSetup (data: Buffer, isBinary: boolean): void {
    const parsed = parseFrame(data)
    if (!parsed.ok) {
      this.fail(new LivegateError('LG_ERR_RELAY_BAD_FRAME', `first frame: ${parsed.reason}`))
      return
    }
    if (parsed.kind !== 'setup' || parsed.keys.length !== 1) {
      const got = parsed.keys.length === 0 ? 'an empty object' : parsed.keys.join(', ')
      this.fail(new LivegateError('LG_ERR_RELAY_NOT_SETUP', `first message must be setup, got ${got}`))
      return
    }
    const clientSetup = field(parsed.message, 'setup')
    if (clientSetup === null || typeof clientSetup !== 'object' || Array.isArray(clientSetup)) {
      this.fail(new LivegateError('LG_ERR_RELAY_BAD_FRAME', 'setup must be an object'))
      return
    }
    let constrained: JsonObject | undefined
    try {
      constrained = this.#options.rewriteSetup?.(clientSetup as JsonObject)
    } catch (err) {
      if (isLivegateError(err)) { this.fail(err); return }
      throw err
    }
    const setup = constrained ?? clientSetup
    const model = field(setup, 'model')
    if (typeof model === 'string') {
      this.model = model
      this.log = this.log.child({ model })
      const id = model.replace(/^models\//, '')
      if (this.#options.models !== undefined && !this.#options.models.includes(id)) {
        this.fail(new LivegateError('LG_ERR_RELAY_MODEL_NOT_ALLOWED', `model ${id.slice(0, 60)} is not allowed here`))
        return
      }
    }
    this.#setupSeen = true
    let rewritten: JsonObject | undefined
    try {
      rewritten = this.#interceptor.onSetup(setup as JsonObject) ?? constrained
    } catch (err) {
      if (isLivegateError(err)) { this.fail(err); return }
      throw err
    }
    if (rewritten === undefined) this.#toUpstream(data, isBinary)
    else this.#toUpstream(Buffer.from(JSON.stringify({ setup: rewritten })), isBinary)
  }

  #toUpstream (data: Buffer, binary: boolean): void {
    const upstream = this.#upstream
    if (!this.#upstreamOpen || upstream === undefined) {
      this.#pending?.push({ data, binary })
      this.#pendingBytes += data.length
      if (this.#pendingBytes > this.#options.highWaterBytes && !this.#clientPaused) {
        this.#clientPaused = true
        this.#client.pause()
      }
      return
    }
    upstream.send(data, binary ? BINARY : TEXT, this.#onUpstreamSent)
    if (!this.#clientPaused && upstream.bufferedAmount > this.#options.highWaterBytes) {
      this.#clientPaused = true
      this.#client.pause()
    }
  }

  // Upstream → client ---------------------------------------------------------------------------------------------

  #fromUpstream (data: Buffer, isBinary: boolean): void {
    this.sawFrame = true
    this.upstreamFrames++
    this.upstreamBytes += data.length
    this.#upstreamBinary = isBinary
    if (this.#interceptor.inspectsUpstream && this.#interceptor.wantsUpstreamFrame(data)) {
      const parsed = parseFrame(data)
      if (parsed.ok && !this.#interceptor.onUpstreamMessage(parsed.message)) return
    }
    this.#toClient(data, isBinary)
  }

  #toClient (data: Buffer, binary: boolean): void {
    const client = this.#client
    if (client.readyState !== client.OPEN) return
    client.send(data, binary ? BINARY : TEXT, this.#onClientSent)
    if (!this.#upstreamPaused && client.bufferedAmount > this.#options.highWaterBytes) {
      this.#upstreamPaused = true
      this.#upstream?.pause()
    }
  }

  // Closing -------------------------------------------------------------------------------------------------------

  /**
   * Mark the session ended (once), stop its tool runs, and close the upstream with this code and reason (or abandon
   * the dial). Returns false when the session had already ended.
   */
  #end (upstreamCode: number, upstreamReason: string): boolean {
    if (this.#closed) return false
    this.#closed = true
    const upstream = this.#upstream
    if (upstream !== undefined) {
      this.#detach(upstream)
      if (this.#upstreamOpen) upstream.close(sendableCloseCode(upstreamCode), truncateCloseReason(upstreamReason))
      else upstream.terminate()
    }
    this.#interceptor.close()
    return true
  }

  #clientClosed (code: number, reason: Buffer): void {
    // A client that vanished (1006) is "going away" to the upstream, not an internal error.
    const closedByClient = code === CLOSE_ABNORMAL
      ? this.#end(CLOSE_GOING_AWAY, 'client connection lost')
      : this.#end(code, reason.toString())
    this.log.info({
      closeCode: code,
      closedBy: closedByClient ? 'client' : 'livegate',
      durationMs: Date.now() - this.startedMs,
      clientFrames: this.clientFrames,
      clientBytes: this.clientBytes,
      upstreamFrames: this.upstreamFrames,
      upstreamBytes: this.upstreamBytes,
    }, 'session ended')
  }

  #upstreamClosed (code: number, reasonBytes: Buffer): void {
    if (this.#closed) return
    let reason = reasonBytes.toString()
    let sendable = sendableCloseCode(code)
    if (code === CLOSE_ABNORMAL) {
      sendable = CLOSE_INTERNAL
      reason = 'LG_ERR_UPSTREAM_CLOSED: upstream connection lost'
    }
    this.log.info({ upstreamCloseCode: code, upstreamReason: reason.slice(0, 123) }, 'upstream closed')
    this.close(sendable, reason)
  }

  #detach (socket: WebSocket): void {
    socket.off('message', this.#onUpstreamMessage)
    socket.off('close', this.#onUpstreamClose)
    socket.off('error', this.#onUpstreamError)
    // A detached socket may still emit errors while closing; never let one crash the process.
    socket.on('error', () => {})
  }
}
