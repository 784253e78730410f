/**
 * @module live/resumption
 * What a session needs to move to a new upstream connection without the client noticing (reference §1.6, §2
 * "goAway / resumption"): the setup to send again with the newest handle, the client messages the handle does not
 * cover yet (the replay log), and the function-call ids that die with the old connection.
 *
 * Coverage rule: a `sessionResumptionUpdate{resumable:true, newHandle}` covers the client messages up to
 * `lastConsumedClientMessageIndex` when the upstream sends it (counted per connection, `setup` = 0, every message
 * livegate sent on that connection included, injected toolResponses too). Without the index (the Gemini Developer
 * API has no `transparent`) only ordering is certain: a WebSocket pong comes after the upstream read every frame sent
 * before its ping, so a handle that arrives after the pong covers at least those (checkpoints: livegate pings the
 * upstream when such a handle arrives, one ping at a time). Messages sent after the last checkpoint are kept. Before a
 * planned switch (goAway) the session fences the old upstream (live/session.ts): it holds new messages back, pings,
 * and moves with the first handle after the pong, which covers every message sent. An upstream whose pongs are not
 * known to come in time (Gemini's have been measured at 8–30 s) cannot prove it so: there the fence passes after
 * holding for `quietMs` (several round trips), and the handle after that is taken to cover every message sent, an
 * inference that holds while the upstream reads a frame within that time. Only when no handle comes within the fence,
 * or the upstream drops, are the uncertain messages split by the measured round trip (`settle`).
 * `resumable:false` updates never move the handle: "resuming in such state will result in some data loss", so the
 * last resumable handle is kept (reference §1.6).
 *
 * The log (live/replay-log.ts) keeps copies of the client's frames, unparsed, and is bounded. Past the bound the
 * already-sent messages are let go: the session goes on, and only a resumption needed before a newer handle covers
 * them fails (LG_ERR_RELAY_RESUME_BUFFER_FULL).
 */
import { performance } from 'node:perf_hooks'
import { field, parseFrame, type JsonObject } from './protocol.js'
import { ReplayLog, type SlabReader } from './replay-log.js'
import { mayCarryToolResponse } from './markers.js'
/** Unanswered pings kept (a peer that never pongs must not grow the list). */
const MAX_PINGS = 4
/** Ids of calls that died with an old upstream, remembered so late answers to them are dropped. */
const MAX_STALE_IDS = 1024
/** Shortest hold that stands in for a fence's pong (see Resumption.quietMs). */
const QUIET_MIN_MS = 100

/** What let a fence pass: the pong to its ping, or holding frames back for `quietMs`; 'none' while it holds. */
export type FenceProof = 'none' | 'pong' | 'quiet'
/**
 * How the newest handle's coverage is known: `exact` (an index, or a handle after a fence's pong), `inferred` (a
 * handle after a quiet fence: exact if the upstream reads a frame within `quietMs`), `estimate` (split by the round trip).
 */
export type Coverage = 'exact' | 'inferred' | 'estimate'

/**
 * Upstream closes after which the session is resumed on a new connection: Gemini's deadline and backend failures
 * (1011), a dropped TCP connection (1006), a server going away or restarting (1001, 1012), a bad gateway (1014).
 * Anything else (1007, 1008: the request itself was refused) would fail again and goes to the client as is.
 */
const RESUMABLE_CLOSE_CODES = new Set([1001, 1006, 1011, 1012, 1014])
export function isResumableClose (code: number): boolean {
  return RESUMABLE_CLOSE_CODES.has(code)
}

export interface ResumptionOptions {
  /** Replay log bounds: bytes, and messages (0 messages turns resumption off). */
  readonly bufferBytes: number
  readonly bufferMessages: number
  /** Ask for `transparent: true` when the client did not ask for resumption itself. */
  readonly transparent: boolean
  /** Longest a planned switch holds client messages back while it waits for a handle that covers them all. */
  readonly fenceMs: number
}

export class Resumption {
  /** The client's own setup asked for sessionResumption: it gets updates and goAway, and resumes itself on goAway. */
  clientAsked = false
  /** Newest handle of a resumable state (or the one the client resumed with), undefined before the first. */
  handle: string | undefined = undefined
  /** The latest update said `resumable: false`: the model is generating or waits on a call. */
  busy = false
  /** Upstream frames relayed to the client since the newest handle (a partial model turn is then lost on resume). */
  relayedSinceHandle = 0
  readonly enabled: boolean
  readonly #options: ResumptionOptions
  /** The setup object forwarded upstream, without a handle; resumes add the newest one. */
  #setup: JsonObject | undefined = undefined
  #setupBinary = false

