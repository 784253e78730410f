/**
 * @module live/protocol
 * Gemini Live (BidiGenerateContent) wire facts shared by the relay and the simulator: paths, message kinds,
 * camelCase/snake_case reading, frame decoding and close-code rules. See shared/reference/gemini-live-protocol.md.
 */
import type { RawData } from 'ws'

const API_VERSIONS = ['v1alpha', 'v1beta', 'v1'] as const
export type ApiVersion = typeof API_VERSIONS[number]
const LIVE_METHODS = ['BidiGenerateContent', 'BidiGenerateContentConstrained'] as const
export type LiveMethod = typeof LIVE_METHODS[number]

/** `/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent` */
export function livePath (version: ApiVersion, method: LiveMethod = 'BidiGenerateContent'): string {
  return `/ws/google.ai.generativelanguage.${version}.GenerativeService.${method}`
}

/** Every path a client may dial; the short alias maps to v1beta. */
export const LIVE_ROUTES: ReadonlyArray<{ path: string, version: ApiVersion, method: LiveMethod }> = [
  ...API_VERSIONS.flatMap((version) => LIVE_METHODS.map((method) => ({ path: livePath(version, method), version, method }))),
  { path: '/v1/live', version: 'v1beta', method: 'BidiGenerateContent' },
]


/** `client_content` → `clientContent` (proto3 JSON: parsers accept both spellings). */
export function toCamel (key: string): string {
  return key.includes('_') ? key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()) : key
}

/**
 * Fields whose values are user data (google.protobuf.Struct or JSON Schema), whose keys must keep their spelling:
 * a function's `args` may well contain `altair_json`.
 */
const OPAQUE_FIELDS = new Set(['args', 'response', 'parametersJsonSchema', 'responseJsonSchema', 'properties', 'example', 'default', 'enum'])

/** Deep copy with every proto field name in lowerCamelCase, leaving user data (args, response, schemas) as sent. */
export function camelizeMessage (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelizeMessage)
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const camel = toCamel(key)
    out[camel] = OPAQUE_FIELDS.has(camel) ? child : camelizeMessage(child)
  }
  return out
}

/** Read a field in either spelling: `field(obj, 'turnComplete')` also finds `turn_complete`. */
export function field (obj: unknown, camelName: string): unknown {
  if (obj === null || typeof obj !== 'object') return undefined
  const record = obj as Record<string, unknown>
  if (camelName in record) return record[camelName]
  const snake = camelName.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
  return record[snake]
}

export type JsonObject = Record<string, unknown>

/** Bytes of a frame as `ws` delivers it (Buffer, ArrayBuffer or fragments). */
export function frameBytes (data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}

/**
 * Bounds checked before `JSON.parse`: a frame's size, and how deep its brackets nest. `JSON.parse` itself is
 * iterative, but everything after it (walking, `JSON.stringify`) recurses, and 100,000 nested brackets overflow the
 * stack. 100 is protobuf's default recursion limit, which Google's proto JSON parser applies to these messages [I].
 */
export const MAX_JSON_DEPTH = 100
/** Larger frames are not parsed (ws `maxPayload`, LIVEGATE_MAX_FRAME_BYTES, normally stops them first). */
const MAX_PARSE_BYTES = 64 * 1024 * 1024

export interface ParseLimits {
  readonly maxBytes: number
  readonly maxDepth: number
}
const DEFAULT_PARSE_LIMITS: ParseLimits = Object.freeze({ maxBytes: MAX_PARSE_BYTES, maxDepth: MAX_JSON_DEPTH })

type ParseFailure = 'json' | 'not-object' | 'too-large' | 'too-deep'

export type ParsedFrame =
  | { ok: true, message: JsonObject, kind: string | undefined, keys: string[] }
  | { ok: false, reason: string, failure: ParseFailure }

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const OPEN_BRACKET = 0x5b
const CLOSE_BRACE = 0x7d
const CLOSE_BRACKET = 0x5d

/**
 * Whether the brackets of a JSON text nest deeper than `maxDepth`, by one pass over its bytes (no allocation).
 * Brackets inside strings do not count; a backslash skips the byte after it, so `"\""` stays inside the string.
 * Scanning UTF-8 bytes is safe: every byte of a multi-byte character is ≥ 0x80, never a quote or a bracket.
 * Malformed JSON may count wrong, but then `JSON.parse` refuses it anyway.
 */
