/**
 * @module status
 * Words for the connection state: the status line, and a notice in the conversation when a session opens or
 * ends. A close shows its code and reason as the server sent them (livegate's reasons start with an LG_ERR code).
 */

/** Standard close codes a person may meet, in plain words (RFC 6455 §7.4.1). */
const CLOSE_MEANINGS = new Map([
  [1000, 'closed normally'],
  [1001, 'server going away'],
  [1005, 'closed without a status'],
  [1006, 'connection lost (no close frame): the gateway may be down or unreachable'],
  [1007, 'invalid message'],
  [1008, 'refused by policy'],
  [1009, 'message too big'],
  [1011, 'server error'],
  [1013, 'try again later'],
])

/**
 * @param {import('./live-client.js').StateDetail} detail
 * @param {import('./live-client.js').SessionOptions | undefined} options
 * @returns {{ text: string, notice?: { text: string, kind: 'info' | 'error' } }}
 */
export function describeState (detail, options) {
  switch (detail.state) {
    case 'idle': return { text: 'Not connected' }
    case 'connecting': return { text: 'Connecting…' }
    case 'setup': return { text: 'Connected, waiting for setup to complete…' }
    case 'ready': {
      const text = `Connected · ${options?.model ?? ''} · ${options?.modality ?? ''} replies`
      return { text, notice: { text: 'Connected. Type a message or start the microphone.', kind: 'info' } }
    }
    case 'closed': {
      const code = detail.code ?? 1005
      const meaning = CLOSE_MEANINGS.get(code) ?? (code >= 4000 ? 'closed by the gateway' : 'closed')
      const reason = detail.reason !== undefined && detail.reason !== '' ? `: ${detail.reason}` : ''
      const text = `Disconnected · ${code} ${meaning}${reason}`
      return { text, notice: { text, kind: code === 1000 ? 'info' : 'error' } }
    }
  }
  return { text: '' }
}
