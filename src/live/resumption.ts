/**
 * @module live/resumption
 * What a session needs to move to a new upstream connection without the client noticing (reference §1.6, §2
 * "goAway / resumption"): the setup to send again with the newest handle, the client messages the handle does not
 * cover yet (the replay log), and the function-call ids that die with the old connection.
 *
 * Coverage rule: a `sessionResumptionUpdate{resumable:true, newHandle}` covers the client messages up to
 * `lastConsumedClientMessageIndex` when the upstream sends it (counted per connection, `setup` = 0, every message
 * livegate sent on that connection included, injected toolResponses too). Without the index (the Gemini Developer
 * API has no `transparent`), it covers what was sent before the upstream frame that preceded the update arrived:
 * Gemini issues handles right after the frame that ends a state (setupComplete, turnComplete), so what livegate sent
 * after reading that frame cannot be in it. Only a message sent within one round trip before that frame is then
 * uncertain, and is taken as covered. `resumable:false` updates never move the handle: "resuming in such state will
 * result in some data loss", so the last resumable handle is kept (reference §1.6).
 *
 * The log keeps references to the client's frame buffers (no copy, no parse) and is bounded. Past the bound the
 * already-sent messages are let go: the session goes on, and only a resumption needed before a newer handle covers
 * them fails (LG_ERR_RELAY_RESUME_BUFFER_FULL).
 */
import { field, parseFrame, type JsonObject } from './protocol.js'

/** Cheap byte tests on upstream frames; a false positive costs a parse, never a wrong result. */
export const RESUMPTION_UPDATE_MARKER = Buffer.from('"sessionResumptionUpdate"')
export const GO_AWAY_MARKER = Buffer.from('"goAway"')
export const SETUP_COMPLETE_MARKER = Buffer.from('"setupComplete"')
export const TOOL_CALL_MARKER = Buffer.from('"toolCall"')
const TOOL_RESPONSE_MARKERS = [Buffer.from('oolResponse'), Buffer.from('ool_response')]
/** Ids of calls that died with an old upstream, remembered so late answers to them are dropped. */
const MAX_STALE_IDS = 1024

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

  // The replay log: #data[i] has sequence number #firstSeq + i; sequence numbers count every message after setup.
  #data: Buffer[] = []
  #binary: boolean[] = []
  #bytes = 0
  #firstSeq = 1
  /** Last sequence number written to the current upstream. */
  #sentSeq = 0
  /** #sentSeq when the previous upstream frame arrived (what a handle without an index covers). */
  #sentAtLastFrame = 0
  /** Sequence number of the first message after setup on the current upstream (its index 1). */
  #connectionBase = 1
  /** Messages up to this one were let go without a handle covering them. */
  #lostThrough = 0
  #coveredSeq = 0

  /** Call ids the current upstream issued since the newest handle: they die if the connection is replaced. */
  #callIds: string[] = []
  readonly #staleIds = new Set<string>()

  constructor (options: ResumptionOptions) {
    this.#options = options
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

  /** Keep a client message (sent now or later, in order). */
  push (data: Buffer, binary: boolean): void {
    this.#data.push(data)
    this.#binary.push(binary)
    this.#bytes += data.length
    if (this.#data.length > this.#options.bufferMessages || this.#bytes > this.#options.bufferBytes) this.#overflow()
  }

  get hasUnsent (): boolean { return this.#sentSeq < this.#firstSeq + this.#data.length - 1 }
  /** Messages kept for replay (sent or not). */
  get size (): number { return this.#data.length }

  /** The oldest message not yet written to the current upstream. */
  nextUnsent (): { data: Buffer, binary: boolean } | undefined {
    const i = this.#sentSeq + 1 - this.#firstSeq
    if (i >= this.#data.length) return undefined
    return { data: this.#data[i] as Buffer, binary: this.#binary[i] as boolean }
  }

  /** The oldest unsent message was written to the upstream. */
  markSent (): void {
    this.#sentSeq++
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
    const n = Math.min(this.#data.length, seq - this.#firstSeq + 1)
    if (n <= 0) return
    for (let i = 0; i < n; i++) this.#bytes -= (this.#data[i] as Buffer).length
    this.#data.splice(0, n)
    this.#binary.splice(0, n)
    this.#firstSeq += n
  }

  /**
   * A new connection is about to get the log: nothing is sent on it yet. toolResponses are not replayed: a handle is
   * only issued while no call is pending, so every call they answer was made after it, under an id the resumed
   * session does not know (Gemini closes 1007 on an unknown id); the replayed user turn makes the model call again.
   */
  beginReplay (): number {
    this.#sentSeq = this.#firstSeq - 1
    this.#sentAtLastFrame = this.#sentSeq
    this.#connectionBase = this.#firstSeq
    let kept = 0
    for (let i = 0; i < this.#data.length; i++) {
      const data = this.#data[i] as Buffer
      if (isToolResponseFrame(data) && isToolResponse(data)) {
        this.#bytes -= data.length
        continue
      }
      this.#data[kept] = data
      this.#binary[kept] = this.#binary[i] as boolean
      kept++
    }
    this.#data.length = kept
    this.#binary.length = kept
    for (const id of this.#callIds) this.#rememberStale(id)
    this.#callIds = []
    this.relayedSinceHandle = 0
    this.busy = false
    return kept
  }

  // Upstream messages ---------------------------------------------------------------------------------------------

  /** Called after each upstream frame was handled: the next update without an index covers what was sent so far. */
  frameSeen (): void {
    this.#sentAtLastFrame = this.#sentSeq
  }

  /**
   * A `sessionResumptionUpdate` body from the current upstream. Returns true when the new handle covers a client
   * message no earlier handle did (the conversation moved on).
   */
  onUpdate (update: unknown): boolean {
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
    const index = Number(field(update, 'lastConsumedClientMessageIndex'))
    // The index counts this connection's messages with setup as 0 (the simulator's reading; the reference notes the
    // docs do not say): message i is sequence number #connectionBase + i - 1. Without it, all that was sent.
    const covered = Number.isInteger(index) && index >= 0
      ? Math.min(this.#sentSeq, this.#connectionBase + index - 1)
      : this.#sentAtLastFrame
    if (covered <= this.#coveredSeq) return false
    this.#coveredSeq = covered
    this.#dropThrough(covered)
    return true
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
    return isToolResponseFrame(data)
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

function isToolResponseFrame (data: Buffer): boolean {
  for (const marker of TOOL_RESPONSE_MARKERS) if (data.indexOf(marker) !== -1) return true
  return false
}
