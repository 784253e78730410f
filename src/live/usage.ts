/**
 * @module live/usage
 * Gemini's `usageMetadata` (reference/gemini-live-protocol.md §1.4), read off upstream frames without costing the
 * relay: it rides on the `turnComplete` frame, a few hundred bytes at the end of a turn, so the session checks only
 * the tail of each frame for the key (a bounded scan, whatever the frame's size: audio frames are never parsed)
 * and parses and validates a frame only on a hit.
 *
 * Proto3 JSON writes fields in declaration order and `usage_metadata` (field 10) comes after every message kind of
 * `BidiGenerateContentServerMessage`, so in a frame that carries it the key sits within the last part of the frame.
 */
import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { field, parseFrame } from './protocol.js'
import { USAGE_MARKER } from './markers.js'

/** How far from a frame's end the usage key may start: the object with its detail arrays, pretty-printed, fits easily. */
export const USAGE_TAIL_BYTES = 4096

/** Modalities Gemini reports (`MediaModality`); anything else is counted as OTHER, so metric labels stay bounded. */
const MODALITIES = ['TEXT', 'AUDIO', 'IMAGE', 'VIDEO', 'DOCUMENT', 'MODALITY_UNSPECIFIED', 'OTHER'] as const
type Modality = typeof MODALITIES[number]
const KNOWN_MODALITIES = new Set<string>(MODALITIES)

/** A token count as Gemini sends it; a billion per turn is far above any context window. */
const Count = Type.Integer({ minimum: 0, maximum: 1_000_000_000 })
const Details = Type.Array(Type.Object({ modality: Type.Optional(Type.String({ maxLength: 64 })), tokenCount: Type.Optional(Count) }), { maxItems: 16 })
const UsageSchema = Type.Object({
  promptTokenCount: Type.Optional(Count),
  responseTokenCount: Type.Optional(Count),
  totalTokenCount: Type.Optional(Count),
  promptTokensDetails: Type.Optional(Details),
  responseTokensDetails: Type.Optional(Details),
})
const checkUsage = TypeCompiler.Compile(UsageSchema)
type RawUsage = Static<typeof UsageSchema>

/** One turn's usage, normalised: counts default to 0, `total` to prompt + response when Gemini leaves it out. */
export interface TurnUsage {
  readonly prompt: number
  readonly response: number
  readonly total: number
  /** Tokens by side and modality, from the detail arrays (the whole side as MODALITY_UNSPECIFIED when they are absent). */
  readonly details: ReadonlyArray<{ readonly side: 'prompt' | 'response', readonly modality: Modality, readonly tokens: number }>
}

/** Whether the frame may carry `usageMetadata`: one scan of at most USAGE_TAIL_BYTES, no allocation. */
export function mayCarryUsage (data: Buffer): boolean {
  return data.indexOf(USAGE_MARKER, data.length > USAGE_TAIL_BYTES ? data.length - USAGE_TAIL_BYTES : 0) !== -1
}

/** The frame's validated `usageMetadata`, or undefined when it has none or a malformed one. */
export function readUsage (data: Buffer): TurnUsage | undefined {
  const parsed = parseFrame(data)
  if (!parsed.ok) return undefined
  const raw = camelUsage(field(parsed.message, 'usageMetadata'))
  if (raw === undefined || !checkUsage.Check(raw)) return undefined
  return normalise(raw)
}

/** Accept the snake_case spelling proto3 JSON parsers also accept, for upstreams that write it. */
function camelUsage (value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined
  const out: Record<string, unknown> = {}
  for (const key of ['promptTokenCount', 'responseTokenCount', 'totalTokenCount', 'promptTokensDetails', 'responseTokensDetails']) {
    const v = field(value, key)
    if (v === undefined) continue
    out[key] = Array.isArray(v) ? v.map((d) => ({ modality: field(d, 'modality'), tokenCount: field(d, 'tokenCount') })) : v
  }
  return out
}

function normalise (raw: RawUsage): TurnUsage {
  const prompt = raw.promptTokenCount ?? 0
  const response = raw.responseTokenCount ?? 0
  const details: Array<TurnUsage['details'][number]> = []
  const addSide = (side: 'prompt' | 'response', list: RawUsage['promptTokensDetails'], whole: number): void => {
    if (list === undefined || list.length === 0) {
      if (whole > 0) details.push({ side, modality: 'MODALITY_UNSPECIFIED', tokens: whole })
      return
    }
    for (const d of list) {
      const tokens = d.tokenCount ?? 0
      if (tokens === 0) continue
      const modality = d.modality !== undefined && KNOWN_MODALITIES.has(d.modality) ? d.modality as Modality : 'OTHER'
      details.push({ side, modality, tokens })
    }
  }
  addSide('prompt', raw.promptTokensDetails, prompt)
  addSide('response', raw.responseTokensDetails, response)
  return { prompt, response, total: raw.totalTokenCount ?? prompt + response, details }
}

/** A session's running usage, for its end-of-session log line. */
export class UsageTotals {
  turns = 0
  promptTokens = 0
  responseTokens = 0
  totalTokens = 0
  readonly byModality: Partial<Record<Modality, number>> = {}

  add (usage: TurnUsage): void {
    this.turns++
    this.promptTokens += usage.prompt
    this.responseTokens += usage.response
    this.totalTokens += usage.total
    for (const d of usage.details) this.byModality[d.modality] = (this.byModality[d.modality] ?? 0) + d.tokens
  }
}