  // The replay log: entry i has sequence number #firstSeq + i; sequence numbers count every message after setup.
  readonly #log = new ReplayLog()
  #firstSeq = 1
  /** Last sequence number written to the current upstream. */
  #sentSeq = 0
  /**
   * Round trip to the current upstream (ms), the estimate `settle` splits the uncertain messages by: the shortest seen
   * on this connection (setup → setupComplete, pongs). A single sample taken at a loaded moment, or a pong Gemini
   * answers late (measured at 8–30 s, reference §1.6), says nothing about how long a frame takes to be read.
   */
  #rttMs = 0
  /** How long the newest answered ping took, on any of the session's connections (the upstream's habit). */
  #pongMs: number | undefined = undefined
  /** A replaced connection left a ping unanswered for longer than a fence lasts, and no pong came in time since. */
  #pingsWentUnanswered = false
  /** When the current upstream was sent its setup, until its setupComplete gives a round trip. */
  #setupSentAt: number | undefined = undefined
  /** Pings to the current upstream whose pongs have not come: payload, and #sentSeq when sent. */
  #pings: Array<{ id: string, seq: number, at: number }> = []
  #nextPingId = 0
  /** The upstream has read every message up to this one (the newest answered ping's #sentSeq). */
  #readSeq = 0
  /** The newest handle's coverage is known up to `certain`; messages after it, up to `seq` (sent before it arrived), may or may not be in it. */
  #estimated: { at: number, seq: number, certain: number, answered: number } | undefined = undefined
  /** #sentSeq when the latest model output arrived: a turn-ending message up to it was followed by output. */
  #sentAtOutput = 0
  /** Sequence number of the first message after setup on the current upstream (its index 1). */
  #connectionBase = 1
  /** Messages up to this one were let go without a handle covering them. */
  #lostThrough = 0
  #coveredSeq = 0
  #coverage: Coverage = 'exact'
  /** Sequence numbers settle() found answered before the handle: not replayed. */
  readonly #answered = new Set<number>()
  /** The upstream reports `lastConsumedClientMessageIndex`. */
  #indexed = false

  /** Call ids the current upstream issued since the newest handle: they die if the connection is replaced. */
  #callIds: string[] = []
  readonly #staleIds = new Set<string>()

  /** The clock of send times and round trips (performance.now(); tests pass their own). */
  readonly #now: () => number

  constructor (options: ResumptionOptions, now: () => number = performance.now.bind(performance)) {
    this.#options = options
    this.#now = now
    this.enabled = options.bufferMessages > 0
  }

  /**
   * The client's setup (after the interceptor's rewrite): returns the setup to forward, with `sessionResumption`
   * added when the client did not ask for it, or undefined to forward the client's own bytes.
   */
  onSetup (setup: JsonObject, rewritten: boolean, binary: boolean): JsonObject | undefined {
    this.#setupBinary = binary
    const own = field(setup, 'sessionResumption')
    this.clientAsked = own !== undefined && own !== null
    if (this.clientAsked) {
      const handle = field(own, 'handle')
      if (typeof handle === 'string' && handle !== '') this.handle = handle
      this.#setup = setup
      return rewritten ? setup : undefined
    }
    if (!this.enabled) {
      this.#setup = setup
      return rewritten ? setup : undefined
    }
    this.#setup = { ...setup, sessionResumption: this.#options.transparent ? { transparent: true } : {} }
    return this.#setup
  }

