/**
 * @module simulator/script
 * What the simulated model says and does, as data. A script is a list of rules; the first rule whose `match` fits
 * the user's turn gives the reply, a list of actions the model performs in order:
 *
 * @example
 * const script: Script = {
 *   rules: [
 *     { match: /weather/i, reply: [
 *       { say: 'Let me check.' },
 *       { call: [{ name: 'get_weather', args: { city: 'Paris' } }] },        // waits for the toolResponse (BLOCKING)
 *       { sayFrom: (responses) => `It is ${String(responses[0]?.response.output)}.` },
 *     ] },
 *     { match: /bye/i, reply: [{ close: [1000, 'bye'] }] },
 *   ],
 *   fallback: [{ say: 'Sorry?' }],
 * }
 *
 * A reply that says or calls something is one model turn: its output is followed by `generationComplete`, then
 * `turnComplete` with `usageMetadata`. A reply made only of `wait`, `send`, `goAway`, `close` or `drop` emits nothing else,
 * so a test can make the simulator do exactly one thing.
 */

export type Modality = 'TEXT' | 'AUDIO'
export type Behavior = 'BLOCKING' | 'NON_BLOCKING'

/** One entry of the conversation the model remembers (and a resumed session gets back). */
export interface HistoryEntry {
  role: 'user' | 'model'
  text: string
}

export interface UserTurn {
  /** What the user said: typed text, or the transcript of their audio. */
  readonly text: string
  readonly source: 'clientContent' | 'realtimeText' | 'audio' | 'setup'
  /** 0-based count of user turns in the session (continues across resumption). */
  readonly index: number
  /** Earlier turns, oldest first, not including this one. */
  readonly history: readonly HistoryEntry[]
  readonly setup: Readonly<Record<string, unknown>>
  readonly modality: Modality
  /** Names of the functions declared in `setup.tools`. */
  readonly declaredFunctions: readonly string[]
  /** Length of the user's speech, for audio turns. */
  readonly audioMs?: number
}

export interface CallSpec {
  name: string
  args?: Record<string, unknown>
}

/** A function response as the client sent it (camelCase fields; `response` as sent). */
export interface ToolResponse {
  id: string
  name: string
  response: Record<string, unknown>
  scheduling?: string
  willContinue?: boolean
}

export type Action =
  /** Say this: streamed text deltas, or 24 kHz audio (+ `outputTranscription`) in an AUDIO session. */
  | { say: string }
  /** Say something computed from the responses of the calls before it in this reply. */
  | { sayFrom: (responses: readonly ToolResponse[], turn: UserTurn) => string }
  /**
   * Call one function, or several in parallel (one `toolCall` frame). Only functions declared in `setup.tools` are
   * called; otherwise the model says it has no such tool and the reply ends. BLOCKING (the declaration's default on
   * most models): the actions after it run once every call has its `toolResponse`. NON_BLOCKING: the model runs
   * `meanwhile` and ends its turn; the actions after the call run when the responses arrive, as their `scheduling`
   * says (INTERRUPT, WHEN_IDLE (default) or SILENT).
   */
  | { call: CallSpec | readonly CallSpec[], behavior?: Behavior, meanwhile?: readonly Action[] }
  | { wait: number }
  /**
   * In `meanwhile`: go on only once the NON_BLOCKING calls of this reply have their responses (or after this many
   * ms): a model that keeps talking while its call runs, so a test can have the result land mid-turn.
   */
  | { untilAnswered: number }
  /** `goAway{timeLeft}` (a Duration string such as `'5s'`), then close 1011 when the time is up. */
  | { goAway: string }
  | { close: readonly [number, string] }
  /** Drop the TCP connection without a close frame, as a failing backend or network does (the client sees 1006). */
  | { drop: true }
  /** Send this raw server message as is. */
  | { send: Record<string, unknown> }

export type Reply = readonly Action[] | ((turn: UserTurn) => readonly Action[])

export interface Rule {
  match: RegExp | string | ((turn: UserTurn) => boolean)
  reply: Reply
}

export interface Script {
  rules: readonly Rule[]
  /** When no rule matches. Default: a short text that says the simulator has no scripted answer. */
  fallback?: Reply
  /** What the user "said" in an audio turn (for matching and `inputTranscription`). Default: a description. */
  transcribe?: (audio: { durationMs: number, index: number }) => string
  /** Run as a model turn right after `setupComplete` (a proactive model). */
  onSetup?: Reply
}

/** The reply the script gives to a user turn. */
export function replyFor (script: Script, turn: UserTurn): readonly Action[] {
  for (const rule of script.rules) {
    if (matches(rule.match, turn)) return resolveReply(rule.reply, turn)
  }
  return resolveReply(script.fallback ?? DEFAULT_FALLBACK, turn)
}

export function resolveReply (reply: Reply, turn: UserTurn): readonly Action[] {
  return typeof reply === 'function' ? reply(turn) : reply
}

function matches (match: Rule['match'], turn: UserTurn): boolean {
  if (typeof match === 'function') return match(turn)
  if (typeof match === 'string') return turn.text.toLowerCase().includes(match.toLowerCase())
  match.lastIndex = 0
  return match.test(turn.text)
}

const DEFAULT_FALLBACK: Reply = (turn) => [{
  say: `This is the Gemini Live simulator, and it has no scripted answer to "${turn.text.slice(0, 80)}".`,
}]

/** An audio turn's default transcript: what the simulator can know about it. */
export function describeSpeech (durationMs: number): string {
  return `[${(durationMs / 1000).toFixed(1)} s of speech]`
}

/** Normalise `call` to a list. */
export function callList (call: CallSpec | readonly CallSpec[]): readonly CallSpec[] {
  return Array.isArray(call) ? call : [call as CallSpec]
}
