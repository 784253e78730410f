/**
 * @module simulator/echo
 * Benchmark mode: each `realtimeInput` audio frame is answered at once with one `serverContent` frame carrying the
 * same base64 data as `inlineData`. This runs at 25k frames/s, so the audio is found by scanning the frame's bytes
 * (no JSON.parse, no deep copy) and the answer is built by concatenation in Google's pretty-printed layout. Frames
 * the scan cannot read (escapes in the string, an odd shape) fall back to JSON.parse.
 *
 * Echo mode trusts its client: it does not validate audio frames the way the normal path does.
 */

/** The blob as JSON string contents (no quotes, already escaped): views into the client's frame when possible. */
export interface EchoSource {
  mimeType: Buffer
  data: Buffer
}

const DEFAULT_MIME = Buffer.from('audio/pcm;rate=16000')
const AUDIO_PREFIX = Buffer.from('audio/')
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COLON = 0x3a
const OPEN_BRACE = 0x7b
const REALTIME_CAMEL = Buffer.from('"realtimeInput"')
const REALTIME_SNAKE = Buffer.from('"realtime_input"')
const DATA_KEY = Buffer.from('"data"')
const MIME_CAMEL = Buffer.from('"mimeType"')
const MIME_SNAKE = Buffer.from('"mime_type"')

function skipSpace (b: Buffer, i: number): number {
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++
  return i
}

function startsAt (b: Buffer, at: number, word: Buffer): boolean {
  return b.length - at >= word.length && b.compare(word, 0, word.length, at, at + word.length) === 0
}

/**
 * The string value after `key` (a quoted key followed by `:`) as a view of its bytes, or undefined. A JSON key can
 * only appear this way outside a string: inside one its quotes would be escaped. Values with escapes are left to
 * JSON.parse.
 */
function stringAfter (b: Buffer, key: Buffer): Buffer | undefined {
  const k = b.indexOf(key)
  if (k === -1) return undefined
  let i = skipSpace(b, k + key.length)
  if (b[i] !== COLON) return undefined
  i = skipSpace(b, i + 1)
  if (b[i] !== QUOTE) return undefined
  const end = b.indexOf(QUOTE, i + 1)
  if (end === -1) return undefined
  const escape = b.indexOf(BACKSLASH, i + 1)
  if (escape !== -1 && escape < end) return undefined
  return b.subarray(i + 1, end)
}

/** The audio blob of a `realtimeInput` frame (`audio`, or legacy `mediaChunks`), in either casing. */
export function echoSource (bytes: Buffer): EchoSource | undefined {
  const first = skipSpace(bytes, 0)
  if (bytes[first] !== OPEN_BRACE) return undefined
  const key = skipSpace(bytes, first + 1)
  if (!startsAt(bytes, key, REALTIME_CAMEL) && !startsAt(bytes, key, REALTIME_SNAKE)) return undefined
  const data = stringAfter(bytes, DATA_KEY)
  if (data === undefined) return parsed(bytes)
  const mimeType = stringAfter(bytes, MIME_CAMEL) ?? stringAfter(bytes, MIME_SNAKE) ?? DEFAULT_MIME
  return startsAt(mimeType, 0, AUDIO_PREFIX) ? { mimeType, data } : undefined
}

function blobOf (value: unknown): EchoSource | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const blob = value as Record<string, unknown>
  if (typeof blob.data !== 'string') return undefined
  const mime = blob.mimeType ?? blob.mime_type
  const mimeType = typeof mime === 'string' ? mime : 'audio/pcm;rate=16000'
  if (!mimeType.startsWith('audio/')) return undefined
  return { mimeType: Buffer.from(JSON.stringify(mimeType).slice(1, -1)), data: Buffer.from(JSON.stringify(blob.data).slice(1, -1)) }
}

function parsed (bytes: Buffer): EchoSource | undefined {
  let message: unknown
  try {
    message = JSON.parse(bytes.toString('utf8'))
  } catch {
    return undefined
  }
  if (message === null || typeof message !== 'object') return undefined
  const record = message as Record<string, unknown>
  const input = record.realtimeInput ?? record.realtime_input
  if (input === null || typeof input !== 'object' || Object.keys(record).length !== 1) return undefined
  const fields = input as Record<string, unknown>
  const chunks = fields.mediaChunks ?? fields.media_chunks
  return blobOf(fields.audio) ?? (Array.isArray(chunks) ? blobOf(chunks[0]) : undefined)
}

const HEAD = Buffer.from('{\n  "serverContent": {\n    "modelTurn": {\n      "parts": [\n        {\n          "inlineData": {\n            "mimeType": "')
const MIDDLE = Buffer.from('",\n            "data": "')
const TAIL = Buffer.from('"\n          }\n        }\n      ]\n    }\n  }\n}')

/** The answer frame, laid out as Gemini lays out its frames: one copy of the audio bytes, nothing else. */
export function echoFrame (source: EchoSource): Buffer {
  const length = HEAD.length + source.mimeType.length + MIDDLE.length + source.data.length + TAIL.length
  return Buffer.concat([HEAD, source.mimeType, MIDDLE, source.data, TAIL], length)
}
