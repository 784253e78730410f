/**
 * @module live/session
 * One `LiveSession` per client socket: it owns one upstream socket at a time and relays frames both ways as they
 * came (same bytes, same frame type). Only the client's first frame (`setup`) is always parsed; other frames are
 * parsed only when the interceptor asks for them after a cheap byte check. The upstream socket can be swapped
 * while the client stays connected (live/resumption.ts), for resumption across Gemini's connection limit and drops.
 */
import { randomUUID } from 'node:crypto'
import type WebSocket from 'ws'
import type { Duplex } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import { LivegateError, isLivegateError } from '../errors.js'
import { truncateForLog } from '../logger.js'
import {
  CLOSE_ABNORMAL, CLOSE_GOING_AWAY, CLOSE_INTERNAL, CLOSE_NORMAL, MAX_JSON_DEPTH, field, formatProtoDuration, parseFrame,
  parseProtoDuration, sendableCloseCode, truncateCloseReason, type JsonObject, type ParseLimits, type ParsedFrame,
} from './protocol.js'
import type { Interceptor } from './interceptor.js'
import { GO_AWAY, SESSION_RESUMPTION_UPDATE, SETUP, conforms, shapeProblem } from './frame-schemas.js'
import { Resumption, isResumableClose, type FenceProof, type ResumptionOptions } from './resumption.js'
import {
  GO_AWAY_MARKER, RESUMPTION_UPDATE_MARKER, SETUP_COMPLETE_MARKER, TOOL_CALL_MARKER, TURN_COMPLETE_MARKER, mayCarryUpstreamMarker,
} from './markers.js'
import type { Dial } from './upstream.js'
import { framedHeaderBytes, rawSocketOf, sendFrame, sendFramed, type FrameMode } from './frame-writer.js'
import { mayCarryUsage, readUsage, UsageTotals, type TurnUsage } from './usage.js'
import type { ClientIdentity } from '../auth/identity.js'

const BINARY = { binary: true } as const
const TEXT = { binary: false } as const
/** Drops in a row, each before the resumed upstream gave a new handle, after which the session gives up. */
const MAX_RESUMES_WITHOUT_PROGRESS = 3
/** How long a replaced upstream gets to finish its close handshake before the new one resumes (Gemini refuses a
 * resumption while the old socket is open, reference §1.6). */
const OLD_UPSTREAM_CLOSE_MS = 2_000

function ignoreError (): void {}

export interface SessionOptions {
  readonly highWaterBytes: number
  /** Largest setup frame parsed (LIVEGATE_MAX_SETUP_BYTES): it is parsed on the relay thread. */
  readonly maxSetupBytes: number
  /** Model ids (without `models/`) clients may use; undefined: any. */
  readonly models: readonly string[] | undefined
  readonly resumption: ResumptionOptions
  /** A turn's validated `usageMetadata` (limits, metrics). */
  readonly onUsage?: (usage: TurnUsage) => void
  /** The upstream socket closed while the session was open (metrics). */
  readonly onUpstreamClose?: (code: number) => void
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
  /** Something threw where no caller can catch it (a callback, a promise): end this session, never the process. */
  faulted (where: string, err: unknown): void
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
  /** Tokens Gemini reported for this session's turns. */
  readonly usage = new UsageTotals()
  /** Set by any frame; the app's sweeper turns it into `lastActivityMs`, so activity costs no clock read per frame (only the replay log stamps what it sends while handles come without an index). */
  sawFrame = false
  lastActivityMs: number
  /** Cleared by each ping, set by the pong. */
  clientAlive = true

