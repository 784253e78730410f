/**
 * @module simulator/session
 * One Live session after `setup`: the conversation, the model's turns, tool calls and their responses, barge-in,
 * the audio VAD and resumption updates. Frames go out through a `Wire` (the connection).
 *
 * Turn rules (reference §1.4, §1.5, §4):
 * - a user turn is `clientContent` with `turnComplete: true`, `realtimeInput.text`, or speech ended by ~500 ms of
 *   silence, `audioStreamEnd`, or `activityEnd` (when automatic activity detection is disabled);
 * - new user input while the model is generating or waiting on a BLOCKING call interrupts it: `interrupted`,
 *   `toolCallCancellation{ids}` for the pending calls, then `turnComplete` (never `generationComplete`);
 * - BLOCKING calls hold the turn until every id has a `toolResponse`; NON_BLOCKING calls end the turn and their
 *   responses start a new one as `scheduling` says (INTERRUPT, WHEN_IDLE, SILENT);
 * - `sessionResumptionUpdate` only when setup asked for it: `resumable: false` while busy, a new handle when idle;
 *   in echo mode also `ECHO_HANDLE_INTERVAL_MS` after the previous one when frames were echoed since (see `echoed`).
 */
import { randomUUID } from 'node:crypto'
import { effectiveBehavior, liveModel, supportsModality } from '../live/models.js'
import { parseProtoDuration } from '../live/protocol.js'
import { CallBook, type CallGroup, newCallId } from './calls.js'
import { AudioInput } from './input.js'
import { type Json, contentText, list, obj } from './json.js'
import type { CloseSpec } from './reasons.js'
import {
  ACTIVITY_WITH_AUTOMATIC_VAD, INTERNAL_ERROR, unknownField, unknownFunctionCall, unsupportedMime, unsupportedModalities,
} from './reasons.js'
import type { HandleStore, SessionSnapshot } from './resumption.js'
import type { Action, HistoryEntry, Modality, Script, ToolResponse, UserTurn } from './script.js'
import { callList, describeSpeech, replyFor, resolveReply } from './script.js'
import type { Outlet } from './turns.js'
import { pace, streamSpeech, streamText, usageMetadata } from './turns.js'

/**
 * Echo mode: how often a session that asked for resumption gets a new handle while audio is being echoed. Gemini
 * issues handles at turn boundaries and periodically; an echoed frame is a whole exchange, so every moment between
 * two echoes is such a boundary.
 */
export const ECHO_HANDLE_INTERVAL_MS = 1_000

/** What a session needs from its connection. */
interface Wire {
  send (message: Json): void
  close (spec: CloseSpec): void
  /** `goAway{timeLeft}` now, close 1011 when it runs out. */
  goAway (timeLeftMs: number): void
  /** Cut the TCP connection without a close frame. */
  drop (): void
  readonly connectionId: number
}

interface SessionOptions {
  script: Script
  chunkDelayMs: number
  /** Model id without `models/`. */
  model: string
  /** The camelized `setup` message. */
  setup: Json
  handles: HandleStore
  restored?: SessionSnapshot
  log: { warn (o: object, msg?: string): void }
}

interface Run {
  readonly controller: AbortController
  readonly turn: UserTurn
  /** Whether the turn has put model output on the wire (so it must end with `turnComplete`). */
  produced: boolean
  /** Whether its reply says or calls anything: an interrupted turn that would have spoken still gets closed. */
  readonly speaks: boolean
  text: string
  audioMs: number
  /** The NON_BLOCKING calls this turn made last, for `untilAnswered`. */
  nonBlocking: CallGroup<Run> | undefined
}

export class LiveSession {
  readonly #wire: Wire
  readonly #script: Script
  readonly #chunkDelayMs: number
  readonly #model: string
  readonly #setup: Json
  readonly #handles: HandleStore
  readonly #log: SessionOptions['log']
  readonly #modality: Modality
  /** What setup asked for in `responseModalities`, upper-cased (empty: the default, AUDIO). */
  readonly #requestedModalities: string[]
  /** The model marks turns with `interactionStatus` and `setupComplete` with a `sessionId`. */
  readonly #sessionFields: boolean
  /** Declared function name → its `behavior` (undefined: the model's default). */
  readonly #functions = new Map<string, string | undefined>()
  readonly #history: HistoryEntry[]
  #userTurns: number
  /** `clientContent` turns waiting for `turnComplete`. */
  #pendingContent: HistoryEntry[] = []
  #run: Run | undefined
  readonly #calls = new CallBook<Run>()
  readonly #whenIdle: Array<() => void> = []
  readonly #audio: AudioInput
  readonly #resumption: { transparent: boolean } | undefined
  #resumable: boolean | undefined
  #lastClientIndex = 0
  /** When the newest resumable handle was issued (echo mode paces its handles by it). */
  #handleAt = 0
  /** Echo mode: the handle due for the frames echoed since the newest one. */
  #echoHandleTimer: NodeJS.Timeout | undefined
  #promptTextChars = 0
  #disposed = false

