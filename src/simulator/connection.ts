/**
 * @module simulator/connection
 * One accepted socket: records what the client sends, checks it as Google does (1007 for a frame that is not JSON,
 * a first message that is not `setup`, a second `setup`, several message kinds or an unknown field; 1008 for an
 * unknown model), handles `setup` (including resumption by handle), runs the connection-age `goAway` and deadline,
 * and hands every later message to its `LiveSession`. Every server message leaves as a binary frame of
 * pretty-printed camelCase JSON (reference §1.2).
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { RawData, WebSocket } from 'ws'
import {
  camelizeMessage, encodeServerMessage, formatProtoDuration, frameBytes, parseFrame, sendableCloseCode,
  truncateCloseReason,
} from '../live/protocol.js'
import type { CloseSpec } from './reasons.js'
import {
  DEADLINE_EXPIRED, INVALID_ARGUMENT, INVALID_HANDLE, SESSION_STILL_OPEN, invalidPayload, modelNotFound, publisherModelNotFound,
} from './reasons.js'
import type { HandleStore } from './resumption.js'
import type { Script } from './script.js'
import { LiveSession } from './session.js'
import type { ReceivedFrame, SimulatorConnection, SimulatorLogger } from './types.js'
import { validateClientMessage } from './validate.js'
import { echoFrame, echoSource } from './echo.js'

/** Past this many recorded frames, audio frames are counted but no longer kept (a long audio session). */
const MAX_RECORDED_FRAMES = 10_000
const DEFAULT_WAIT_MS = 5_000

export interface ConnectionDeps {
  script: Script
  chunkDelayMs: number
  models: readonly string[]
  connectionAgeMs: number
  goAwayNoticeMs: number
  echo: boolean
  /** Pongs go out this long after their ping (0: ws answers at once). */
  pongDelayMs: number
  handles: HandleStore
  /** Whether the connection with this id is still open (resuming while it is gets 1011). */
  isOpen (id: number): boolean
  log: SimulatorLogger
}

interface ConnectionInit {
  id: number
  path: string
  apiVersion: string
  /** Set when dialed on Vertex AI's path: the project and location the simulated Vertex serves. */
  vertex?: { project: string, location: string }
  credential: string | undefined
  headers: IncomingHttpHeaders
}

const VERTEX_MODEL = /^projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([^/]+)$/

type Waiter = {
  predicate: (f: ReceivedFrame) => boolean
  resolve: (f: ReceivedFrame) => void
  reject: (e: Error) => void
  timer: NodeJS.Timeout
}

export class Connection implements SimulatorConnection {
  readonly id: number
  readonly path: string
  readonly apiVersion: string
  readonly api: 'gemini' | 'vertex'
  readonly credential: string | undefined
  readonly headers: Record<string, string | string[] | undefined>
  readonly received: ReceivedFrame[] = []
  readonly closed: Promise<{ code: number, reason: string }>
  #setup: Record<string, unknown> | undefined
  #resumedFrom: { connectionId: number, clientIndex: number } | undefined
  readonly #ws: WebSocket
  readonly #deps: ConnectionDeps
  #session: LiveSession | undefined
  readonly #waiters = new Set<Waiter>()
  readonly #timers: NodeJS.Timeout[] = []
  /** Index of the last client message (setup = 0). */
  #index = -1
  /** Audio frames answered in echo mode or not recorded past the cap. */
  #unrecorded = 0
  /** What the simulator sent when it closed first. */
  #closeSent: CloseSpec | undefined
  #open = true
  readonly #vertex: { project: string, location: string } | undefined