  readonly #client: WebSocket
  readonly #options: SessionOptions
  readonly #setupLimits: ParseLimits
  readonly #interceptor: Interceptor
  #upstream: WebSocket | undefined = undefined
  /** How relayed frames are written upstream (live/frame-writer.ts), from the dial. */
  #upstreamMode: FrameMode = 'ws'
  #upstreamOpen = false
  /** Client frames go straight upstream; otherwise they wait in the replay log (dialing, or resuming). */
  #ready = false
  /** Bytes of client frames waiting while not ready (backpressure). */
  #pendingBytes = 0
  #dial: (() => Dial) | undefined = undefined
  readonly #resumption: Resumption
  /** The setup frame to send when the first upstream opens. */
  #setupFrame: { data: Buffer, binary: boolean } | undefined = undefined
  /** A resumed upstream is open and its setupComplete (not shown to the client) has not come yet. */
  #awaitingResume = false
  /** goAway came: move at the next resumable moment, or when this timer fires. */
  #switchTimer: NodeJS.Timeout | undefined = undefined
  /**
   * A planned switch waits for a handle known to cover every message: client messages are held back from the old
   * upstream (kept in the log for the new one) until the pong to a ping sent after the last of them, or, where pongs
   * are not known to come in time, for Resumption.quietMs (`passedBy`), and then until a handle whose coverage is not
   * an estimate (Resumption.estimated), at most `fenceMs`.
   */
  #fence: { seq: number, passedBy: FenceProof, timer: NodeJS.Timeout, quietTimer: NodeJS.Timeout | undefined } | undefined = undefined
  readonly #onUpstreamPong: (payload: Buffer) => void
  /** goAway was forwarded to a client that resumes itself: the end of this upstream is the client's business. */
  #clientWarned = false
  #resumesWithoutProgress = 0
  /** A resumed upstream that has not made progress yet completed a model turn. */
  #turnSinceResume = false
  /** Upstream connections this session has used. */
  upstreamConnections = 0
  #setupSeen = false
  #closed = false
  #clientPaused = false
  #upstreamPaused = false
  /** Frame type the upstream uses (Gemini: binary); injected client frames follow it. */
  #upstreamBinary = true
  /** Set by the first fault, so its stack is logged once however many handlers fail after it. */
  #faulted = false
  readonly #onClientSent: (err?: Error) => void
  readonly #onUpstreamSent: (err?: Error) => void
  readonly #onUpstreamMessage: (data: Buffer, isBinary: boolean) => void
  readonly #onUpstreamClose: (code: number, reason: Buffer) => void
  readonly #onUpstreamError: (err: Error) => void

