/**
 * @module live/connection-options
 * Per-connection options (`server_tools`, `livegate_events`) come from the query, as raw clients send them, or from a
 * path prefix `/o/<name=value&…>` in front of the Live path, because an SDK's `baseUrl` can carry a path but not a
 * query: the SDK appends `/ws/google.ai…?key=…` to the base, so `baseUrl: "http://gw:8080/o/livegate_events=1"`
 * dials `/o/livegate_events=1/ws/google.ai…` (reference §2, clients.md). The query wins where both name an option.
 */
import { LivegateError } from '../errors.js'

/** Options a client may set per connection; anything else in a path prefix is refused (a typo must not pass silently). */
export const CONNECTION_OPTIONS = ['server_tools', 'livegate_events'] as const

/** Longest path prefix read (a comma list of tool names fits many times over). */
const MAX_PREFIX_BYTES = 512

/**
 * `server_tools=none&livegate_events=1` (also `;`-separated) → its options. Throws LG_ERR_RELAY_BAD_OPTION for a
 * name that is not a connection option; credentials are refused by name so a key never sits in a path.
 * @example parsePathOptions('livegate_events=1').get('livegate_events') === '1'
 */
export function parsePathOptions (segment: string): URLSearchParams {
  if (Buffer.byteLength(segment) > MAX_PREFIX_BYTES) {
    throw new LivegateError('LG_ERR_RELAY_BAD_OPTION', `the /o/ options prefix is longer than ${MAX_PREFIX_BYTES} bytes`)
  }
  const options = new URLSearchParams(segment.replaceAll(';', '&'))
  for (const name of new Set(options.keys())) {
    if (name === 'key' || name === 'access_token') {
      throw new LivegateError('LG_ERR_RELAY_BAD_OPTION', `${name} does not belong in the /o/ path prefix: send credentials in the query or a header`)
    }
    if (!(CONNECTION_OPTIONS as readonly string[]).includes(name)) {
      throw new LivegateError('LG_ERR_RELAY_BAD_OPTION', `unknown option ${JSON.stringify(name.slice(0, 40))} in the /o/ path prefix (known: ${CONNECTION_OPTIONS.join(', ')})`)
    }
  }
  return options
}

/** The connection's options: the path prefix's, overridden by the query's. */
export function connectionOptions (prefix: string | undefined, query: URLSearchParams): URLSearchParams {
  const options = prefix === undefined ? new URLSearchParams() : parsePathOptions(prefix)
  for (const name of CONNECTION_OPTIONS) {
    const value = query.get(name)
    if (value !== null) options.set(name, value)
  }
  return options
}