  constructor (wire: Wire, options: SessionOptions) {
    this.#wire = wire
    this.#script = options.script
    this.#chunkDelayMs = options.chunkDelayMs
    this.#model = options.model
    this.#setup = options.setup
    this.#handles = options.handles
    this.#log = options.log
    const setup = options.setup
    this.#requestedModalities = list(obj(setup.generationConfig)?.responseModalities)
      // Not String(m): an object without a prototype has no toString, and a peer's frame must never crash the process.
      .map((m) => (typeof m === 'string' ? m : JSON.stringify(m) ?? '').toUpperCase())
    this.#modality = this.#requestedModalities[0] === 'TEXT' ? 'TEXT' : 'AUDIO'
    this.#sessionFields = liveModel(options.model)?.sessionFields ?? false
    for (const tool of list(setup.tools)) {
      for (const declaration of list(obj(tool)?.functionDeclarations)) {
        const d = obj(declaration)
        if (typeof d?.name === 'string') this.#functions.set(d.name, typeof d.behavior === 'string' ? d.behavior : undefined)
      }
    }
    this.#history = [...(options.restored?.history ?? [])]
    this.#userTurns = options.restored?.userTurns ?? 0
    this.#audio = new AudioInput(setup)
    const resumption = obj(setup.sessionResumption)
    this.#resumption = resumption === undefined ? undefined : { transparent: resumption.transparent === true }
  }

