/**
 * @module errors
 * One registry of livegate's error codes (`LG_ERR_<AREA>_<WHAT>`), each with its HTTP status, WebSocket close code
 * where one applies, a title and how to solve it. docs/errors.md is generated from this table
 * (`npm run docs`) and a test keeps them in agreement. Never reuse a retired code.
 */

export interface ErrorSpec {
  /** HTTP status when the error ends a REST request. */
  readonly status: number
  /** WebSocket close code when the error ends a session. */
  readonly ws?: number
  readonly title: string
  readonly fix: string
}

export const ERRORS = {
  // CONFIG
  LG_ERR_CONFIG_INVALID: { status: 500, title: 'Invalid configuration', fix: 'Fix the environment variables listed in the message; see docs/config.md.' },
  LG_ERR_CONFIG_STARTUP_TIMEOUT: { status: 500, title: 'Start took too long', fix: 'The gateway did not finish starting within LIVEGATE_STARTUP_TIMEOUT_MS. On a host with a small CPU share, or under a profiler or valgrind, raise it (0 waits for ever); with a Redis store, check that Redis answers.' },
  LG_ERR_CONFIG_TOOL_MODULE: { status: 500, title: 'Tool module not usable', fix: 'Fix the module named in the message: it must load and default-export { declaration, run } or an array of them (examples/tools/README.md).' },

  // AUTH
  LG_ERR_AUTH_MISSING: { status: 401, ws: 1008, title: 'Client credential missing', fix: 'Send a livegate client token as `?key=`, `?access_token=`, `x-goog-api-key` or `Authorization: Bearer`.' },
  LG_ERR_AUTH_INVALID: { status: 401, ws: 1008, title: 'Client credential not accepted', fix: 'Use one of the secrets in LIVEGATE_CLIENT_TOKENS / LIVEGATE_CLIENT_TOKENS_FILE. A Google API key is not a livegate token.' },
  LG_ERR_AUTH_METRICS_TOKEN: { status: 401, title: 'Metrics token missing or wrong', fix: 'Scrape /metrics with `Authorization: Bearer <LIVEGATE_METRICS_TOKEN>`.' },
  LG_ERR_AUTH_ORIGIN: { status: 403, ws: 1008, title: 'Origin not allowed', fix: 'Add the page origin to LIVEGATE_ALLOWED_ORIGINS.' },
  LG_ERR_AUTH_LOOPBACK_ONLY: { status: 401, ws: 1008, title: 'Only local clients are served', fix: 'The gateway holds a real Gemini key and no client authentication is configured, so it serves only clients on its own machine. Set LIVEGATE_CLIENT_TOKENS (or LIVEGATE_CLIENT_TOKENS_FILE) and send a token; or, if an open relay is really meant, LIVEGATE_ALLOW_ANONYMOUS=true.' },
  LG_ERR_AUTH_TOKEN_SIGNATURE: { status: 401, ws: 1008, title: 'Ephemeral token not valid', fix: 'The `auth_tokens/…` token is malformed or was not signed with LIVEGATE_TOKEN_SECRET (or LIVEGATE_TOKEN_SECRET_PREVIOUS): mint a new one with POST /v1alpha/auth_tokens.' },
  LG_ERR_AUTH_TOKEN_EXPIRED: { status: 401, ws: 1008, title: 'Ephemeral token expired', fix: 'Past its expireTime, or past its newSessionExpireTime for a new session: mint a new token (resuming a session stays allowed until expireTime).' },
  LG_ERR_AUTH_TOKEN_USED_UP: { status: 401, ws: 1008, title: 'Ephemeral token used up', fix: 'Every use of the token (`uses`) has opened a session already: mint a new token, or mint with more uses (0 = unlimited). Resuming a session is not a use.' },
  LG_ERR_AUTH_TOKEN_CONSTRAINT: { status: 403, ws: 1008, title: 'Not allowed with an ephemeral token', fix: 'An ephemeral token opens Live sessions on BidiGenerateContentConstrained only, within its constraints; it cannot mint tokens or call the REST API. Use a client token for those.' },
  LG_ERR_AUTH_TOKEN_REQUEST: { status: 400, title: 'Invalid auth token request', fix: 'Fix the field named in the message; the body is what `ai.authTokens.create()` sends (uses, expireTime, newSessionExpireTime, bidiGenerateContentSetup, fieldMask).' },
  LG_ERR_AUTH_TOKEN_TOO_LARGE: { status: 413, title: 'Ephemeral token too large', fix: 'The locked setup makes a token too long for a URL: lock a shorter setup (system instruction, tools) or fewer fields.' },
  LG_ERR_AUTH_TOKEN_SECRET_MISSING: { status: 503, title: 'No token secret', fix: 'Set LIVEGATE_TOKEN_SECRET (32+ characters, the same on every replica): with a shared Redis store, tokens minted with a per-process secret would fail on the other replicas.' },
  LG_ERR_AUTH_STORE_UNAVAILABLE: { status: 503, ws: 1013, title: 'Token use counter unavailable', fix: 'The shared store (Redis in LIVEGATE_STORE) that counts ephemeral token uses cannot be reached; retry shortly, and check Redis.' },

  // RELAY
  LG_ERR_RELAY_NOT_SETUP: { status: 400, ws: 1007, title: 'First frame is not setup', fix: 'Send `{"setup": {...}}` as the first message of a session.' },
  LG_ERR_RELAY_BAD_FRAME: { status: 400, ws: 1007, title: 'Frame is not a JSON message', fix: 'Send one JSON object per frame with exactly one of setup, clientContent, realtimeInput, toolResponse.' },
  LG_ERR_RELAY_SETUP_TIMEOUT: { status: 408, ws: 1008, title: 'No setup frame in time', fix: 'Send setup right after the socket opens (LIVEGATE_SETUP_TIMEOUT_MS).' },
  LG_ERR_RELAY_IDLE: { status: 408, ws: 1001, title: 'Session idle', fix: 'Keep sending, or raise LIVEGATE_IDLE_TIMEOUT_MS.' },
  LG_ERR_RELAY_PING_TIMEOUT: { status: 408, ws: 1001, title: 'Client stopped answering pings', fix: 'Check the client network; the client must answer WebSocket pings (browsers do).' },
  LG_ERR_RELAY_MODEL_NOT_ALLOWED: { status: 403, ws: 1008, title: 'Model not allowed', fix: 'Ask for one of the models in LIVEGATE_MODELS.' },
  LG_ERR_RELAY_FRAME_TOO_LARGE: { status: 413, ws: 1009, title: 'Frame too large to read', fix: 'Send smaller frames (split long content over several clientContent turns); frames livegate must read are bounded.' },
  LG_ERR_RELAY_BAD_OPTION: { status: 400, ws: 1008, title: 'Unknown connection option', fix: 'Per-connection options are server_tools and livegate_events, as `?name=value` after the Live path or a `/o/name=value&name=value` path prefix before it (credentials never go in the prefix).' },
  LG_ERR_RELAY_SHUTDOWN: { status: 503, ws: 1001, title: 'Gateway shutting down', fix: 'Reconnect; another replica will take the session.' },
  LG_ERR_RELAY_DRAINED: { status: 503, ws: 1012, title: 'Gateway restarting', fix: 'Reconnect through another replica; a client that asked for session resumption resumes with the handle it got just before the close.' },
  LG_ERR_RELAY_RESUME_BUFFER_FULL: { status: 503, ws: 1011, title: 'Session could not be resumed: replay buffer full', fix: 'More client data arrived after the last resumption handle than LIVEGATE_RESUME_BUFFER_BYTES / _MESSAGES allow; raise them, or let the model answer more often.' },

  // LIMIT (the close reason or problem names the limit; sessions already open are never cut by another's refusal)
  LG_ERR_LIMIT_SESSIONS: { status: 503, ws: 1013, title: 'Gateway session ceiling reached', fix: 'Retry later or on another replica; the operator can raise LIVEGATE_MAX_SESSIONS.' },
  LG_ERR_LIMIT_CLIENT_SESSIONS: { status: 429, ws: 1013, title: 'Too many open sessions for this client', fix: 'Close a session first; the operator can raise LIVEGATE_MAX_SESSIONS_PER_CLIENT.' },
  LG_ERR_LIMIT_SESSION_RATE: { status: 429, ws: 1013, title: 'Too many new sessions this minute', fix: 'Wait the seconds given in the reason; the operator can raise LIVEGATE_SESSIONS_PER_MINUTE_PER_CLIENT.' },
  LG_ERR_LIMIT_RENDER_RATE: { status: 429, title: 'Too many render requests this minute', fix: 'Retry after the number of seconds in Retry-After; the operator can raise LIVEGATE_RENDERS_PER_MINUTE_PER_CLIENT.' },
  LG_ERR_LIMIT_DAILY_TOKENS: { status: 429, ws: 1013, title: 'Daily token budget used up', fix: 'Wait until the budget resets at 00:00 UTC; the operator can raise LIVEGATE_DAILY_TOKENS_PER_CLIENT.' },
  LG_ERR_LIMIT_PRESSURE: { status: 503, ws: 1013, title: 'Gateway overloaded', fix: 'Retry after the number of seconds in Retry-After, or on another replica (LIVEGATE_MAX_EVENT_LOOP_DELAY_MS, LIVEGATE_MAX_HEAP_USED_BYTES).' },

  // UPSTREAM
  LG_ERR_UPSTREAM_UNREACHABLE: { status: 502, ws: 1011, title: 'Upstream unreachable', fix: 'Check LIVEGATE_UPSTREAM_URL and the network path to Gemini.' },
  LG_ERR_UPSTREAM_TIMEOUT: { status: 504, ws: 1013, title: 'Upstream did not answer in time', fix: 'Retry later; raise LIVEGATE_UPSTREAM_CONNECT_TIMEOUT_MS if the path is slow.' },
  LG_ERR_UPSTREAM_REJECTED: { status: 502, ws: 1011, title: 'Upstream refused the connection', fix: 'Check the server API key and quota; the reason names the HTTP status Gemini answered.' },
  LG_ERR_UPSTREAM_AUTH: { status: 502, ws: 1011, title: 'No upstream credentials', fix: 'Vertex AI needs Application Default Credentials: a service-account file in GOOGLE_APPLICATION_CREDENTIALS, workload identity, or the metadata server of the VM; the server log says what failed.' },
  LG_ERR_UPSTREAM_CLOSED: { status: 502, ws: 1011, title: 'Upstream closed abnormally', fix: 'Reconnect; the upstream dropped the connection without a close frame.' },

  // TOOL
  LG_ERR_TOOL_INVALID_ARGS: { status: 422, title: 'Invalid tool arguments', fix: 'Correct the arguments named in the message and call the tool again.' },
  LG_ERR_TOOL_TIMEOUT: { status: 504, title: 'Tool took too long', fix: 'Simplify the request (less data, smaller image) and call again.' },
  LG_ERR_TOOL_FAILED: { status: 500, title: 'Tool failed', fix: 'An unexpected failure; the server log has the details under the session id.' },
  LG_ERR_TOOL_ERROR: { status: 422, title: 'Tool reported an error', fix: 'The message is the tool\'s own: correct the arguments it names, or tell the user what it says.' },
  LG_ERR_TOOL_UNKNOWN: { status: 404, ws: 1008, title: 'Unknown server tool', fix: 'Use one of the tools listed in LIVEGATE_SERVER_TOOLS.' },

  // RENDER (charts)
  LG_ERR_RENDER_BAD_JSON: { status: 400, title: 'Spec is not valid JSON', fix: 'Send the spec as a JSON object or a JSON string of one.' },
  LG_ERR_RENDER_SPEC_TOO_LARGE: { status: 413, title: 'Spec too large', fix: 'Reduce the inline data, aggregate first, or raise LIVEGATE_CHART_MAX_SPEC_BYTES.' },
  LG_ERR_RENDER_INVALID_SPEC: { status: 422, title: 'Invalid chart spec', fix: 'Fix the Vega-Lite/Vega spec as the message describes.' },
  LG_ERR_RENDER_UNKNOWN_THEME: { status: 422, title: 'Unknown theme', fix: 'Use one of the theme names listed in the message.' },
  LG_ERR_RENDER_LOAD_REFUSED: { status: 422, title: 'External load refused', fix: 'Inline the data with `"data": {"values": [...]}` instead of a URL.' },
  LG_ERR_RENDER_TOO_MANY_ROWS: { status: 422, title: 'Too many data rows', fix: 'Aggregate or sample the data (LIVEGATE_CHART_MAX_ROWS).' },
  LG_ERR_RENDER_TOO_MANY_PIXELS: { status: 422, title: 'Image too large', fix: 'Reduce width, height or scale (LIVEGATE_CHART_MAX_PIXELS).' },
  LG_ERR_RENDER_EXPRESSION: { status: 422, title: 'Expression not allowed', fix: 'Use only the Vega expression language; code generation is disabled.' },
  LG_ERR_RENDER_TIMEOUT: { status: 422, title: 'Render took too long', fix: 'Simplify the chart (LIVEGATE_RENDER_TIMEOUT_MS).' },
  LG_ERR_RENDER_CRASHED: { status: 422, title: 'Render worker died', fix: 'The spec exhausted the worker (memory); simplify it.' },
  LG_ERR_RENDER_BUSY: { status: 503, title: 'Renderer busy', fix: 'Retry after the number of seconds in Retry-After.' },
  LG_ERR_RENDER_BAD_OPTION: { status: 400, title: 'Invalid render option', fix: 'Use format png or svg and a scale between 0.1 and 4.' },

  // MAP
  LG_ERR_MAP_INVALID_PARAM: { status: 400, title: 'Invalid map parameter', fix: 'Fix the parameter named in the message (its index and token are quoted); the grammar is that of the Google Maps Static API.' },
  LG_ERR_MAP_GEOCODE_FAILED: { status: 422, title: 'Address not found', fix: 'Send the location as `lat,lng`, or as a city name (optionally `City, ST` or `City, Country`).' },
  LG_ERR_MAP_PROVIDER: { status: 502, title: 'Map provider failed', fix: 'The tile server or Google answered with an error (quoted in the message); check MAPS_API_KEY / LIVEGATE_MAP_TILES, or retry.' },
  LG_ERR_MAP_ABORTED: { status: 503, title: 'Map render cancelled', fix: 'The call was cancelled or timed out before the map was drawn; call again.' },
  LG_ERR_MAP_TIMEOUT: { status: 422, title: 'Map render took too long', fix: 'Draw fewer markers, paths or a smaller map (LIVEGATE_RENDER_TIMEOUT_MS).' },

  // OUTBOUND (HTTP calls livegate makes: Google Static Maps, tile servers, allowlisted chart data)
  LG_ERR_OUTBOUND_TIMEOUT: { status: 504, title: 'Provider did not answer in time', fix: 'The provider named in the message did not answer within LIVEGATE_OUTBOUND_TIMEOUT_MS; retry later, or draw without it (inline the chart data, send coordinates).' },
  LG_ERR_OUTBOUND_TOO_LARGE: { status: 502, title: 'Provider response too large', fix: 'The provider named in the message sent more than LIVEGATE_OUTBOUND_MAX_BYTES; ask for less (smaller map, a smaller data file) or inline the data.' },

  // ARTIFACT
  LG_ERR_ARTIFACT_NOT_FOUND: { status: 404, title: 'Artifact not found', fix: 'The artifact expired or never existed; render it again.' },
  LG_ERR_ARTIFACT_STORE_UNAVAILABLE: { status: 503, title: 'Artifact store unavailable', fix: 'The shared store (Redis in LIVEGATE_STORE) cannot be reached or refused the command; check that Redis is up, the URL and password are right and `maxmemory` has an evicting policy, then retry.' },

  // INTERNAL (a fault in livegate itself, contained to one session)
  LG_ERR_INTERNAL: { status: 500, ws: 1011, title: 'Internal error', fix: 'A bug in livegate ended this one session; reconnect. The server log has the stack under the session id named in the reason; please report it.' },

  // HTTP (generic REST)
  LG_ERR_HTTP_NOT_FOUND: { status: 404, title: 'Not found', fix: 'See openapi.yaml for the routes.' },
  LG_ERR_HTTP_BAD_REQUEST: { status: 400, title: 'Bad request', fix: 'Fix the request as the message describes; see openapi.yaml.' },
  LG_ERR_HTTP_TOO_LARGE: { status: 413, title: 'Request body too large', fix: 'Send a smaller body.' },
  LG_ERR_HTTP_UNSUPPORTED_MEDIA: { status: 415, title: 'Unsupported media type', fix: 'Send application/json.' },
  LG_ERR_HTTP_INTERNAL: { status: 500, title: 'Internal error', fix: 'An unexpected failure; the server log has the details under the request id.' },
} as const satisfies Record<string, ErrorSpec>

export type ErrorCode = keyof typeof ERRORS

/** A livegate error: callers match on `err.code`. `detail` is shown to clients; it must never hold a secret. */
export class LivegateError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly detail: string
  readonly extra: Readonly<Record<string, unknown>> | undefined

  constructor (code: ErrorCode, detail: string, extra?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(detail, options)
    this.name = 'LivegateError'
    this.code = code
    this.status = ERRORS[code].status
    this.detail = detail
    this.extra = extra
  }

  get title (): string { return ERRORS[this.code].title }
  get wsCode (): number { return ('ws' in ERRORS[this.code] ? (ERRORS[this.code] as ErrorSpec).ws : undefined) ?? 1011 }
}

/** A code in the registry: what a code that crossed a process boundary must be before it names an error. */
export function isErrorCode (value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value)
}

export function isLivegateError (err: unknown): err is LivegateError {
  return err instanceof LivegateError
}

export const ERRORS_DOC_URL = 'https://github.com/livegate/livegate/blob/main/docs/errors.md'
