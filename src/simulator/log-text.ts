/**
 * @module simulator/log-text
 * The gateway's log rule for client-chosen strings (src/logger.ts `truncateForLog`), kept here because the
 * simulator imports nothing of livegate but live/protocol.ts: at most 200 characters, with the original length noted.
 */
const MAX_CHARS = 200

export function clipForLog (value: string): string {
  return value.length <= MAX_CHARS ? value : `${value.slice(0, MAX_CHARS)}…(${MAX_CHARS} of ${value.length} chars)`
}