  get modality (): Modality { return this.#modality }
  get history (): readonly HistoryEntry[] { return this.#history }

  /**
   * After setup: `setupComplete` (with a `sessionId` on models that send one), then either the model's refusal of
   * what setup asked for, or the first resumption handle and the script's proactive turn if any.
   */
  start (): void {
    const removed = this.#removedField()
    if (removed !== undefined) {
      this.#wire.close(removed)
      return
    }
    this.#send({ setupComplete: this.#sessionFields ? { sessionId: randomUUID() } : {} })
    // "Handshake success is not capability" (reference §4 item 12): a modality the model cannot produce is refused
    // after setupComplete, with 1007.
    const requested = this.#requestedModalities
    if (requested.length > 1 || (requested.length === 1 && !supportsModality(this.#model, requested[0] as Modality))) {
      this.#wire.close(unsupportedModalities(requested))
      return
    }
    this.#updateResumption()
    if (this.#script.onSetup !== undefined) {
      const turn = this.#turn('', 'setup')
      void this.#runReply(resolveReply(this.#script.onSetup, turn), turn, [])
    }
  }

  /** A setup field this model no longer takes, refused as proto JSON refuses an unknown name (reference §1.2). */
  #removedField (): CloseSpec | undefined {
    for (const path of liveModel(this.#model)?.removedSetupFields ?? []) {
      const names = path.split('.')
      let value: unknown = this.#setup
      for (const name of names) value = obj(value)?.[name]
      if (value === undefined) continue
      const proto = names.map((n) => n.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))
      return unknownField(proto.at(-1) as string, ['setup', ...proto.slice(0, -1)].join('.'))
    }
    return undefined
  }

  /** A validated, camelized client message; `index` counts the connection's client messages (setup = 0). */
  receive (kind: string, message: Json, index: number): void {
    if (this.#disposed) return
    this.#lastClientIndex = index
    if (kind === 'clientContent') this.#clientContent(message)
    else if (kind === 'realtimeInput') this.#realtimeInput(message)
    else if (kind === 'toolResponse') this.#toolResponse(message)
  }

  /**
   * Echo mode: client message `index` (an audio frame) was answered at once. The exchange is complete, so the state
   * includes it; a handle issued after it covers every frame echoed so far and none that was not (it follows the
   * echoes on the same socket), so a resumption with it neither repeats nor drops an echo.
   */
  echoed (index: number): void {
    if (this.#disposed) return
    this.#lastClientIndex = index
    if (this.#resumption === undefined || this.#echoHandleTimer !== undefined) return
    // The next handle comes a second after the previous one, whether the stream goes on or has stopped.
    this.#echoHandleTimer = setTimeout(() => {
      this.#echoHandleTimer = undefined
      if (this.#run === undefined && !this.#calls.pending) this.#updateResumption()
    }, Math.max(0, this.#handleAt + ECHO_HANDLE_INTERVAL_MS - Date.now()))
    this.#echoHandleTimer.unref()
  }

  /** The socket is gone: stop every turn. */
  dispose (): void {
    this.#disposed = true
    clearTimeout(this.#echoHandleTimer)
    this.#run?.controller.abort()
    this.#run = undefined
    this.#whenIdle.length = 0
    this.#calls.clear()
  }

  // Input ------------------------------------------------------------------------------------------------------

  #clientContent (content: Json): void {
    for (const turn of list(content.turns)) {
      const t = obj(turn)
      if (t === undefined) continue
      this.#pendingContent.push({ role: t.role === 'model' ? 'model' : 'user', text: contentText(t) })
    }
    if (content.turnComplete !== true) return
    const entries = this.#pendingContent
    this.#pendingContent = []
    const said = entries.filter((e) => e.role === 'user').map((e) => e.text)
    for (const e of entries) if (e.role === 'model') this.#history.push(e)
    this.#userTurn(said.join('\n'), 'clientContent')
  }

  #realtimeInput (input: Json): void {
    // `video` (webcam `image/jpeg` frames, as the web console sends them) is taken in; this model does not look at
    // it. Only legacy `mediaChunks` are refused for anything but audio (reference §1.3).
    const audio = obj(input.audio)
    if (audio !== undefined) this.#audioChunk(audio)
    for (const chunk of list(input.mediaChunks)) {
      const blob = obj(chunk)
      if (blob === undefined) continue
      const mime = typeof blob.mimeType === 'string' ? blob.mimeType : ''
      if (!mime.startsWith('audio/')) return this.#wire.close(unsupportedMime(mime))
      this.#audioChunk(blob)
    }
    if (typeof input.text === 'string' && input.text !== '') this.#userTurn(input.text, 'realtimeText')
    if (input.activityStart !== undefined) {
      if (this.#audio.automatic) return this.#wire.close(ACTIVITY_WITH_AUTOMATIC_VAD)
      this.#audio.activityStart()
      if (this.#audio.interrupts) this.#bargeIn()
    }
    if (input.activityEnd !== undefined) {
      if (this.#audio.automatic) return this.#wire.close(ACTIVITY_WITH_AUTOMATIC_VAD)
      const ms = this.#audio.activityEnd()
      if (ms !== undefined) this.#audioTurn(ms)
    }
    if (input.audioStreamEnd === true && this.#audio.automatic) {
      const end = this.#audio.streamEnd()
      if (end?.type === 'end') this.#audioTurn(end.speechMs)
    }
  }

  #audioChunk (blob: Json): void {
    for (const event of this.#audio.push(blob)) {
      if (event.type === 'end') this.#audioTurn(event.speechMs)
      else if (this.#audio.interrupts) this.#bargeIn()
    }
  }

  #audioTurn (speechMs: number): void {
    const ms = Math.round(speechMs)
    const text = this.#script.transcribe?.({ durationMs: ms, index: this.#userTurns }) ?? describeSpeech(ms)
    if (this.#setup.inputAudioTranscription !== undefined) {
      this.#send({ serverContent: { inputTranscription: { text, finished: true } } })
    }
    this.#userTurn(text, 'audio', ms)
  }

  #userTurn (text: string, source: UserTurn['source'], audioMs?: number): void {
    if (source === 'audio' && !this.#audio.interrupts && this.#run !== undefined) {
      // NO_INTERRUPTION: the user's turn waits for the model's.
      this.#whenIdle.push(() => { this.#userTurn(text, source, audioMs) })
      return
    }
    this.#bargeIn()
    const turn = this.#turn(text, source, audioMs)
    this.#history.push({ role: 'user', text })
    this.#userTurns++
    this.#promptTextChars += text.length
    void this.#runReply(replyFor(this.#script, turn), turn, [])
  }

  #turn (text: string, source: UserTurn['source'], audioMs?: number): UserTurn {
    return {
      text,
      source,
      index: this.#userTurns,
      history: [...this.#history],
      setup: this.#setup,
      modality: this.#modality,
      declaredFunctions: [...this.#functions.keys()],
      ...(audioMs === undefined ? {} : { audioMs }),
    }
  }

  #toolResponse (message: Json): void {
    const answer = this.#calls.answer(message.functionResponses)
    if (!answer.ok) return this.#wire.close(unknownFunctionCall(answer.id))
    for (const { group, responses } of answer.completed) {
      if (group.blocking) {
        group.resolve?.(responses)
      } else {
        this.#deliver(group.continuation, group.turn, responses)
        group.answered?.()
      }
    }
    this.#updateResumption()
  }

  /** NON_BLOCKING responses start a new model turn as their scheduling says. */
  #deliver (continuation: readonly Action[], turn: UserTurn, responses: ToolResponse[]): void {
    const scheduling = responses[responses.length - 1]?.scheduling ?? 'WHEN_IDLE'
    if (scheduling === 'SILENT') return
    const start = (): void => { void this.#runReply(continuation, turn, responses) }
    if (scheduling === 'INTERRUPT') {
      this.#bargeIn()
      start()
    } else if (this.#run === undefined) {
      start()
    } else {
      this.#whenIdle.push(start)
    }
  }

  // Model turns ------------------------------------------------------------------------------------------------

  async #runReply (actions: readonly Action[], turn: UserTurn, responses: readonly ToolResponse[]): Promise<void> {
    if (this.#disposed) return
    const speaks = actions.some((a) => 'say' in a || 'sayFrom' in a || 'call' in a)
    const run: Run = { controller: new AbortController(), turn, produced: false, speaks, text: '', audioMs: 0, nonBlocking: undefined }
    this.#run = run
    this.#updateResumption()
    try {
      await this.#perform(actions, run, responses)
      if (this.#run === run && run.produced) this.#completeTurn(run)
    } catch (error) {
      if (!run.controller.signal.aborted) {
        this.#log.warn({ err: error }, 'simulator: script failed')
        this.#wire.close(INTERNAL_ERROR)
      }
    } finally {
      if (this.#run === run) {
        this.#run = undefined
        this.#idle()
      }
    }
  }

  async #perform (actions: readonly Action[], run: Run, responses: readonly ToolResponse[]): Promise<void> {
    let latest = responses
    for (let i = 0; i < actions.length; i++) {
      run.controller.signal.throwIfAborted()
      const action = actions[i] as Action
      if ('say' in action) {
        await this.#say(action.say, run)
      } else if ('sayFrom' in action) {
        await this.#say(action.sayFrom(latest, run.turn), run)
      } else if ('call' in action) {
        const calls = callList(action.call)
        const missing = calls.filter((c) => !this.#functions.has(c.name)).map((c) => c.name)
        if (missing.length > 0) {
          await this.#say(`I can't do that: no function named ${missing.join(' or ')} was declared in this session's tools.`, run)
          return
        }
        const functionCalls = calls.map((c) => ({ id: newCallId(), name: c.name, args: c.args ?? {} }))
        this.#send({ toolCall: { functionCalls } })
        run.produced = true
        const behavior = effectiveBehavior(this.#model, action.behavior ?? this.#functions.get(calls[0]?.name ?? ''))
        if (behavior === 'BLOCKING') {
          latest = await this.#calls.wait(this.#calls.register(functionCalls, true, run, [], run.turn), run.controller.signal)
        } else {
          run.nonBlocking = this.#calls.register(functionCalls, false, undefined, actions.slice(i + 1), run.turn)
          if (action.meanwhile !== undefined) await this.#perform(action.meanwhile, run, latest)
          return
        }
      } else if ('wait' in action) {
        await pace(action.wait, run.controller.signal)
      } else if ('untilAnswered' in action) {
        await this.#untilAnswered(run, action.untilAnswered)
      } else if ('goAway' in action) {
        this.#wire.goAway(parseProtoDuration(action.goAway) ?? 0)
      } else if ('close' in action) {
        this.#wire.close({ code: action.close[0], reason: action.close[1] })
        return
      } else if ('drop' in action) {
        this.#wire.drop()
        return
      } else if ('send' in action) {
        this.#send(action.send)
      }
    }
  }

  async #untilAnswered (run: Run, timeoutMs: number): Promise<void> {
    const group = run.nonBlocking
    if (group === undefined || group.responses.size >= group.ids.length) return
    const signal = AbortSignal.any([run.controller.signal, AbortSignal.timeout(Math.max(0, timeoutMs))])
    await new Promise<void>((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done)
        group.answered = undefined
        resolve()
      }
      group.answered = done
      signal.addEventListener('abort', done, { once: true })
    })
    run.controller.signal.throwIfAborted()
  }

  async #say (text: string, run: Run): Promise<void> {
    if (text === '') return
    // Consecutive pieces of one turn (before and after a tool call) read as separate sentences.
    const piece = run.text === '' || /\s$/.test(run.text) ? text : (this.#modality === 'TEXT' ? '\n\n' : ' ') + text
    run.produced = true
    const outlet: Outlet = { send: (m) => { this.#send(m) }, signal: run.controller.signal, chunkDelayMs: this.#chunkDelayMs }
    if (this.#modality === 'TEXT') {
      await streamText(piece, outlet)
    } else {
      run.audioMs += await streamSpeech(piece, outlet, this.#setup.outputAudioTranscription !== undefined)
    }
    run.text += piece
  }

  #completeTurn (run: Run): void {
    this.#send({ serverContent: { generationComplete: true } })
    this.#send({ serverContent: this.#turnComplete(), usageMetadata: this.#usage(run) })
    this.#remember(run)
  }

  /**
   * New input while the model is busy: stop its turn, cancel the calls it waits on, and close the turn with
   * `interrupted` then `turnComplete`.
   */
  #bargeIn (): void {
    const run = this.#run
    if (run === undefined) return
    this.#run = undefined
    run.controller.abort()
    const cancelled = this.#calls.cancelOwnedBy(run)
    if (run.produced || run.speaks) {
      this.#send({ serverContent: { interrupted: true } })
      if (cancelled.length > 0) this.#send({ toolCallCancellation: { ids: cancelled } })
      this.#send({ serverContent: this.#turnComplete(), usageMetadata: this.#usage(run) })
    }
    this.#remember(run)
  }

  /**
   * `turnComplete`, and on models that send it `interactionStatus` ("always sent alongside turn_complete"):
   * IN_PROGRESS while a NON_BLOCKING call is still running or its result is queued to be spoken, else IDLE [I].
   */
  #turnComplete (): Json {
    if (!this.#sessionFields) return { turnComplete: true }
    const busy = this.#calls.pending || this.#whenIdle.length > 0
    return { turnComplete: true, interactionStatus: busy ? 'IN_PROGRESS' : 'IDLE' }
  }

  #remember (run: Run): void {
    if (run.text !== '') this.#history.push({ role: 'model', text: run.text })
    this.#promptTextChars += run.text.length
  }

  #usage (run: Run): Json {
    return usageMetadata({
      promptTextChars: this.#promptTextChars,
      promptAudioMs: this.#audio.totalMs,
      responseTextChars: this.#modality === 'TEXT' ? run.text.length : 0,
      responseAudioMs: run.audioMs,
    })
  }

  #idle (): void {
    const next = this.#whenIdle.shift()
    if (next !== undefined) next()
    else this.#updateResumption()
  }

  // Output -----------------------------------------------------------------------------------------------------

  #send (message: Json): void {
    if (!this.#disposed) this.#wire.send(message)
  }

  /**
   * `sessionResumptionUpdate` when setup asked for it: `resumable: false` (no handle) while the model generates or a
   * call is pending, a fresh handle for the current conversation when idle. `lastConsumedClientMessageIndex` (int64 as
   * a string) only with `transparent: true`: the index of the last client message on this connection the state
   * includes, counting `setup` as 0.
   */
  #updateResumption (): void {
    if (this.#resumption === undefined || this.#disposed) return
    const resumable = this.#run === undefined && !this.#calls.pending
    if (!resumable && this.#resumable === false) return
    this.#resumable = resumable
    if (resumable) this.#handleAt = Date.now()
    const update: Json = resumable
      ? {
          newHandle: this.#handles.issue({ model: this.#model, history: [...this.#history], userTurns: this.#userTurns },
            this.#wire.connectionId, this.#lastClientIndex),
          resumable: true,
        }
      : { resumable: false }
    if (this.#resumption.transparent) update.lastConsumedClientMessageIndex = String(this.#lastClientIndex)
    this.#send({ sessionResumptionUpdate: update })
  }
}