  constructor (client: WebSocket, log: FastifyBaseLogger, info: SessionInfo, options: SessionOptions, interceptor: Interceptor) {
    this.id = randomUUID()
    this.#client = client
    this.#options = options
    this.#setupLimits = { maxBytes: options.maxSetupBytes, maxDepth: MAX_JSON_DEPTH }
    this.#interceptor = interceptor
    this.startedMs = Date.now()
    this.lastActivityMs = this.startedMs
    this.model = undefined
    this.identity = info.identity
    this.log = log.child({
      sessionId: this.id, client: info.identity.name, clientKind: info.identity.kind, clientAddress: info.clientAddress, apiVersion: info.apiVersion,
    })
    this.#resumption = new Resumption(options.resumption)

    // Bound once: the hot path passes these to every send and allocates no closure per frame.
    this.#onClientSent = this.#guard('client send', () => {
      if (this.#upstreamPaused && this.#client.bufferedAmount <= this.#options.highWaterBytes >>> 1) {
        this.#upstreamPaused = false
        this.#upstream?.resume()
      }
    })
    this.#onUpstreamSent = this.#guard('upstream send', () => {
      if (this.#clientPaused && (this.#upstream?.bufferedAmount ?? 0) <= this.#options.highWaterBytes >>> 1) {
        this.#clientPaused = false
        this.#client.resume()
      }
    })
    this.#onUpstreamMessage = this.#guard('upstream message', (data: Buffer, isBinary: boolean) => this.#fromUpstream(data, isBinary))
    this.#onUpstreamClose = this.#guard('upstream close', (code: number, reason: Buffer) => this.#upstreamClosed(code, reason))
    this.#onUpstreamPong = this.#guard('upstream pong', (payload: Buffer) => this.#upstreamPong(payload))
    this.#onUpstreamError = this.#guard('upstream error', (err: Error) => this.log.warn({ err: { message: err.message, code: (err as NodeJS.ErrnoException).code } }, 'upstream socket error'))

    client.on('message', this.#guard('client message', (data: Buffer, isBinary: boolean) => this.#fromClient(data, isBinary)))
    client.on('close', this.#guard('client close', (code: number, reason: Buffer) => this.#clientClosed(code, reason)))
    client.on('error', this.#guard('client error', (err: Error) => this.log.info({ err: { message: err.message, code: (err as NodeJS.ErrnoException).code } }, 'client socket error')))
    client.on('pong', this.#guard('client pong', () => { this.clientAlive = true }))
    interceptor.attach(this)
  }

  get closed (): boolean { return this.#closed }
  get setupSeen (): boolean { return this.#setupSeen }
  /** True while the client socket is paused for backpressure (its pongs cannot be read then). */
  get clientPaused (): boolean { return this.#clientPaused }
  get client (): WebSocket { return this.#client }
  /** The upstream socket in use (undefined before the first dial). */
  get upstreamSocket (): WebSocket | undefined { return this.#upstream }

  /** Whether the client's setup asked for session resumption itself (it then manages handles and goAway). */
  get clientResumes (): boolean { return this.#resumption.clientAsked }

  /**
   * Open the upstream with `dial`, and again with it whenever the session resumes on a new connection (after goAway
   * or a drop) while the client stays connected. `admitted` holds the first upstream back until it settles (an
   * ephemeral token's use is counted); when it rejects, the socket is closed and the gate fails the session.
   */
  connect (dial: () => Dial, admitted?: Promise<void>): void {
    this.#dial = dial
    this.#openUpstream(false, admitted)
  }

  #openUpstream (resume: boolean, after: Promise<void> | undefined): void {
    const dial = (this.#dial as () => Dial)()
    this.#upstream = dial.socket
    this.#upstreamMode = dial.frameMode
    this.#upstreamOpen = false
    this.#ready = false
    this.upstreamConnections++
    dial.opened.then(async (socket) => {
      if (after !== undefined) {
        // Until attached nothing listens on it; an error meanwhile must not reach the process.
        socket.on('error', ignoreError)
        try {
          await after
        } catch {
          socket.close()
          return
        }
        socket.off('error', ignoreError)
      }
      this.#attach(socket, resume)
    }, (err: unknown) => {
      if (!this.#closed && this.#upstream === dial.socket) this.upstreamFailed(err)
    }).catch((err: unknown) => this.faulted('upstream dial', err))
  }

  /** `socket` (open) is the upstream from now on: it gets the setup (with the handle when resuming), then the log. */
  #attach (socket: WebSocket, resume: boolean): void {
    if (this.#closed) {
      socket.close(CLOSE_GOING_AWAY)
      return
    }
    this.#upstream = socket
    if (socket.readyState === socket.CLOSED) {
      // It closed while the old upstream finished closing. (CLOSING goes on: its close event brings the upstream's
      // code and reason, e.g. a refused credential's, which a client must see.)
      this.#upstreamClosed(CLOSE_ABNORMAL, Buffer.alloc(0))
      return
    }
    this.#upstreamOpen = true
    socket.on('message', this.#onUpstreamMessage)
    socket.on('close', this.#onUpstreamClose)
    socket.on('error', this.#onUpstreamError)
    socket.on('pong', this.#onUpstreamPong)
    if (this.#upstreamPaused) socket.pause()
    if (resume) {
      this.#sendSetupTo(socket, this.#resumption.resumeSetup())
      this.#awaitingResume = true
      return
    }
    const setup = this.#setupFrame
    this.#setupFrame = undefined
    if (setup !== undefined) this.#sendSetupTo(socket, setup)
    this.#flush()
  }

  /** Write every message the upstream has not had yet, in order; from now on frames go straight through. */
  #flush (): void {
    const upstream = this.#upstream as WebSocket
    const log = this.#resumption
    for (let next = log.nextUnsent(); next !== undefined; next = log.nextUnsent()) {
      sendFrame(upstream, this.#upstreamMode, next.data, next.binary, this.#sentCallback(upstream, next.data, this.#onUpstreamSent))
      log.markSent()
    }
    this.#ready = true
    this.#pendingBytes = 0
    if (this.#clientPaused && upstream.bufferedAmount <= this.#options.highWaterBytes) {
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
    // A socket paused for backpressure would never read the client's close frame: the handshake would stall until
    // ws's 30 s close timeout and could end as 1006.
    if (this.#clientPaused) {
      this.#clientPaused = false
      this.#client.resume()
    }
  }

  /** The client is gone without a close handshake (missed pings): tell the upstream why, then cut the client. */
  drop (err: LivegateError): void {
    if (!this.#end(err.wsCode, `${err.code}: ${err.detail}`)) return
    this.#client.terminate()
  }

  sendUpstream (message: JsonObject): void {
    if (this.#closed) return
    const kept = this.#resumption.filtersClient ? this.#resumption.filterToolResponse(message) : message
    if (kept === undefined) return
    this.#toUpstream(Buffer.from(JSON.stringify(kept)), false)
  }

  sendClient (message: JsonObject): void {
    if (this.#closed) return
    this.#toClient(Buffer.from(JSON.stringify(message)), this.#upstreamBinary)
  }

  faulted (where: string, err: unknown): void {
    if (isLivegateError(err)) {
      this.fail(err)
      return
    }
    if (this.#faulted) return
    this.#faulted = true
    this.log.error({ err, where }, 'session handler threw; ending this session')
    const reason = truncateCloseReason(`LG_ERR_INTERNAL: unexpected failure in the ${where} handler of session ${this.id}`)
    try {
      this.close(CLOSE_INTERNAL, reason)
    } catch {
      // Ending the session threw as well (its state is broken): still give the client a close frame.
    }
    const client = this.#client
    if (client.readyState === client.OPEN) {
      try { client.close(CLOSE_INTERNAL, reason) } catch { client.terminate() }
    }
    const upstream = this.#upstream
    if (upstream !== undefined && upstream.readyState !== upstream.CLOSED) {
      try { upstream.terminate() } catch { /* already gone */ }
    }
  }

  /**
   * One socket event handler as a boundary: a LivegateError thrown inside ends the session with its code, anything
   * else with 1011 LG_ERR_INTERNAL. Built once per session, never per frame; two fixed parameters, so no rest array.
   */
  #guard<A extends [unknown?, unknown?]> (where: string, handler: (...args: A) => void): (...args: A) => void {
    const call = handler as unknown as (a: unknown, b: unknown) => void
    const guarded = (a: unknown, b: unknown): void => {
      try {
        call(a, b)
      } catch (err) {
        this.faulted(where, err)
      }
    }
    return guarded as unknown as (...args: A) => void
  }

  /** Drain, first step: a client that resumes itself hears it should move (`goAway`), as Gemini would tell it. */
  warnDrain (timeLeftMs: number): void {
    if (this.#closed || !this.#resumption.clientAsked) return
    this.sendClient({ goAway: { timeLeft: formatProtoDuration(timeLeftMs) } })
  }

  /** Drain, last step: a client that resumes itself gets the newest handle, then every client gets 1012. */
  closeDrained (): void {
    if (this.#closed) return
    const handle = this.#resumption.handle
    if (this.#resumption.clientAsked && handle !== undefined) {
      this.sendClient({ sessionResumptionUpdate: { newHandle: handle, resumable: true } })
    }
    this.fail(new LivegateError('LG_ERR_RELAY_DRAINED', 'gateway restarting; reconnect through another replica'))
  }

  // Client → upstream ---------------------------------------------------------------------------------------------

  #fromClient (data: Buffer, isBinary: boolean): void {
    // Frames still arriving while the close handshake runs go nowhere (and must not pause the socket again).
    if (this.#closed) return
    this.sawFrame = true
    this.clientFrames++
    this.clientBytes += data.length
    if (!this.#setupSeen) {
      this.#handleSetup(data, isBinary)
      return
    }
    if (this.#resumption.filtersClient && this.#resumption.wantsClientFrame(data)) {
      const parsed = parseFrame(data)
      if (parsed.ok) {
        const kept = this.#resumption.filterToolResponse(parsed.message)
        if (kept === undefined) return
        if (kept !== parsed.message) data = Buffer.from(JSON.stringify(kept))
      }
    }
    if (this.#interceptor.inspectsClient && this.#interceptor.wantsClientFrame(data)) {
      const parsed = parseFrame(data)
      if (parsed.ok && !this.#interceptor.onClientMessage(parsed.message)) return
    }
    this.#toUpstream(data, isBinary)
  }

  #handleSetup (data: Buffer, isBinary: boolean): void {
    const parsed = parseFrame(data, this.#setupLimits)
    if (!parsed.ok) {
      this.fail(new LivegateError(parsed.failure === 'too-large' ? 'LG_ERR_RELAY_FRAME_TOO_LARGE' : 'LG_ERR_RELAY_BAD_FRAME', `first frame: ${parsed.reason}`))
      return
    }
    if (parsed.kind !== 'setup' || parsed.keys.length !== 1) {
      const got = parsed.keys.length === 0 ? 'an empty object' : parsed.keys.join(', ')
      this.fail(new LivegateError('LG_ERR_RELAY_NOT_SETUP', `first message must be setup, got ${got}`))
      return
    }
    const clientSetup = field(parsed.message, 'setup')
    // What Gemini would refuse in the fields livegate reads (model, tools) is refused here, naming the field.
    const problem = shapeProblem(SETUP, clientSetup, 'setup')
    if (problem !== undefined) {
      this.fail(new LivegateError('LG_ERR_RELAY_BAD_FRAME', problem))
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
      this.log = this.log.child({ model: truncateForLog(model) })
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
    const forwarded = this.#resumption.onSetup(rewritten ?? setup as JsonObject, rewritten !== undefined, isBinary)
    this.#sendSetup(forwarded === undefined ? data : Buffer.from(JSON.stringify({ setup: forwarded })), isBinary)
  }

  #sendSetup (data: Buffer, binary: boolean): void {
    if (this.#upstreamOpen && this.#upstream !== undefined) this.#sendSetupTo(this.#upstream, { data, binary })
    else this.#setupFrame = { data, binary }
  }

  /** The setup frame goes first on a connection; its setupComplete gives the connection's first round trip. */
  #sendSetupTo (socket: WebSocket, setup: { data: Buffer, binary: boolean }): void {
    socket.send(setup.data, setup.binary ? BINARY : TEXT)
    this.#resumption.setupSent()
  }

  /**
   * The completion callback a send of `data` on `socket` needs: `onSent` only when the send may end above half the
   * high-water mark. A callback on every send makes Node keep each write's request and chunks until the next tick, and
   * at thousands of frames a second those survive into V8's old generation (bench/RESULTS.md "Relay cost"). A send
   * that can push the buffer over the mark (and so pause the other side) always has one, so that side is resumed.
   */
  #sentCallback (socket: WebSocket, data: Buffer, onSent: (err?: Error) => void): ((err?: Error) => void) | undefined {
    return socket.bufferedAmount + data.length > this.#options.highWaterBytes >>> 1 ? onSent : undefined
  }

  #toUpstream (data: Buffer, binary: boolean): void {
    const upstream = this.#upstream
    if (!this.#ready || upstream === undefined) {
      this.#resumption.push(data, binary)
      this.#pendingBytes += data.length
      if (this.#pendingBytes > this.#options.highWaterBytes && !this.#clientPaused) {
        this.#clientPaused = true
        this.#client.pause()
      }
      return
    }
    const onSent = this.#sentCallback(upstream, data, this.#onUpstreamSent)
    const headerBytes = framedHeaderBytes(upstream, this.#upstreamMode, data.length)
    if (headerBytes === 0) {
      this.#resumption.push(data, binary)
      sendFrame(upstream, this.#upstreamMode, data, binary, onSent)
    } else {
      // The log's copy is the frame's too: header room before it in the slab, written as it is (one copy, not two).
      const raw = rawSocketOf(upstream) as Duplex
      sendFramed(raw, this.#upstreamMode, this.#resumption.push(data, binary, { headerBytes, reader: raw }), headerBytes, binary, onSent)
    }
    this.#resumption.markSent()
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
    // One pass over the frame for every marker below; most frames (audio, text) carry none and skip the rest.
    const marked = mayCarryUpstreamMarker(data)
    if (marked && mayCarryUsage(data)) this.#readUsage(data)
    const resumption = this.#resumption
    if (marked && resumption.awaitingSetupComplete && data.indexOf(SETUP_COMPLETE_MARKER) !== -1) {
      resumption.setupCompleted()
      if (this.#awaitingResume) {
        this.#resumed()
        return
      }
    }
    if (marked && this.#resumesWithoutProgress > 0 && data.indexOf(TURN_COMPLETE_MARKER) !== -1) this.#turnSinceResume = true
    // Parsed at most once, and only when a marker says something here reads the frame.
    let parsed: ParsedFrame | undefined
    if (resumption.enabled) {
      if (marked && data.indexOf(TOOL_CALL_MARKER) !== -1) {
        parsed = parseFrame(data)
        const toolCall = parsed.ok ? field(parsed.message, 'toolCall') : undefined
        if (toolCall !== undefined) {
          resumption.onToolCall(toolCall)
          // The call's answer must reach this upstream: a switch waits for the next idle moment.
          if (this.#fence !== undefined) this.#liftFence()
        }
      }
      let lifecycle = false
      if (marked && (data.indexOf(RESUMPTION_UPDATE_MARKER) !== -1 || data.indexOf(GO_AWAY_MARKER) !== -1)) {
        parsed ??= parseFrame(data)
        lifecycle = parsed.ok && this.#isLifecycle(parsed.message)
        if (lifecycle && parsed.ok && !this.#onLifecycle(parsed.message)) return
      }
      // Only model output counts towards a turn the client saw part of.
      if (!lifecycle) resumption.outputSeen()
    }
    if (marked && this.#interceptor.inspectsUpstream && this.#interceptor.wantsUpstreamFrame(data)) {
      parsed ??= parseFrame(data)
      if (parsed.ok && !this.#interceptor.onUpstreamMessage(parsed.message)) return
    }
    this.#toClient(data, isBinary)
  }

  // Resumption ----------------------------------------------------------------------------------------------------

  /**
   * `sessionResumptionUpdate` and `goAway`: recorded, and shown only to a client that asked for resumption itself.
   * Returns whether to forward the original frame.
   */
  #isLifecycle (message: JsonObject): boolean {
    return field(message, 'sessionResumptionUpdate') !== undefined || field(message, 'goAway') !== undefined
  }

  #onLifecycle (message: JsonObject): boolean {
    const resumption = this.#resumption
    const update = field(message, 'sessionResumptionUpdate')
    const goAway = field(message, 'goAway')
    // Checked against their schemas before use; a malformed one is passed on as it came and changes nothing here.
    const fence = this.#fence
    if (update !== undefined && conforms(SESSION_RESUMPTION_UPDATE, update)) {
      const advanced = resumption.onUpdate(update, fence?.passedBy)
      // A checkpoint: the next handle after its pong surely covers what was sent until now.
      if (resumption.estimated && !resumption.pinging) this.#pingUpstream()
      // Progress: the handle surely covers more, or the resumed upstream finished a turn before it.
      if (advanced || (this.#turnSinceResume && !resumption.busy)) {
        this.#resumesWithoutProgress = 0
        this.#turnSinceResume = false
      }
    }
    // A goAway livegate cannot act on (no handle yet, or the log overflowed) still warns the client, as it would have.
    const forward = resumption.clientAsked || (update === undefined && !resumption.canResume)
    if (!forward) {
      const rest: JsonObject = {}
      let others = false
      for (const key of Object.keys(message)) {
        if (key === 'sessionResumptionUpdate' || key === 'goAway') continue
        rest[key] = message[key]
        others = true
      }
      if (others) this.sendClient(rest)
    }
    if (goAway !== undefined) {
      this.#onGoAway(goAway)
    } else if (fence !== undefined) {
      // The model is busy (generating, or waiting on a call): the held messages go on to the old upstream.
      if (resumption.busy) this.#liftFence()
      else if (fence.passedBy !== 'none' && !resumption.estimated && resumption.relayedSinceHandle === 0) this.#switch('goAway')
    } else if (this.#switchTimer !== undefined && !resumption.busy) {
      this.#planSwitch()
    }
    return forward
  }

  #onGoAway (goAway: unknown): void {
    if (this.#resumption.clientAsked) {
      this.#clientWarned = true
      return
    }
    if (this.#switchTimer !== undefined) return
    // A goAway without a readable timeLeft still ends the connection: move at once.
    const timeLeftMs = conforms(GO_AWAY, goAway) ? parseProtoDuration(field(goAway, 'timeLeft')) ?? 0 : 0
    // Before the deadline: at the next moment the model is idle, at the latest with a quarter (at most 5 s) to spare.
    const latestMs = timeLeftMs - Math.min(timeLeftMs / 4, 5_000)
    this.#switchTimer = setTimeout(this.#guard('goAway timer', () => { this.#switch('goAway') }), latestMs)
    this.#switchTimer.unref()
    if (!this.#resumption.busy) this.#planSwitch()
  }

  /**
   * The model is idle. Move now when the newest handle is known to cover every message sent and no output came after
   * it (moving would replay the input that produced that output, and the client would get it twice). Without an
   * index, fence the old upstream so the next handle covers everything (module comment of live/resumption).
   */
  #planSwitch (): void {
    const resumption = this.#resumption
    const old = this.#upstream
    const fenceMs = this.#options.resumption.fenceMs
    const fenceHelps = fenceMs > 0
    if (resumption.relayedSinceHandle === 0 && (!resumption.estimated || !fenceHelps)) {
      this.#switch('goAway')
      return
    }
    if (!resumption.estimated || !fenceHelps || this.#fence !== undefined ||
        old === undefined || old.readyState !== old.OPEN || this.#awaitingResume) return
    this.#ready = false
    const timer = setTimeout(this.#guard('fence timer', () => { this.#switch('goAway') }), fenceMs)
    timer.unref()
    // An upstream whose pongs are not known to come in time (Gemini's have been measured at 8–30 s, longer than a
    // fence) cannot pass one by its pong: holding back for several round trips stands in for it.
    const quietMs = resumption.pongsInTime ? undefined : resumption.quietMs
    const quietTimer = quietMs === undefined ? undefined : setTimeout(this.#guard('fence quiet timer', () => { this.#passFence('quiet') }), quietMs)
    quietTimer?.unref()
    this.#fence = { seq: resumption.sentSeq, passedBy: 'none', timer, quietTimer }
    this.log.debug({ fenceMs, quietMs }, 'fencing the old upstream')
    this.#pingUpstream()
  }

  #pingUpstream (): void {
    const upstream = this.#upstream
    if (upstream === undefined || upstream.readyState !== upstream.OPEN || !this.#upstreamOpen) return
    upstream.ping(this.#resumption.pingPayload())
  }

  #upstreamPong (payload: Buffer): void {
    const resumption = this.#resumption
    if (!resumption.onPong(payload)) return
    const fence = this.#fence
    if (fence === undefined || resumption.readSeq < fence.seq) return
    this.#passFence('pong')
  }

  /** The old upstream has read every message sent to it: the next handle covers them all. The newest one may already. */
  #passFence (proof: 'pong' | 'quiet'): void {
    const fence = this.#fence
    if (fence === undefined || fence.passedBy !== 'none') return
    fence.passedBy = proof
    clearTimeout(fence.quietTimer)
    const resumption = this.#resumption
    if (!resumption.estimated && !resumption.busy && resumption.relayedSinceHandle === 0) this.#switch('goAway')
  }

  /** End a fence; the held messages stay in the log (the switch replays them). */
  #dropFence (): void {
    const fence = this.#fence
    if (fence === undefined) return
    this.#fence = undefined
    clearTimeout(fence.timer)
    clearTimeout(fence.quietTimer)
  }

  /** End a fence and write the held messages to the old upstream: frames flow again. */
  #liftFence (): void {
    this.#dropFence()
    if (this.#upstreamOpen && !this.#awaitingResume && !this.#closed) this.#flush()
  }

  /** Leave the current (open) upstream for a new connection resumed with the newest handle. */
  #switch (cause: 'goAway'): void {
    if (this.#switchTimer !== undefined) clearTimeout(this.#switchTimer)
    this.#switchTimer = undefined
    const old = this.#upstream
    if (this.#closed || this.#awaitingResume || !this.#upstreamOpen || old === undefined) {
      this.#dropFence()
      return
    }
    // Without a usable handle nothing can be done now; the upstream's close decides (see #upstreamClosed).
    const estimated = this.#resumption.settle()
    if (!this.#resumption.canResume) {
      this.#liftFence()
      return
    }
    this.#detach(old)
    const oldClosed = new Promise<void>((resolve) => {
      if (old.readyState === old.CLOSED) return resolve()
      const timer = setTimeout(() => { old.terminate(); resolve() }, OLD_UPSTREAM_CLOSE_MS)
      old.once('close', () => { clearTimeout(timer); resolve() })
      old.close(CLOSE_NORMAL, 'resuming on a new connection')
    })
    this.#resume(cause, oldClosed, estimated)
  }

  /**
   * Resume on a new connection. What dies with the old one is settled first: a model turn the client saw part of is
   * marked interrupted (the replayed user turn gets a complete answer), and calls of the old upstream are cancelled
   * the way Gemini cancels them (their answers would name ids the resumed session does not know).
   */
  #resume (cause: 'goAway' | 'drop', after: Promise<void> | undefined, estimated: boolean): void {
    const resumption = this.#resumption
    // The old connection's goAway and fence end with it.
    this.#dropFence()
    if (this.#switchTimer !== undefined) clearTimeout(this.#switchTimer)
    this.#switchTimer = undefined
    this.#turnSinceResume = false
    const lostTurn = resumption.busy && resumption.relayedSinceHandle > 0
    const deadCalls = [...resumption.pendingCallIds]
    const replayed = resumption.beginReplay()
    this.#ready = false
    this.#upstreamOpen = false
    this.#pendingBytes = 0
    if (lostTurn) this.sendClient({ serverContent: { interrupted: true } })
    if (deadCalls.length > 0) {
      const cancellation: JsonObject = { toolCallCancellation: { ids: deadCalls } }
      if (!this.#interceptor.inspectsUpstream || this.#interceptor.onUpstreamMessage(cancellation)) this.sendClient(cancellation)
    }
    // `estimatedCoverage`: no handle proved what the old upstream had read, so frames sent within a round trip of the
    // newest handle may be repeated or missed; `coverage` says how it is known (module comment of live/resumption).
    const coverage = estimated ? 'estimate' : resumption.coverage
    this.log.info({ cause, replayed, cancelledCalls: deadCalls.length, lostTurn, coverage, estimatedCoverage: coverage !== 'exact' }, 'resuming upstream')
    this.#openUpstream(true, after)
  }

  /** The resumed upstream's setupComplete: the client already had one; send what the new upstream has not had. */
  #resumed (): void {
    this.#awaitingResume = false
    this.log.info({ upstreamConnections: this.upstreamConnections }, 'upstream resumed')
    this.#flush()
  }

  #readUsage (data: Buffer): void {
    const usage = readUsage(data)
    if (usage === undefined) return
    this.usage.add(usage)
    this.#options.onUsage?.(usage)
  }

  #toClient (data: Buffer, binary: boolean): void {
    const client = this.#client
    if (client.readyState !== client.OPEN) return
    sendFrame(client, 'unmasked', data, binary, this.#sentCallback(client, data, this.#onClientSent))
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
    if (this.#switchTimer !== undefined) clearTimeout(this.#switchTimer)
    this.#dropFence()
    const upstream = this.#upstream
    if (upstream !== undefined) {
      this.#detach(upstream)
      if (this.#upstreamPaused) upstream.resume()
      if (this.#upstreamOpen) upstream.close(sendableCloseCode(upstreamCode), truncateCloseReason(upstreamReason))
      else upstream.terminate()
    }
    this.#interceptor.close()
    this.#resumption.close()
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
      upstreamConnections: this.upstreamConnections,
      usage: this.usage,
    }, 'session ended')
  }

  #upstreamClosed (code: number, reasonBytes: Buffer): void {
    if (this.#closed) return
    this.#options.onUpstreamClose?.(code)
    const resumption = this.#resumption
    if (!this.#awaitingResume && !this.#clientWarned && isResumableClose(code) && resumption.enabled &&
        resumption.handle !== undefined) {
      const estimated = resumption.settle()
      if (resumption.lost) {
        this.log.warn({ upstreamCloseCode: code }, 'upstream closed; replay buffer overflowed, cannot resume')
        this.fail(new LivegateError('LG_ERR_RELAY_RESUME_BUFFER_FULL',
          'upstream connection ended and the client data since the last resumption handle exceeded the replay buffer'))
        return
      }
      if (this.#resumesWithoutProgress < MAX_RESUMES_WITHOUT_PROGRESS) {
        this.#resumesWithoutProgress++
        if (this.#upstream !== undefined) this.#detach(this.#upstream)
        this.log.info({ upstreamCloseCode: code, upstreamReason: reasonBytes.toString().slice(0, 123) }, 'upstream dropped')
        this.#resume('drop', undefined, estimated)
        return
      }
    }
    // A refused resumption (expired or unknown handle) ends the session with the upstream's own code and reason.
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
    socket.off('pong', this.#onUpstreamPong)
    // A detached socket may still emit errors while closing; never let one crash the process.
    socket.on('error', () => {})
  }
}
