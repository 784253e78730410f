/**
 * @module simulator/types
 * The simulator's public contract. The relay tests and the benchmarks depend on these names: keep them.
 */
import type { Script } from './script.js'

export interface SimulatorLogger {
  info (o: object, msg?: string): void
  warn (o: object, msg?: string): void
  debug (o: object, msg?: string): void
}

export interface SimulatorOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string
  /** Port; default 0 (any free port). */
  port?: number
  /** Accepted keys and tokens; undefined = any non-empty credential. */
  apiKeys?: readonly string[]
  /**
   * Also play Vertex AI: serve `/ws/google.cloud.aiplatform.{v1,v1beta1}.LlmBidiService/BidiGenerateContent`, which
   * takes only `Authorization: Bearer` (one of `accessTokens`, when given: a live view, so a test can rotate tokens)
   * and models named `projects/{project}/locations/{location}/publishers/google/models/{id}`. Unset: that path is 404.
   */
  vertex?: { project: string, location: string, accessTokens?: ReadonlySet<string> }
  /** Known model ids (without `models/`). Default: the Live models named in the protocol reference. */
  models?: readonly string[]
  /** `goAway` at (age - goAwayNoticeMs), close 1011 at age. Default 10 minutes, as Gemini. */
  connectionAgeMs?: number
  /** How long before the deadline `goAway` comes. Default 50 seconds, capped to the age. */
  goAwayNoticeMs?: number
  /**
   * Answer WebSocket pings this late. Gemini's pongs have been measured at 8–30 s (reference §1.6); a relay that
   * reads anything into pong timing must work with that. Default 0: at once.
   */
  pongDelayMs?: number
  /**
   * Closed connections kept in `connections` for inspection (default 1,000, the oldest dropped first). A load
   * generator passes 0: each kept connection holds its session, so a long run's heap would grow with them.
   */
  keepClosedConnections?: number
  /** How long a resumption handle stays valid. Default 2 hours, as Gemini; tests shorten it to see a refusal. */
  handleTtlMs?: number
  /** Pacing between streamed chunks. Default 20 ms; tests pass 0 (frames then only yield to the event loop). */
  chunkDelayMs?: number
  /** What the model says and does. Default: `seedScript` (the cookbook plotting-and-mapping notebook). */
  script?: Script
  /**
   * Benchmark mode: after setup, answer each `realtimeInput` audio frame at once with one `serverContent` frame
   * carrying the same base64 data as `inlineData`. Those audio frames are counted but not kept in `received`.
   */
  echo?: boolean
  logger?: SimulatorLogger
}

export interface Simulator {
  /** `http://127.0.0.1:PORT`: what `LIVEGATE_UPSTREAM_URL` and the SDK's `httpOptions.baseUrl` take. */
  readonly url: string
  readonly port: number
  /** Every accepted socket, oldest first. */
  readonly connections: readonly SimulatorConnection[]
  /** Resolves with the next accepted socket. */
  nextConnection (): Promise<SimulatorConnection>
  close (): Promise<void>
}

export interface ReceivedFrame {
  /** Top-level message key in camelCase (`setup`, `clientContent`, …); `invalid` for a frame that is not JSON. */
  kind: string
  /** The message with every proto field name in camelCase (user data such as `args` as sent). */
  message: Record<string, unknown>
  binary: boolean
  bytes: number
}

export interface SimulatorConnection {
  readonly id: number
  /** The path as dialed, without the query (may start with `//`). */
  readonly path: string
  readonly apiVersion: string
  /** `vertex` when dialed on Vertex AI's path. */
  readonly api: 'gemini' | 'vertex'
  /** The key or token it was dialed with (tests assert the relay sends the server key). */
  readonly credential: string | undefined
  readonly headers: Record<string, string | string[] | undefined>
  readonly received: readonly ReceivedFrame[]
  /** The camelized `setup` message, once received. */
  readonly setup: Record<string, unknown> | undefined
  /**
   * When this connection resumed a session: the connection that issued the handle and the index of its last client
   * message the restored state includes (setup = 0). A test hook; nothing of it goes on the wire.
   */
  readonly resumedFrom: { readonly connectionId: number, readonly clientIndex: number } | undefined
  /** Resolves with the first received frame (past or future) that matches; rejects after timeoutMs (default 5 s). */
  waitFor (predicate: (f: ReceivedFrame) => boolean, timeoutMs?: number): Promise<ReceivedFrame>
  /** Inject any server message (sent as a binary frame of pretty-printed JSON). */
  send (message: Record<string, unknown>): void
  close (code: number, reason: string): void
  /** Drop the TCP connection without a close frame (the client sees 1006). */
  terminate (): void
  /** Bytes queued on this socket and not yet written (non-zero when the reader is paused or slow). */
  readonly bufferedAmount: number
  /** Stop reading the client's frames, as a stalled upstream would; `resumeReading` starts again. */
  pauseReading (): void
  resumeReading (): void
  /**
   * Settles when the socket has closed: with the simulator's code and reason when it closed first, else the
   * client's (1005 when it sent none, 1006 when the connection dropped).
   */
  readonly closed: Promise<{ code: number, reason: string }>
}