export function nestsDeeperThan (bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0
  let inString = false
  const length = bytes.length
  for (let i = 0; i < length; i++) {
    const byte = bytes[i]
    if (inString) {
      if (byte === BACKSLASH) i++
      else if (byte === QUOTE) inString = false
    } else if (byte === QUOTE) {
      inString = true
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > maxDepth) return true
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--
    }
  }
  return false
}

/**
 * Parse a frame as one JSON object and name its (camelCase) top-level message kind, within `limits` (checked on the
 * bytes before parsing). `kind` is the first key; `keys` lists them all, so callers can reject multi-key messages.
 */
export function parseFrame (data: RawData | string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): ParsedFrame {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : frameBytes(data)
  if (bytes.length > limits.maxBytes) {
    return { ok: false, reason: `Frame of ${bytes.length} bytes is larger than ${limits.maxBytes}.`, failure: 'too-large' }
  }
  if (nestsDeeperThan(bytes, limits.maxDepth)) {
    return { ok: false, reason: `Invalid JSON payload received. Nesting deeper than ${limits.maxDepth} levels.`, failure: 'too-deep' }
  }
  let message: unknown
  try {
    message = JSON.parse(bytes.toString('utf8'))
  } catch {
    return { ok: false, reason: 'Invalid JSON payload received.', failure: 'json' }
  }
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    return { ok: false, reason: 'Invalid JSON payload received. Expected an object.', failure: 'not-object' }
  }
  const keys = Object.keys(message).map(toCamel)
  return { ok: true, message: message as JsonObject, kind: keys[0], keys }
}

/** Google sends every server message as a binary frame of pretty-printed UTF-8 JSON. */
export function encodeServerMessage (message: JsonObject): Buffer {
  return Buffer.from(JSON.stringify(message, null, 2), 'utf8')
}

// Close codes ---------------------------------------------------------------------------------------------------

export const CLOSE_NORMAL = 1000
export const CLOSE_GOING_AWAY = 1001
export const CLOSE_NO_STATUS = 1005
export const CLOSE_ABNORMAL = 1006
export const CLOSE_INVALID_PAYLOAD = 1007
export const CLOSE_POLICY = 1008
export const CLOSE_TOO_BIG = 1009
export const CLOSE_INTERNAL = 1011
export const CLOSE_TRY_AGAIN = 1013
/** RFC 6455 §5.5: a control frame payload is ≤ 125 bytes, two of which hold the code. */
export const MAX_CLOSE_REASON_BYTES = 123

/** Codes `ws` refuses to send (reserved or "never on the wire"): map them to the nearest sendable one. */
export function sendableCloseCode (code: number): number {
  if (code === CLOSE_NO_STATUS) return CLOSE_NORMAL
  if (code === CLOSE_ABNORMAL || code === 1015) return CLOSE_INTERNAL
  if ((code >= 1000 && code <= 1014 && code !== 1004) || (code >= 3000 && code <= 4999)) return code
  return CLOSE_INTERNAL
}

/** Cut a close reason to 123 UTF-8 bytes without splitting a character. */
export function truncateCloseReason (reason: string, maxBytes = MAX_CLOSE_REASON_BYTES): string {
  if (Buffer.byteLength(reason) <= maxBytes) return reason
  let out = ''
  let bytes = 0
  for (const ch of reason) {
    const size = Buffer.byteLength(ch)
    if (bytes + size > maxBytes) break
    out += ch
    bytes += size
  }
  return out
}

// Durations ------------------------------------------------------------------------------------------------------

/**
 * A proto `Duration` as JSON (`goAway.timeLeft`): seconds with 0, 3, 6 or 9 fractional digits and an `s` suffix.
 * `formatProtoDuration(50_000)` → `"50s"`, `formatProtoDuration(1_500)` → `"1.500s"`.
 */
export function formatProtoDuration (ms: number): string {
  const millis = Math.max(0, Math.round(ms))
  const seconds = Math.floor(millis / 1000)
  const rest = millis % 1000
  return rest === 0 ? `${seconds}s` : `${seconds}.${String(rest).padStart(3, '0')}s`
}

/** `"50s"` → 50000, `"1.5s"` → 1500; undefined for anything that is not a proto Duration string. */
export function parseProtoDuration (text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined
  const match = /^(-?\d+)(?:\.(\d{1,9}))?s$/.exec(text.trim())
  if (match === null) return undefined
  const seconds = Number(match[1])
  const fraction = match[2] === undefined ? 0 : Number(`0.${match[2]}`)
  return Math.round((seconds + (seconds < 0 ? -fraction : fraction)) * 1000)
}
