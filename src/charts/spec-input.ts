/**
 * @module charts/spec-input
 * Turns what a model or a REST client sent into a spec object: an object, a JSON string, or a JSON string of a
 * JSON string (models often encode twice). Checks the byte limit before parsing and the inline row count before
 * any render, so a huge spec is refused without touching the worker pool.
 */
import { LivegateError } from '../errors.js'

type SpecObject = Record<string, unknown>
export type SpecKind = 'vega-lite' | 'vega'

/** How many times a string is unwrapped before we give up: object → string → string of a string. */
const MAX_DECODE_DEPTH = 3

function isObject (value: unknown): value is SpecObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Parse `input` into a spec object, enforcing `maxBytes` on the encoded form.
 * @example parseSpecInput('"{\\"mark\\":\\"bar\\"}"', 1e6) // → { mark: 'bar' }
 */
export function parseSpecInput (input: unknown, maxBytes: number): SpecObject {
  let value = input
  for (let depth = 0; typeof value === 'string'; depth++) {
    const bytes = Buffer.byteLength(value)
    if (bytes > maxBytes) throw tooLarge(bytes, maxBytes)
    if (depth >= MAX_DECODE_DEPTH) throw new LivegateError('LG_ERR_RENDER_BAD_JSON', 'spec is a string encoded too many times')
    const text = value.trim()
    if (text === '') throw new LivegateError('LG_ERR_RENDER_BAD_JSON', 'spec is an empty string')
    try {
      value = JSON.parse(text)
    } catch (err) {
      throw new LivegateError('LG_ERR_RENDER_BAD_JSON', `spec is not valid JSON: ${(err as Error).message}`)
    }
  }
  if (!isObject(value)) {
    throw new LivegateError('LG_ERR_RENDER_INVALID_SPEC', `spec must be a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`)
  }
  if (typeof input !== 'string') {
    const bytes = Buffer.byteLength(JSON.stringify(value))
    if (bytes > maxBytes) throw tooLarge(bytes, maxBytes)
  }
  return value
}

function tooLarge (bytes: number, maxBytes: number): LivegateError {
  return new LivegateError('LG_ERR_RENDER_SPEC_TOO_LARGE', `spec is ${bytes} bytes; the limit is ${maxBytes}`, { limit: maxBytes })
}

/** Vega or Vega-Lite, from `$schema` (any version), else from the shape of the spec. */
export function specKind (spec: SpecObject): SpecKind {
  const schema = spec.$schema
  if (typeof schema === 'string') {
    if (/\/vega-lite\//.test(schema)) return 'vega-lite'
    if (/\/vega\//.test(schema)) return 'vega'
    throw new LivegateError('LG_ERR_RENDER_INVALID_SPEC', `$schema ${JSON.stringify(schema.slice(0, 200))} is neither Vega nor Vega-Lite`)
  }
  // Vega has `marks`/`signals`; Vega-Lite has `mark`, `layer`, `concat`, `facet`, `repeat`...
  return ('marks' in spec || 'signals' in spec || 'scales' in spec) && !('mark' in spec) && !('layer' in spec) ? 'vega' : 'vega-lite'
}

/**
 * Rows the spec asks for before any transform: inline `values` arrays, top-level `datasets`, and `sequence`
 * generators (Vega-Lite `data.sequence` and the Vega `sequence` transform), counted over the whole tree.
 */
export function countInlineRows (spec: unknown): number {
  let rows = 0
  const stack: unknown[] = [spec]
  while (stack.length > 0) {
    const node = stack.pop()
    if (Array.isArray(node)) { for (const item of node) if (typeof item === 'object' && item !== null) stack.push(item); continue }
    if (!isObject(node)) continue
    for (const [key, value] of Object.entries(node)) {
      if (key === 'values' && Array.isArray(value)) rows += value.length
      else if (key === 'datasets' && isObject(value)) {
        for (const data of Object.values(value)) if (Array.isArray(data)) rows += data.length
      } else if (key === 'sequence' && isObject(value)) rows += sequenceLength(value)
      else if (key === 'type' && value === 'sequence') rows += sequenceLength(node)
      if (typeof value === 'object' && value !== null && key !== 'values') stack.push(value)
    }
  }
  return rows
}

function sequenceLength (seq: SpecObject): number {
  const { start = 0, stop, step = 1 } = seq as { start?: unknown, stop?: unknown, step?: unknown }
  if (typeof start !== 'number' || typeof stop !== 'number' || typeof step !== 'number') {
    // A signal-driven sequence is sized only once the dataflow runs, and one huge array filled by push() can abort the
    // whole process despite the worker heap limit (nodejs/node#47224), so its size must be known up front.
    throw new LivegateError('LG_ERR_RENDER_TOO_MANY_ROWS', 'sequence bounds must be plain numbers so the row limit can be checked before rendering')
  }
  if (step === 0) return 0
  const n = Math.ceil((stop - start) / step)
  return Number.isFinite(n) && n > 0 ? n : 0
}

/** Throws LG_ERR_RENDER_TOO_MANY_ROWS when the spec's inline data exceeds `maxRows`. */
export function assertRowLimit (spec: SpecObject, maxRows: number): void {
  const rows = countInlineRows(spec)
  if (rows > maxRows) {
    throw new LivegateError('LG_ERR_RENDER_TOO_MANY_ROWS', `spec holds or generates ${rows} data rows; the limit is ${maxRows}`, { limit: maxRows })
  }
}

/** JSON with object keys sorted at every level, so equal specs hash equal whatever their key order. */
export function canonicalJson (value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (!isObject(v)) return v
    // A null prototype keeps a `__proto__` key as data instead of re-parenting the object.
    const sorted = Object.create(null) as SpecObject
    for (const key of Object.keys(v).sort()) sorted[key] = v[key]
    return sorted
  })
}
