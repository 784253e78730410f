/**
 * @module simulator/json
 * Reading camelized client messages safely: a field is an object, a list (a proto repeated field, or one value), or
 * absent.
 */
export type Json = Record<string, unknown>

/** The value if it is a JSON object, else undefined. */
export function obj (value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Json : undefined
}

/** A repeated field as a list: an array as is, one value as a list of one, nothing as empty. */
export function list (value: unknown): unknown[] {
  if (Array.isArray(value)) return value
  return value === undefined || value === null ? [] : [value]
}

/** The text parts of a `Content`, joined. */
export function contentText (content: Json): string {
  return list(content.parts).map((p) => obj(p)?.text).filter((t): t is string => typeof t === 'string').join('')
}
