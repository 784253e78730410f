/**
 * @module live/markers
 * Byte markers that say, without parsing, whether a frame may carry a message livegate reads; every other frame is
 * relayed as it came. One set for the session, the resumption log and the tool interceptor, so they cannot disagree on
 * what they look for. A false positive costs a parse, never a wrong result; a marker must never miss: upstream keys are
 * Gemini's camelCase (proto JSON), client keys may be either spelling.
 */

/** Upstream. */
export const RESUMPTION_UPDATE_MARKER = Buffer.from('"sessionResumptionUpdate"')
export const GO_AWAY_MARKER = Buffer.from('"goAway"')
export const SETUP_COMPLETE_MARKER = Buffer.from('"setupComplete"')
export const TURN_COMPLETE_MARKER = Buffer.from('"turnComplete"')
/** `"toolCall"` only. */
export const TOOL_CALL_MARKER = Buffer.from('"toolCall"')
/** `"toolCall"` and `"toolCallCancellation"`. */
export const TOOL_TRAFFIC_MARKER = Buffer.from('"toolCall')

/**
 * Starts both `"usageMetadata"` and `"usage_metadata"` (live/usage.ts looks for it in a frame's tail only); base64
 * audio holds no quote, and a false positive costs one parse.
 */
export const USAGE_MARKER = Buffer.from('"usage')

/**
 * One pass for every upstream marker above. Most upstream frames (audio, text deltas) carry none, and four to six
 * `indexOf`s over each (a native call and a scan apiece) cost ≈ 0.65 µs a frame where one regular expression over the
 * frame's bytes read as latin1 (one char per byte, so it matches exactly where a byte search would) costs ≈ 0.17 µs
 * (bench/RESULTS.md "Relay cost"). A frame it passes needs no other marker check; one it stops gets the specific ones.
 */
const ANY_UPSTREAM_MARKER = new RegExp([
  RESUMPTION_UPDATE_MARKER, GO_AWAY_MARKER, SETUP_COMPLETE_MARKER, TURN_COMPLETE_MARKER, TOOL_CALL_MARKER, TOOL_TRAFFIC_MARKER, USAGE_MARKER,
].map((marker) => marker.toString('latin1').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'))

export function mayCarryUpstreamMarker (data: Buffer): boolean {
  return ANY_UPSTREAM_MARKER.test(data.toString('latin1'))
}

/** Client: `toolResponse` / `tool_response` (and `functionResponses` inside it). */
const TOOL_RESPONSE_MARKERS = [Buffer.from('oolResponse'), Buffer.from('ool_response')]

export function mayCarryToolResponse (data: Buffer): boolean {
  for (const marker of TOOL_RESPONSE_MARKERS) if (data.indexOf(marker) !== -1) return true
  return false
}