  constructor (ws: WebSocket, init: ConnectionInit, deps: ConnectionDeps) {
    this.id = init.id
    this.path = init.path
    this.apiVersion = init.apiVersion
    this.api = init.vertex === undefined ? 'gemini' : 'vertex'
    this.#vertex = init.vertex
    this.credential = init.credential
    this.headers = { ...init.headers }
    this.#ws = ws
    this.#deps = deps
    this.closed = new Promise((resolve) => {
      ws.on('close', (code: number, reason: Buffer) => {
        this.#open = false
        this.#dispose()
        resolve(this.#closeSent ?? { code, reason: reason.toString('utf8') })
      })
    })
    ws.on('error', (error) => { deps.log.debug({ err: error, connection: this.id }, 'simulator: socket error') })
    ws.on('message', (data: RawData, isBinary: boolean) => { this.#onMessage(data, isBinary) })
    if (deps.pongDelayMs > 0) {
      ws.on('ping', (payload: Buffer) => {
        this.#timer(() => { if (ws.readyState === ws.OPEN) ws.pong(payload) }, deps.pongDelayMs)
      })
    }
  }

  get setup (): Record<string, unknown> | undefined { return this.#setup }
  get resumedFrom (): { connectionId: number, clientIndex: number } | undefined { return this.#resumedFrom }
  /**
   * Open until either side starts the close handshake: once the client's close frame has been read (the socket is
   * CLOSING, the answer is on its way) the session counts as closed, so a client that waits for its close to
   * complete before it resumes is never told the old socket is still open.
   */
  get open (): boolean { return this.#open && this.#closeSent === undefined && this.#ws.readyState === this.#ws.OPEN }
  /** Client frames seen but not kept in `received` (echo mode, or past the recording cap). */
  get unrecordedFrames (): number { return this.#unrecorded }

  /** Start the connection-age clock: `goAway` at (age − notice), close 1011 at age. */
  startClock (): void {
    const { connectionAgeMs, goAwayNoticeMs } = this.#deps
    if (!Number.isFinite(connectionAgeMs) || connectionAgeMs <= 0) return
    const notice = Math.min(goAwayNoticeMs, connectionAgeMs)
    this.#timer(() => { this.goAway(notice) }, connectionAgeMs - notice)
  }

  /** Send `goAway{timeLeft}` now and close with 1011 when the time is up. */
  goAway (timeLeftMs: number): void {
    if (!this.open) return
    this.send({ goAway: { timeLeft: formatProtoDuration(timeLeftMs) } })
    this.#timer(() => { this.fail(DEADLINE_EXPIRED) }, timeLeftMs)
  }

  send (message: Record<string, unknown>): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return
    this.#ws.send(encodeServerMessage(message), { binary: true })
  }

  close (code: number, reason: string): void {
    this.fail({ code: sendableCloseCode(code), reason: truncateCloseReason(reason) })
  }

  terminate (): void {
    this.#open = false
    this.#dispose()
    this.#ws.terminate()
  }

  get bufferedAmount (): number { return this.#ws.bufferedAmount }

  /** Stop reading the client's frames, as a stalled upstream would (tests: the gateway must pause its client). */
  pauseReading (): void { this.#ws.pause() }
  resumeReading (): void { this.#ws.resume() }

  /** Close as the service would: stop the session, then send the close frame. */
  fail (spec: CloseSpec): void {
    if (this.#closeSent !== undefined || !this.#open) return
    this.#closeSent = spec
    this.#dispose()
    this.#deps.log.debug({ connection: this.id, code: spec.code, reason: spec.reason }, 'simulator: closing')
    this.#ws.close(spec.code, spec.reason)
  }

  async waitFor (predicate: (f: ReceivedFrame) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<ReceivedFrame> {
    const seen = this.received.find(predicate)
    if (seen !== undefined) return seen
    return await new Promise<ReceivedFrame>((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter)
          reject(new Error(`simulator connection ${this.id}: no matching frame within ${timeoutMs} ms ` +
            `(received: ${this.received.map((f) => f.kind).join(', ') || 'nothing'})`))
        }, timeoutMs),
      }
      this.#waiters.add(waiter)
    })
  }

  // Incoming ---------------------------------------------------------------------------------------------------

  #onMessage (data: RawData, isBinary: boolean): void {
    if (!this.open) return
    this.#index++
    const bytes = frameBytes(data)
    if (this.#deps.echo && this.#session !== undefined && this.#echo(bytes)) return
    const parsed = parseFrame(bytes)
    if (!parsed.ok) {
      this.#record({ kind: 'invalid', message: {}, binary: isBinary, bytes: bytes.length })
      return this.fail(invalidPayload(parsed.reason))
    }
    const message = camelizeMessage(parsed.message) as Record<string, unknown>
    const validation = validateClientMessage(parsed.message)
    const kind = validation.ok ? validation.kind : parsed.kind ?? 'invalid'
    this.#record({ kind, message, binary: isBinary, bytes: bytes.length })
    if (!validation.ok) return this.fail(validation.close)
    const body = (message[kind] ?? {}) as Record<string, unknown>
    if (kind === 'setup') return this.#onSetup(body)
    if (this.#session === undefined) return this.fail(INVALID_ARGUMENT)
    this.#session.receive(kind, body, this.#index)
  }

  #onSetup (setup: Record<string, unknown>): void {
    if (this.#setup !== undefined) return this.fail(INVALID_ARGUMENT)
    this.#setup = setup
    const model = this.#modelId(setup.model)
    if (model === undefined) return

    const resumption = setup.sessionResumption as Record<string, unknown> | undefined
    const handle = typeof resumption?.handle === 'string' && resumption.handle !== '' ? resumption.handle : undefined
    const entry = handle === undefined ? undefined : this.#deps.handles.lookup(handle)
    if (handle !== undefined) {
      if (entry === undefined) return this.fail(INVALID_HANDLE)
      if (entry.ownerId !== this.id && this.#deps.isOpen(entry.ownerId)) return this.fail(SESSION_STILL_OPEN)
      this.#resumedFrom = { connectionId: entry.ownerId, clientIndex: entry.clientIndex }
    }
    this.#session = new LiveSession({
      send: (m) => { this.send(m) },
      close: (spec) => { this.close(spec.code, spec.reason) },
      goAway: (ms) => { this.goAway(ms) },
      drop: () => { this.terminate() },
      connectionId: this.id,
    }, {
      script: this.#deps.script,
      chunkDelayMs: this.#deps.chunkDelayMs,
      model,
      setup,
      handles: this.#deps.handles,
      ...(entry === undefined ? {} : { restored: entry.snapshot }),
      log: this.#deps.log,
    })
    this.#session.start()
  }

  /**
   * The model id a setup asks for, or undefined after closing as Google would. The Gemini API takes `models/X`;
   * Vertex AI takes only its resource name, for its own project and location [I: the close for a bare id].
   */
  #modelId (value: unknown): string | undefined {
    const name = typeof value === 'string' ? value : ''
    if (this.#vertex !== undefined) {
      const match = VERTEX_MODEL.exec(name)
      if (match === null) { this.fail(INVALID_ARGUMENT); return undefined }
      const [, project, location, id] = match as unknown as [string, string, string, string]
      if (project !== this.#vertex.project || location !== this.#vertex.location || !this.#deps.models.includes(id)) {
        this.fail(publisherModelNotFound(name))
        return undefined
      }
      return id
    }
    const id = name.replace(/^models\//, '')
    if (id === '') { this.fail(INVALID_ARGUMENT); return undefined }
    if (!this.#deps.models.includes(id)) { this.fail(modelNotFound(`models/${id}`, this.apiVersion)); return undefined }
    return id
  }

  /** Benchmark mode: answer an audio frame with its own data, without recording or copying it. */
  #echo (bytes: Buffer): boolean {
    const source = echoSource(bytes)
    if (source === undefined) return false
    this.#unrecorded++
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(echoFrame(source), { binary: true })
    this.#session?.echoed(this.#index)
    return true
  }

  #record (frame: ReceivedFrame): void {
    if (this.received.length >= MAX_RECORDED_FRAMES && frame.kind === 'realtimeInput') {
      this.#unrecorded++
      return
    }
    this.received.push(frame)
    for (const waiter of this.#waiters) {
      if (!waiter.predicate(frame)) continue
      clearTimeout(waiter.timer)
      this.#waiters.delete(waiter)
      waiter.resolve(frame)
    }
  }

  #timer (fn: () => void, ms: number): void {
    const timer = setTimeout(fn, Math.max(0, ms))
    timer.unref()
    this.#timers.push(timer)
  }

  #dispose (): void {
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.length = 0
    this.#session?.dispose()
  }
}