  /** The setup frame for a new connection that resumes with the newest handle. */
  resumeSetup (): { data: Buffer, binary: boolean } {
    const setup: JsonObject = { ...this.#setup }
    const own = field(setup, 'sessionResumption') as JsonObject | undefined
    delete setup.session_resumption
    setup.sessionResumption = { ...own, handle: this.handle }
    return { data: Buffer.from(JSON.stringify({ setup })), binary: this.#setupBinary }
  }

  /** Whether a resumption is possible now (a handle, and every uncovered message still in the log). */
  get canResume (): boolean {
    return this.enabled && this.handle !== undefined && this.#lostThrough <= this.#coveredSeq
  }

  get lost (): boolean { return this.#lostThrough > this.#coveredSeq }

  // The replay log ------------------------------------------------------------------------------------------------

  /**
   * Keep a client message (sent now or later, in order); returns the kept copy, with `room` the frame to write as it is
   * (header room and payload, live/replay-log.ts `push`).
   */
  push (data: Buffer, binary: boolean, room?: { readonly headerBytes: number, readonly reader: SlabReader }): Buffer {
    const log = this.#log
    const framed = log.push(data, binary, room)
    if (log.size > this.#options.bufferMessages || log.bytes > this.#options.bufferBytes) this.#overflow()
    return framed
  }

  /** Messages kept for replay (sent or not). */
  get size (): number { return this.#log.size }

  /** The session ended: the log's slabs go back to the pool. */
  close (): void { this.#log.close() }

  /** The oldest message not yet written to the current upstream, as a copy of its own (the log reuses its slabs). */
  nextUnsent (): { data: Buffer, binary: boolean } | undefined {
    const i = this.#sentSeq + 1 - this.#firstSeq
    if (i >= this.#log.size) return undefined
    return { data: this.#log.copy(i), binary: this.#log.binary(i) }
  }

  /** The oldest unsent message was written to the upstream. */
  markSent (): void {
    this.#sentSeq++
    // The clock is read per frame only while handles come without an index: their split needs send times.
    if (!this.#indexed) {
      const i = this.#sentSeq - this.#firstSeq
      if (i >= 0 && i < this.#log.size) this.#log.setSentAt(i, this.#now())
    }
    if (!this.enabled || this.lost) {
      // Past the bound: what the upstream has is not kept, until a handle covers it.
      this.#lostThrough = this.#sentSeq
      this.#dropThrough(this.#sentSeq)
    }
  }

  #overflow (): void {
    if (this.#sentSeq < this.#firstSeq) return // nothing sent to let go: only a dial in progress holds these
    this.#lostThrough = this.#sentSeq
    this.#dropThrough(this.#sentSeq)
  }

  #dropThrough (seq: number): void {
    const n = Math.min(this.#log.size, seq - this.#firstSeq + 1)
    if (n <= 0) return
    this.#log.dropFront(n)
    this.#firstSeq += n
  }

  /**
   * A new connection is about to get the log: nothing is sent on it yet. toolResponses are not replayed: a handle is
   * only issued while no call is pending, so every call they answer was made after it, under an id the resumed
   * session does not know (Gemini closes 1007 on an unknown id); the replayed user turn makes the model call again.
   */
  beginReplay (): number {
    this.#sentSeq = this.#firstSeq - 1
    this.#estimated = undefined
    this.#rttMs = 0
    this.#pingsWentUnanswered ||= this.#oldestPingOlderThan(this.#options.fenceMs)
    this.#pings = []
    this.#readSeq = this.#sentSeq
    this.#sentAtOutput = this.#sentSeq
    this.#connectionBase = this.#firstSeq
    const log = this.#log
    const kept = log.retain((i) => {
      if (this.#answered.has(this.#firstSeq + i)) return false
      const data = log.data(i)
      return !(mayCarryToolResponse(data) && isToolResponse(data))
    })
    this.#answered.clear()
    for (const id of this.#callIds) this.#rememberStale(id)
    this.#callIds = []
    this.relayedSinceHandle = 0
    this.busy = false
    return kept
  }

  // Upstream messages ---------------------------------------------------------------------------------------------

  /** A round trip to the current upstream was measured (setup → setupComplete, a ping's pong). */
  noteRoundTrip (rttMs: number): void {
    this.#rttMs = this.#rttMs === 0 ? rttMs : Math.min(this.#rttMs, rttMs)
  }

  /** The current upstream was just sent its setup. */
  setupSent (): void { this.#setupSentAt = this.#now() }
  /** Whether the current upstream's setupComplete is still to come. */
  get awaitingSetupComplete (): boolean { return this.#setupSentAt !== undefined }
  /** Its setupComplete came: the first round trip of the connection. */
  setupCompleted (): void {
    if (this.#setupSentAt !== undefined) this.noteRoundTrip(this.#now() - this.#setupSentAt)
    this.#setupSentAt = undefined
  }

  /** A ping is about to go to the current upstream: its payload (answered pings tell what the upstream has read). */
  pingPayload (): Buffer {
    const id = String(this.#nextPingId++)
    this.#pings.push({ id, seq: this.#sentSeq, at: this.#now() })
    if (this.#pings.length > MAX_PINGS) this.#pings.shift()
    return Buffer.from(id)
  }

  /** Last sequence number written to the current upstream. */
  get sentSeq (): number { return this.#sentSeq }
  /** The current upstream has read every message up to this sequence number (answered pings). */
  get readSeq (): number { return this.#readSeq }

  /** Whether a ping to the current upstream is still unanswered. */
  get pinging (): boolean { return this.#pings.length > 0 }

  /** A pong from the current upstream: returns whether it answered one of livegate's pings (earlier ones are answered by it too). */
  onPong (payload: Buffer): boolean {
    const id = payload.toString()
    const at = this.#pings.findIndex((ping) => ping.id === id)
    if (at === -1) return false
    const ping = this.#pings[at] as { seq: number, at: number }
    this.#pings.splice(0, at + 1)
    this.#readSeq = Math.max(this.#readSeq, ping.seq)
    this.#pongMs = this.#now() - ping.at
    if (this.#pongMs <= this.#options.fenceMs) this.#pingsWentUnanswered = false
    this.noteRoundTrip(this.#pongMs)
    return true
  }

  /**
   * Whether the upstream answers pings later than a fence lasts, so a fence cannot pass: its newest pong took longer,
   * a ping has waited longer, or one did on a replaced connection. Unknown (no pong yet) counts as in time.
   */
  get pongsLate (): boolean {
    const limitMs = this.#options.fenceMs
    return (this.#pongMs !== undefined && this.#pongMs > limitMs) || this.#pingsWentUnanswered || this.#oldestPingOlderThan(limitMs)
  }

  /** Pongs have come within a fence's time on this session: a fence can wait for its pong, the proof. */
  get pongsInTime (): boolean {
    return this.#pongMs !== undefined && !this.pongsLate
  }

  /**
   * How long a fence holds frames back before the upstream is taken to have read every one sent before it, where no
   * pong can tell: four of the shortest round trips measured (setup → setupComplete counts, and it is heavier than
   * reading a frame), at least QUIET_MIN_MS, at most half the fence (a handle must still have time to come).
   */
  get quietMs (): number {
    return Math.min(this.#options.fenceMs / 2, Math.max(QUIET_MIN_MS, 4 * this.#rttMs))
  }

  /** How the newest handle's coverage is known (after `settle`, for the switch it settled). */
  get coverage (): Coverage { return this.#coverage }

  #oldestPingOlderThan (ms: number): boolean {
    const oldest = this.#pings[0]
    return oldest !== undefined && this.#now() - oldest.at > ms
  }

  /** Model output from the current upstream was relayed (called per frame: one store). */
  outputSeen (): void {
    this.#sentAtOutput = this.#sentSeq
    this.relayedSinceHandle++
  }

  /**
   * Settle an estimated coverage before a resumption. Of the uncertain messages, those sent a round trip or more
   * before the handle arrived are taken as covered, later ones are replayed, except a turn-ending message that model
   * output followed before the handle: the model answered it (Gemini issues handles at turn ends), and replaying it
   * would ask the same question twice. (A message sent while the previous turn's last frames were in flight is taken
   * as answered too; only a drop or a fence that timed out can meet that race.) Returns whether there was anything
   * to estimate: a resumption after it may repeat or miss the messages sent within a round trip of the handle.
   */
  settle (): boolean {
    const estimated = this.#estimated
    if (estimated === undefined) return false
    this.#estimated = undefined
    this.#coverage = 'estimate'
    const covered = Math.max(estimated.certain, this.#sentBefore(estimated.at - this.#rttMs, estimated.seq))
    this.#cover(covered)
    for (let seq = covered + 1; seq <= Math.min(estimated.seq, estimated.answered); seq++) {
      const i = seq - this.#firstSeq
      if (i >= 0 && i < this.#log.size && endsTurn(this.#log.data(i))) this.#answered.add(seq)
    }
    return true
  }

  /**
   * A `sessionResumptionUpdate` body from the current upstream, arrived just now. `fence`: it came after a fence passed
   * (by its pong, or by holding for `quietMs`), so it covers every message sent. Returns true when the new handle
   * covers a client message no earlier handle did (the conversation moved on).
   */
  onUpdate (update: unknown, fence: FenceProof = 'none'): boolean {
    if (field(update, 'resumable') !== true) {
      this.busy = true
      return false
    }
    const handle = field(update, 'newHandle')
    if (typeof handle !== 'string' || handle === '') return false
    this.handle = handle
    this.busy = false
    this.relayedSinceHandle = 0
    this.#callIds = []
    this.#estimated = undefined
    this.#answered.clear()
    this.#coverage = 'exact'
    const index = Number(field(update, 'lastConsumedClientMessageIndex'))
    let covered: number
    if (Number.isInteger(index) && index >= 0) {
      // The index counts this connection's messages with setup as 0 (the simulator's reading; the reference notes the
      // docs do not say): message i is sequence number #connectionBase + i - 1.
      this.#indexed = true
      covered = Math.min(this.#sentSeq, this.#connectionBase + index - 1)
    } else if (fence !== 'none') {
      covered = this.#sentSeq
      if (fence === 'quiet') this.#coverage = 'inferred'
    } else {
      // Only what the upstream had surely read is let go now; the rest waits for a later handle or settle().
      covered = Math.min(this.#readSeq, this.#sentSeq)
      if (covered < this.#sentSeq) {
        this.#estimated = { at: this.#now(), seq: this.#sentSeq, certain: covered, answered: this.#sentAtOutput }
        // Past the log's bound nothing exact is left to wait for: the estimate lets the session be resumable again.
        if (this.lost) {
          const before = this.#coveredSeq
          this.settle()
          return this.#coveredSeq > before
        }
      }
    }
    return this.#cover(covered)
  }

  /** Whether some messages sent before the newest handle arrived may or may not be in it. */
  get estimated (): boolean { return this.#estimated !== undefined }

  #cover (covered: number): boolean {
    if (covered <= this.#coveredSeq) return false
    this.#coveredSeq = covered
    this.#dropThrough(covered)
    return true
  }

  /** The last message up to `seq` sent at or before `time`; messages no longer logged were covered already. */
  #sentBefore (time: number, seq: number): number {
    for (let s = seq; s >= this.#firstSeq; s--) {
      if (this.#log.sentAt(s - this.#firstSeq) <= time) return s
    }
    return Math.min(seq, this.#firstSeq - 1)
  }

  /** Call ids of a `toolCall` from the current upstream. */
  onToolCall (toolCall: unknown): void {
    const calls = field(toolCall, 'functionCalls')
    if (!Array.isArray(calls)) return
    for (const call of calls) {
      const id = field(call, 'id')
      if (typeof id === 'string') this.#callIds.push(id)
    }
  }

  /** The calls that die when the current upstream is replaced. */
  get pendingCallIds (): readonly string[] { return this.#callIds }

  // Answers to calls of an old upstream ---------------------------------------------------------------------------

  /** Whether client frames need a look: only after a resumption left calls of the old upstream behind. */
  get filtersClient (): boolean { return this.#staleIds.size > 0 }

  wantsClientFrame (data: Buffer): boolean {
    return mayCarryToolResponse(data)
  }

  /**
   * A parsed client (or injected) message: a toolResponse loses the answers to calls of a replaced upstream. Returns
   * the message unchanged, a reduced one, or undefined when nothing is left to send.
   */
  filterToolResponse (message: JsonObject): JsonObject | undefined {
    if (this.#staleIds.size === 0) return message
    const key = 'toolResponse' in message ? 'toolResponse' : 'tool_response' in message ? 'tool_response' : undefined
    if (key === undefined) return message
    const body = message[key] as JsonObject | null
    if (body === null || typeof body !== 'object') return message
    const listKey = 'function_responses' in body ? 'function_responses' : 'functionResponses'
    const responses = body[listKey]
    if (!Array.isArray(responses)) return message
    const kept = responses.filter((r) => !this.#staleIds.has(field(r, 'id') as string))
    if (kept.length === responses.length) return message
    if (kept.length === 0) return undefined
    return { [key]: { ...body, [listKey]: kept } }
  }

  #rememberStale (id: string): void {
    this.#staleIds.add(id)
    if (this.#staleIds.size > MAX_STALE_IDS) {
      const oldest = this.#staleIds.values().next().value
      if (oldest !== undefined) this.#staleIds.delete(oldest)
    }
  }
}

function isToolResponse (data: Buffer): boolean {
  const parsed = parseFrame(data)
  return parsed.ok && (parsed.kind === 'toolResponse')
}

/**
 * Whether a client message ends a user turn, so the model answers it: `clientContent` with `turnComplete`, or
 * `realtimeInput` text, `audioStreamEnd` or `activityEnd` (reference §1.3). Audio and video chunks get no answer of their own.
 */
function endsTurn (data: Buffer): boolean {
  const parsed = parseFrame(data)
  if (!parsed.ok) return false
  const body = field(parsed.message, parsed.kind ?? '')
  if (parsed.kind === 'clientContent') return field(body, 'turnComplete') === true
  if (parsed.kind === 'realtimeInput') {
    return field(body, 'text') !== undefined || field(body, 'audioStreamEnd') === true || field(body, 'activityEnd') !== undefined
  }
  return false
}
