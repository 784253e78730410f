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

/** Client: `toolResponse` / `tool_response` (and `functionResponses` inside it). */
const TOOL_RESPONSE_MARKERS = [Buffer.from('oolResponse'), Buffer.from('ool_response')]

export function mayCarryToolResponse (data: Buffer): boolean {
  for (const marker of TOOL_RESPONSE_MARKERS) if (data.indexOf(marker) !== -1) return true
  return false
}
