/**
 * @module config
 * The only module that reads the environment. `loadConfig(env)` is pure: it validates every variable once, at
 * boot, reports *all* problems in one `LG_ERR_CONFIG_INVALID`, and returns a deep-frozen, typed `Config`.
 * docs/config.md mirrors the table below; test/internals/config.test.ts keeps them in agreement.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { LivegateError } from './errors.js'

type Kind = 'string' | 'int' | 'list' | 'url' | 'bool'

export interface EnvVar {
  readonly name: string
  readonly kind: Kind
  readonly doc: string
  /** Default as the environment would spell it; `undefined` means "unset". */
  readonly default?: string
  readonly min?: number
  readonly max?: number
  readonly oneOf?: readonly string[]
  /** Secrets are never logged or echoed back in an error. */
  readonly secret?: boolean
}

const MIB = 1024 * 1024

/** Every variable livegate reads, with its default and unit. */
export const ENV_VARS: readonly EnvVar[] = [
  // Server
  { name: 'LIVEGATE_HOST', kind: 'string', default: '0.0.0.0', doc: 'Address to listen on.' },
  { name: 'LIVEGATE_PORT', kind: 'int', default: '8080', min: 0, max: 65535, doc: 'Port to listen on (0 picks a free port).' },
  { name: 'LIVEGATE_PUBLIC_URL', kind: 'url', doc: "Base of artifact URLs handed to clients and the model, the plugin's prefix included (default: derived from the request's Host and the prefix)." },
  { name: 'LIVEGATE_LOG_LEVEL', kind: 'string', default: 'info', oneOf: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], doc: 'pino log level.' },
  { name: 'LIVEGATE_TRUST_PROXY', kind: 'bool', default: 'false', doc: 'Trust X-Forwarded-* headers (behind a load balancer).' },
  { name: 'LIVEGATE_TLS_CERT', kind: 'string', doc: 'PEM certificate chain file. With LIVEGATE_TLS_KEY, the port serves https and wss instead of http and ws.' },
  { name: 'LIVEGATE_TLS_KEY', kind: 'string', doc: 'PEM private key file for LIVEGATE_TLS_CERT (both or neither).' },
  { name: 'LIVEGATE_STARTUP_TIMEOUT_MS', kind: 'int', default: '10000', min: 0, doc: 'Longest the gateway\'s own start may take (its plugin: opening the artifact store, Redis included) before it exits with LG_ERR_CONFIG_STARTUP_TIMEOUT (Fastify\'s pluginTimeout; 10 s; 0 waits for ever). Raise it on a host with a small CPU share or under a profiler. The standalone server only: an app that registers the livegate plugin sets its own pluginTimeout.' },
  { name: 'LIVEGATE_DRAIN_MS', kind: 'int', default: '25000', min: 0, doc: 'On SIGTERM: time open sessions get to finish before they are closed with 1012 (25 s, inside a 30 s Kubernetes grace period).' },
  // Upstream
  { name: 'GEMINI_API_KEY', kind: 'string', secret: true, doc: 'The server-held Gemini API key. Unset (and no GOOGLE_API_KEY): the built-in simulator is the upstream.' },
  { name: 'GOOGLE_API_KEY', kind: 'string', secret: true, doc: 'Fallback for GEMINI_API_KEY.' },
  { name: 'LIVEGATE_UPSTREAM_URL', kind: 'url', doc: 'Gemini base URL (http(s) or ws(s)): only the scheme, host and path prefix are used. Default: Google (Gemini API, or Vertex AI with GOOGLE_GENAI_USE_VERTEXAI) when a key or Vertex is configured, else the in-process simulator.' },
  { name: 'GOOGLE_GENAI_USE_VERTEXAI', kind: 'bool', default: 'false', doc: 'Use Vertex AI as the upstream, with Application Default Credentials (needs GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION; see docs/vertex.md).' },
  { name: 'GOOGLE_CLOUD_PROJECT', kind: 'string', doc: 'Vertex AI project id (with GOOGLE_GENAI_USE_VERTEXAI).' },
  { name: 'GOOGLE_CLOUD_LOCATION', kind: 'string', doc: 'Vertex AI location, e.g. `us-central1` or `global` (with GOOGLE_GENAI_USE_VERTEXAI).' },
  { name: 'GOOGLE_APPLICATION_CREDENTIALS', kind: 'string', doc: 'Service-account (or workload identity federation) JSON file for Vertex AI. Unset: the other Application Default Credentials sources (gcloud user credentials, the metadata server).' },
  { name: 'LIVEGATE_UPSTREAM_CONNECT_TIMEOUT_MS', kind: 'int', default: '10000', min: 100, doc: 'Time allowed to open the upstream socket (10 s).' },
  { name: 'LIVEGATE_MODELS', kind: 'list', doc: 'If set, the only models clients may ask for (ids without `models/`).' },
  { name: 'LIVEGATE_RESUME_BUFFER_BYTES', kind: 'int', default: String(4 * MIB), min: 0, doc: 'Per session: bytes of client messages kept for replay after the newest resumption handle (4 MiB, about 90 s of 16 kHz audio). Past it the session goes on, but cannot be resumed until a newer handle covers the dropped messages.' },
  { name: 'LIVEGATE_RESUME_BUFFER_MESSAGES', kind: 'int', default: '4096', min: 0, doc: 'Per session: client messages kept for replay after the newest resumption handle (0 turns transparent resumption off).' },
  { name: 'LIVEGATE_RESUME_FENCE_MS', kind: 'int', default: '2000', min: 0, doc: 'Without `lastConsumedClientMessageIndex` (the Gemini Developer API), how long a planned switch (goAway) may hold the client\'s messages back from the old connection while it waits for a handle that covers all of them; then it moves with the newest handle, split by the shortest measured round trip (a message in flight then may be repeated or missed). Where pongs are not known to come within it (Gemini\'s have been measured at 8–30 s), holding back for four shortest round trips (100 ms at least, half of this at most) stands in for the pong. Held messages are replayed on the new connection, none is lost.' },
  { name: 'LIVEGATE_RESUME_TRANSPARENT', kind: 'bool', default: 'false', doc: 'Ask the upstream for `sessionResumption.transparent` (Vertex AI), so it reports `lastConsumedClientMessageIndex`. The Gemini Developer API has no such field: leave it off there.' },
  // Clients
  { name: 'LIVEGATE_CLIENT_TOKENS', kind: 'list', secret: true, doc: 'Comma-separated client tokens, each `name:secret` (a bare `secret` is named `client-<short hash>`); secrets are at least 16 characters. Unset (and no file): with a real Gemini key only loopback clients are served, unless LIVEGATE_ALLOW_ANONYMOUS.' },
  { name: 'LIVEGATE_CLIENT_TOKENS_FILE', kind: 'string', doc: 'File with more client tokens (a mounted secret): one `name:secret` per line; blank lines and `#` comments are ignored. Read once at start.' },
  { name: 'LIVEGATE_ALLOW_ANONYMOUS', kind: 'bool', default: 'false', doc: 'With a real Gemini key and no client tokens, serve clients from anywhere (an open relay spending your key). Default: loopback clients only.' },
  { name: 'LIVEGATE_TOKEN_SECRET', kind: 'string', secret: true, doc: 'Key (32+ characters, the same on every replica) that signs the ephemeral `auth_tokens/…` tokens minted at POST /v1alpha/auth_tokens. Unset: a per-process random key (tokens die with the process); refused for minting with a Redis store, where replicas must agree.' },
  { name: 'LIVEGATE_TOKEN_SECRET_PREVIOUS', kind: 'string', secret: true, doc: 'The previous LIVEGATE_TOKEN_SECRET, still accepted for verification while tokens it signed expire (rotation).' },
  { name: 'LIVEGATE_ALLOWED_ORIGINS', kind: 'list', doc: 'Comma-separated browser origins allowed to connect (`*` or unset: any). Requests without Origin (non-browsers) are not affected.' },
  { name: 'LIVEGATE_MAX_SETUP_BYTES', kind: 'int', default: String(MIB), min: 1024, doc: 'Largest `setup` frame accepted (1 MiB): livegate parses it on the relay thread, so it is bounded apart from other frames. Over it: 1009 `LG_ERR_RELAY_FRAME_TOO_LARGE`.' },
  { name: 'LIVEGATE_MAX_FRAME_BYTES', kind: 'int', default: String(8 * MIB), min: 1024, doc: 'Largest WebSocket frame accepted either way (8 MiB: a video frame, or minutes of 16 kHz audio).' },
  { name: 'LIVEGATE_SETUP_TIMEOUT_MS', kind: 'int', default: '10000', min: 100, doc: 'Time a client has to send its `setup` frame (10 s).' },
  { name: 'LIVEGATE_IDLE_TIMEOUT_MS', kind: 'int', default: '600000', min: 1000, doc: 'A session with no frames either way for this long is closed with 1001 (10 min).' },
  { name: 'LIVEGATE_PING_INTERVAL_MS', kind: 'int', default: '25000', min: 100, doc: 'Keepalive ping to clients; a client that misses two is dropped (25 s).' },
  { name: 'LIVEGATE_HIGH_WATER_BYTES', kind: 'int', default: String(MIB), min: 1024, doc: "Send-buffer size above which the other side's socket is paused (1 MiB)." },
  // Limits and metrics
  { name: 'LIVEGATE_MAX_SESSIONS', kind: 'int', default: '1000', min: 1, doc: 'Most sessions this process holds open at once; more are refused with 1013 `LG_ERR_LIMIT_SESSIONS`.' },
  { name: 'LIVEGATE_MAX_SESSIONS_PER_CLIENT', kind: 'int', min: 1, doc: 'Most sessions one client holds open at once on this process (unset: no limit). Anonymous clients are counted per IP address.' },
  { name: 'LIVEGATE_SESSIONS_PER_MINUTE_PER_CLIENT', kind: 'int', min: 1, doc: 'New sessions one client may open per minute (unset: no limit); shared by replicas through Redis when LIVEGATE_STORE is Redis.' },
  { name: 'LIVEGATE_RENDERS_PER_MINUTE_PER_CLIENT', kind: 'int', min: 1, doc: 'REST chart and map requests one client may make per minute (unset: no limit); shared by replicas through Redis when LIVEGATE_STORE is Redis.' },
  { name: 'LIVEGATE_DAILY_TOKENS_PER_CLIENT', kind: 'int', min: 1, doc: "Gemini tokens (from `usageMetadata`) one client may use per UTC day before new sessions are refused (unset: no budget); shared through Redis when LIVEGATE_STORE is Redis." },
  { name: 'LIVEGATE_MAX_EVENT_LOOP_DELAY_MS', kind: 'int', default: '1000', min: 0, doc: 'Mean event-loop delay above which REST requests get 503 and new sessions 1013 `LG_ERR_LIMIT_PRESSURE` (0: off).' },
  { name: 'LIVEGATE_MAX_HEAP_USED_BYTES', kind: 'int', min: 1024, doc: 'V8 heap use above which REST requests get 503 and new sessions 1013 `LG_ERR_LIMIT_PRESSURE` (unset: off).' },
  { name: 'LIVEGATE_METRICS_TOKEN', kind: 'string', secret: true, doc: 'Bearer token `GET /metrics` requires (unset: /metrics is open).' },
  // Tools
  { name: 'LIVEGATE_SERVER_TOOLS', kind: 'list', doc: 'Server tools to enable (`render_altair`, `draw_map`, and the names of LIVEGATE_TOOL_MODULES tools); `none` for none. Default: all available.' },
  { name: 'LIVEGATE_SERVER_TOOLS_OVERRIDE', kind: 'list', doc: 'Server tools the server runs even when a client declares a function of the same name (its declaration is replaced). Default: none, a function the client declares is the client\'s.' },
  { name: 'LIVEGATE_TOOL_MODULES', kind: 'list', doc: 'Comma-separated paths of ES modules with operators\' own server tools (examples/tools/README.md). A module that does not load or match stops the start.' },
  { name: 'LIVEGATE_TOOL_BEHAVIOR', kind: 'string', oneOf: ['BLOCKING', 'NON_BLOCKING'], doc: 'Declare the server tools with this `behavior` (default: unset, which Gemini treats as its model default).' },
  { name: 'LIVEGATE_TOOL_SCHEDULING', kind: 'string', default: 'WHEN_IDLE', oneOf: ['SILENT', 'WHEN_IDLE', 'INTERRUPT'], doc: 'Scheduling of the responses to NON_BLOCKING server tool calls: declared so, or left unset on a model whose default is NON_BLOCKING (gemini-3.8-live).' },
  { name: 'LIVEGATE_TOOL_TIMEOUT_MS', kind: 'int', default: '30000', min: 100, doc: 'Longest a server tool may run before it answers the model with a timeout error (30 s).' },
  // Outbound HTTP (maps, tiles, chart data)
  { name: 'LIVEGATE_OUTBOUND_TIMEOUT_MS', kind: 'int', default: '10000', min: 100, doc: 'Longest any outbound HTTP call (Google Static Maps, a tile, allowlisted chart data) may take, connect to last byte (10 s).' },
  { name: 'LIVEGATE_OUTBOUND_MAX_BYTES', kind: 'int', default: String(20 * MIB), min: 1024, doc: 'Largest response body of an outbound HTTP call, enforced while it streams (20 MiB).' },
  // Charts
  { name: 'LIVEGATE_CHART_URL_ALLOWLIST', kind: 'list', doc: 'URL prefixes charts may load data from (default: none; every external load is refused).' },
  { name: 'LIVEGATE_RENDER_THREADS', kind: 'int', default: String(Math.max(1, Math.min(4, os.availableParallelism()))), min: 1, max: 64, doc: 'Render worker threads (default: CPU count, at most 4).' },
  { name: 'LIVEGATE_RENDER_QUEUE', kind: 'int', default: '64', min: 0, doc: 'Renders waiting for a worker before requests get 503.' },
  { name: 'LIVEGATE_RENDER_TIMEOUT_MS', kind: 'int', default: '10000', min: 100, doc: 'Longest a render may take (10 s).' },
  { name: 'LIVEGATE_RENDER_PRIORITY', kind: 'string', default: 'idle', oneOf: ['idle', 'low', 'normal'], doc: 'CPU priority of the render process (charts and maps): `idle` runs it only on cores nothing else wants (Linux SCHED_IDLE via `chrt`; elsewhere as `low`), `low` at nice 19, `normal` at the gateway\'s own. Below normal, renders take only the CPU the relay and other work leave free; on a host saturated by other work they wait, and time out after LIVEGATE_RENDER_TIMEOUT_MS once started.' },
  { name: 'LIVEGATE_RENDER_HEAP_MB', kind: 'int', default: '512', min: 32, doc: 'Heap limit of each render worker (512 MiB).' },
  { name: 'LIVEGATE_CHART_MAX_SPEC_BYTES', kind: 'int', default: String(MIB), min: 1024, doc: 'Largest chart spec (1 MiB).' },
  { name: 'LIVEGATE_CHART_MAX_ROWS', kind: 'int', default: '100000', min: 1, doc: 'Most data rows a chart may hold after its transforms run.' },
  { name: 'LIVEGATE_CHART_MAX_PIXELS', kind: 'int', default: String(4096 * 4096), min: 1, doc: 'Largest width × height × scale² of a rendered image (16.7 Mpx).' },
  // Artifacts
  { name: 'LIVEGATE_STORE', kind: 'string', doc: 'Artifact store: `memory`, `fs:DIR` or `redis://…` (default: a private (0700) directory `livegate/artifacts` under the user\'s state directory, or a fresh temporary one when there is no home directory).' },
  { name: 'XDG_STATE_HOME', kind: 'string', doc: 'The user\'s state directory (XDG Base Directory spec), home of the default artifact directory (default: `~/.local/state`).' },
  { name: 'LIVEGATE_STORE_MEMORY_BYTES', kind: 'int', default: String(64 * MIB), min: 0, doc: 'In-memory LRU in front of the store (64 MiB).' },
  { name: 'LIVEGATE_STORE_MAX_BYTES', kind: 'int', default: String(1024 * MIB), min: 1024, doc: 'Total size of stored artifacts before the oldest are evicted (1 GiB).' },
  { name: 'LIVEGATE_ARTIFACT_TTL_S', kind: 'int', default: String(7 * 24 * 3600), min: 1, doc: 'Artifacts older than this are evicted (7 days).' },
  // Maps
  { name: 'MAPS_API_KEY', kind: 'string', secret: true, doc: 'Google Maps Static API key. Unset: tiles (if LIVEGATE_MAP_TILES) or the offline renderer.' },
  { name: 'LIVEGATE_MAPS_URL', kind: 'url', default: 'https://maps.googleapis.com/maps/api/staticmap', doc: 'Google Static Maps endpoint (overridable for tests).' },
  { name: 'LIVEGATE_MAP_TILES', kind: 'string', doc: 'XYZ raster tile URL template, e.g. `https://tiles.example/{z}/{x}/{y}.png`.' },
  { name: 'LIVEGATE_MAP_ATTRIBUTION', kind: 'string', doc: 'Attribution text drawn on tile-provider maps.' },
] as const

export type ToolScheduling = 'SILENT' | 'WHEN_IDLE' | 'INTERRUPT'
/** CPU priority of the render process: see LIVEGATE_RENDER_PRIORITY. */
export type RenderPriority = 'idle' | 'low' | 'normal'
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface Config {
  readonly host: string
  readonly port: number
  readonly publicUrl: string | undefined
  readonly logLevel: LogLevel
  readonly trustProxy: boolean
  /** Undefined: plain http/ws. */
  readonly tls: {
    readonly certFile: string
    readonly keyFile: string
    /** PEM contents, read once at boot. */
    readonly cert: string
    readonly key: string
  } | undefined
  readonly drainMs: number
  /** Fastify's pluginTimeout for buildApp: see LIVEGATE_STARTUP_TIMEOUT_MS. */
  readonly startupTimeoutMs: number
  readonly upstream: {
    /** Undefined: run the built-in simulator in-process and use it. */
    readonly baseUrl: string | undefined
    readonly apiKey: string | undefined
    readonly connectTimeoutMs: number
    readonly models: readonly string[] | undefined
    /** Set: Vertex AI with Application Default Credentials instead of a Gemini API key. */
    readonly vertex: VertexConfig | undefined
    readonly resumption: {
      readonly bufferBytes: number
      readonly bufferMessages: number
      readonly transparent: boolean
      readonly fenceMs: number
    }
  }
  readonly clients: {
    /** Named client tokens from LIVEGATE_CLIENT_TOKENS and LIVEGATE_CLIENT_TOKENS_FILE; undefined when neither is set. */
    readonly tokens: readonly ClientToken[] | undefined
    readonly allowAnonymous: boolean
    /** Signs ephemeral tokens; undefined: a per-process key (see LIVEGATE_TOKEN_SECRET). */
    readonly tokenSecret: string | undefined
    readonly tokenSecretPrevious: string | undefined
    readonly allowedOrigins: readonly string[] | undefined
    readonly maxFrameBytes: number
    readonly setupTimeoutMs: number
    readonly idleTimeoutMs: number
    readonly pingIntervalMs: number
    readonly highWaterBytes: number
    readonly maxSetupBytes: number
  }
  /** Per-client and per-process limits (src/live/limits.ts, REST rate limit in app.ts); undefined: no limit. */
  readonly limits: {
    readonly maxSessions: number
    readonly maxSessionsPerClient: number | undefined
    readonly sessionsPerMinute: number | undefined
    readonly rendersPerMinute: number | undefined
    readonly dailyTokens: number | undefined
    /** 0: off. */
    readonly maxEventLoopDelayMs: number
    readonly maxHeapUsedBytes: number | undefined
  }
  readonly metrics: {
    readonly token: string | undefined
  }
  readonly tools: {
    readonly enabled: readonly string[] | undefined
    readonly override: readonly string[]
    /** LIVEGATE_TOOL_MODULES: operator tool modules, loaded at start. */
    readonly modules: readonly string[]
    readonly behavior: 'BLOCKING' | 'NON_BLOCKING' | undefined
    readonly scheduling: ToolScheduling
    readonly timeoutMs: number
  }
  readonly outbound: {
    readonly timeoutMs: number
    readonly maxBytes: number
  }
  readonly charts: {
    readonly urlAllowlist: readonly string[]
    readonly threads: number
    readonly queue: number
    readonly timeoutMs: number
    readonly heapMb: number
    /** CPU priority of the render process (workers/render-host.ts). */
    readonly priority: RenderPriority
    readonly maxSpecBytes: number
    readonly maxRows: number
    readonly maxPixels: number
  }
  readonly store: {
    readonly kind: 'memory' | 'fs' | 'redis'
    /** Directory for `fs` (empty: a fresh private temporary directory), URL for `redis`. */
    readonly location: string
    /** The default directory, not one the operator named: created 0700 and tightened to 0700 if it was looser. */
    readonly private?: boolean
    readonly memoryBytes: number
    readonly maxBytes: number
    readonly ttlSeconds: number
  }
  readonly maps: {
    readonly apiKey: string | undefined
    readonly googleUrl: string
    readonly tilesUrl: string | undefined
    readonly attribution: string | undefined
  }
}

export interface VertexConfig {
  readonly project: string
  readonly location: string
  /** GOOGLE_APPLICATION_CREDENTIALS, handed to google-auth-library. */
  readonly credentialsFile: string | undefined
}

/** One configured client: `name` appears in logs, metrics and limits; `secret` never does. */
export interface ClientToken {
  readonly name: string
  readonly secret: string
}

const MIN_CLIENT_SECRET_CHARS = 16
const MIN_TOKEN_SECRET_CHARS = 32
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

const DEFAULT_UPSTREAM_URL = 'https://generativelanguage.googleapis.com'

/** Vertex AI's regional host (`aiplatform.googleapis.com` for `global`), as js-genai builds it. */
function vertexBaseUrl (location: string): string {
  return location === 'global' ? 'https://aiplatform.googleapis.com' : `https://${location}-aiplatform.googleapis.com`
}

type Raw = Map<string, string | number | boolean | string[] | undefined>

function parseVar (v: EnvVar, value: string | undefined, problems: string[]): string | number | boolean | string[] | undefined {
  const text = value === undefined || value.trim() === '' ? v.default : value.trim()
  if (text === undefined) return undefined
  const shown = v.secret === true ? '(hidden)' : JSON.stringify(text)
  switch (v.kind) {
    case 'string':
      if (v.oneOf !== undefined && !v.oneOf.includes(text)) {
        problems.push(`${v.name}=${shown}: must be one of ${v.oneOf.join(', ')}`)
      }
      return text
    case 'int': {
      if (!/^\d+$/.test(text)) { problems.push(`${v.name}=${shown}: must be a whole number`); return undefined }
      const n = Number(text)
      if (v.min !== undefined && n < v.min) problems.push(`${v.name}=${shown}: must be at least ${v.min}`)
      if (v.max !== undefined && n > v.max) problems.push(`${v.name}=${shown}: must be at most ${v.max}`)
      return n
    }
    case 'bool':
      if (!['true', 'false', '1', '0', 'yes', 'no'].includes(text.toLowerCase())) {
        problems.push(`${v.name}=${shown}: must be true or false`)
        return undefined
      }
      return ['true', '1', 'yes'].includes(text.toLowerCase())
    case 'list':
      return text.split(',').map((s) => s.trim()).filter((s) => s !== '')
    case 'url': {
      let url: URL
      try { url = new URL(text) } catch { problems.push(`${v.name}=${shown}: not a valid URL`); return undefined }
      if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
        problems.push(`${v.name}=${shown}: must be an http(s) or ws(s) URL`)
      }
      return text.replace(/\/+$/, '')
    }
  }
}

function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

/**
 * Turn an environment into a validated Config.
 * @example loadConfig({ LIVEGATE_PORT: '0' }).port === 0
 */
/** Command-line values (`livegate --port`) that win over the process environment in loadConfig's default. */
let envOverrides: Readonly<Record<string, string>> = {}

/** Set by the bin before main runs; unset values are ignored. */
export function setEnvOverrides (overrides: Readonly<Record<string, string | undefined>>): void {
  envOverrides = Object.fromEntries(Object.entries(overrides).filter((e): e is [string, string] => e[1] !== undefined))
}

export function loadConfig (env: Readonly<Record<string, string | undefined>> = { ...process.env, ...envOverrides }): Config {
  const problems: string[] = []
  const raw: Raw = new Map()
  for (const v of ENV_VARS) raw.set(v.name, parseVar(v, env[v.name], problems))
  const str = (name: string): string | undefined => raw.get(name) as string | undefined
  const int = (name: string): number => raw.get(name) as number
  const optionalInt = (name: string): number | undefined => raw.get(name) as number | undefined
  const list = (name: string): string[] | undefined => raw.get(name) as string[] | undefined

  const store = parseStore(str('LIVEGATE_STORE'), problems, str('XDG_STATE_HOME'))
  const tools = list('LIVEGATE_SERVER_TOOLS')
  const origins = list('LIVEGATE_ALLOWED_ORIGINS')
  const tokens = parseClientTokens(list('LIVEGATE_CLIENT_TOKENS'), str('LIVEGATE_CLIENT_TOKENS_FILE'), problems)
  for (const name of ['LIVEGATE_TOKEN_SECRET', 'LIVEGATE_TOKEN_SECRET_PREVIOUS']) {
    const secret = str(name)
    if (secret !== undefined && secret.length < MIN_TOKEN_SECRET_CHARS) problems.push(`${name}: must be at least ${MIN_TOKEN_SECRET_CHARS} characters`)
  }
  const apiKey = str('GEMINI_API_KEY') ?? str('GOOGLE_API_KEY')
  const vertex = parseVertex(raw.get('GOOGLE_GENAI_USE_VERTEXAI') === true, str, problems)
  const tls = parseTls(str('LIVEGATE_TLS_CERT'), str('LIVEGATE_TLS_KEY'), problems)

  if (problems.length > 0) {
    throw new LivegateError('LG_ERR_CONFIG_INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`)
  }

  const config: Config = {
    host: str('LIVEGATE_HOST') as string,
    port: int('LIVEGATE_PORT'),
    publicUrl: str('LIVEGATE_PUBLIC_URL'),
    logLevel: str('LIVEGATE_LOG_LEVEL') as LogLevel,
    trustProxy: raw.get('LIVEGATE_TRUST_PROXY') as boolean,
    tls,
    drainMs: int('LIVEGATE_DRAIN_MS'),
    startupTimeoutMs: int('LIVEGATE_STARTUP_TIMEOUT_MS'),
    upstream: {
      baseUrl: str('LIVEGATE_UPSTREAM_URL') ??
        (vertex !== undefined ? vertexBaseUrl(vertex.location) : apiKey !== undefined ? DEFAULT_UPSTREAM_URL : undefined),
      // Vertex takes OAuth tokens only: a Gemini key set alongside must never travel to it.
      apiKey: vertex === undefined ? apiKey : undefined,
      vertex,
      connectTimeoutMs: int('LIVEGATE_UPSTREAM_CONNECT_TIMEOUT_MS'),
      models: list('LIVEGATE_MODELS')?.map((m) => m.replace(/^models\//, '')),
      resumption: {
        bufferBytes: int('LIVEGATE_RESUME_BUFFER_BYTES'),
        bufferMessages: int('LIVEGATE_RESUME_BUFFER_MESSAGES'),
        transparent: raw.get('LIVEGATE_RESUME_TRANSPARENT') as boolean,
        fenceMs: int('LIVEGATE_RESUME_FENCE_MS'),
      },
    },
    clients: {
      tokens,
      allowAnonymous: raw.get('LIVEGATE_ALLOW_ANONYMOUS') as boolean,
      tokenSecret: str('LIVEGATE_TOKEN_SECRET'),
      tokenSecretPrevious: str('LIVEGATE_TOKEN_SECRET_PREVIOUS'),
      allowedOrigins: origins === undefined || origins.includes('*') ? undefined : origins.map((o) => o.replace(/\/+$/, '')),
      maxFrameBytes: int('LIVEGATE_MAX_FRAME_BYTES'),
      setupTimeoutMs: int('LIVEGATE_SETUP_TIMEOUT_MS'),
      idleTimeoutMs: int('LIVEGATE_IDLE_TIMEOUT_MS'),
      pingIntervalMs: int('LIVEGATE_PING_INTERVAL_MS'),
      highWaterBytes: int('LIVEGATE_HIGH_WATER_BYTES'),
      maxSetupBytes: int('LIVEGATE_MAX_SETUP_BYTES'),
    },
    limits: {
      maxSessions: int('LIVEGATE_MAX_SESSIONS'),
      maxSessionsPerClient: optionalInt('LIVEGATE_MAX_SESSIONS_PER_CLIENT'),
      sessionsPerMinute: optionalInt('LIVEGATE_SESSIONS_PER_MINUTE_PER_CLIENT'),
      rendersPerMinute: optionalInt('LIVEGATE_RENDERS_PER_MINUTE_PER_CLIENT'),
      dailyTokens: optionalInt('LIVEGATE_DAILY_TOKENS_PER_CLIENT'),
      maxEventLoopDelayMs: int('LIVEGATE_MAX_EVENT_LOOP_DELAY_MS'),
      maxHeapUsedBytes: optionalInt('LIVEGATE_MAX_HEAP_USED_BYTES'),
    },
    metrics: {
      token: str('LIVEGATE_METRICS_TOKEN'),
    },
    tools: {
      enabled: tools === undefined ? undefined : tools.filter((t) => t !== 'none'),
      override: list('LIVEGATE_SERVER_TOOLS_OVERRIDE') ?? [],
      modules: list('LIVEGATE_TOOL_MODULES') ?? [],
      behavior: str('LIVEGATE_TOOL_BEHAVIOR') as 'BLOCKING' | 'NON_BLOCKING' | undefined,
      scheduling: str('LIVEGATE_TOOL_SCHEDULING') as ToolScheduling,
      timeoutMs: int('LIVEGATE_TOOL_TIMEOUT_MS'),
    },
    outbound: {
      timeoutMs: int('LIVEGATE_OUTBOUND_TIMEOUT_MS'),
      maxBytes: int('LIVEGATE_OUTBOUND_MAX_BYTES'),
    },
    charts: {
      urlAllowlist: list('LIVEGATE_CHART_URL_ALLOWLIST') ?? [],
      threads: int('LIVEGATE_RENDER_THREADS'),
      queue: int('LIVEGATE_RENDER_QUEUE'),
      timeoutMs: int('LIVEGATE_RENDER_TIMEOUT_MS'),
      heapMb: int('LIVEGATE_RENDER_HEAP_MB'),
      priority: str('LIVEGATE_RENDER_PRIORITY') as RenderPriority,
      maxSpecBytes: int('LIVEGATE_CHART_MAX_SPEC_BYTES'),
      maxRows: int('LIVEGATE_CHART_MAX_ROWS'),
      maxPixels: int('LIVEGATE_CHART_MAX_PIXELS'),
    },
    store: {
      ...store,
      memoryBytes: int('LIVEGATE_STORE_MEMORY_BYTES'),
      maxBytes: int('LIVEGATE_STORE_MAX_BYTES'),
      ttlSeconds: int('LIVEGATE_ARTIFACT_TTL_S'),
    },
    maps: {
      apiKey: str('MAPS_API_KEY'),
      googleUrl: str('LIVEGATE_MAPS_URL') as string,
      tilesUrl: str('LIVEGATE_MAP_TILES'),
      attribution: str('LIVEGATE_MAP_ATTRIBUTION'),
    },
  }
  return deepFreeze(config)
}

function parseVertex (
  enabled: boolean, str: (name: string) => string | undefined, problems: string[],
): VertexConfig | undefined {
  if (!enabled) return undefined
  const project = str('GOOGLE_CLOUD_PROJECT')
  const location = str('GOOGLE_CLOUD_LOCATION')
  if (project === undefined) problems.push('GOOGLE_GENAI_USE_VERTEXAI=true: GOOGLE_CLOUD_PROJECT must be set')
  else if (!/^[a-z][a-z0-9-]{4,61}[a-z0-9]$|^[a-z0-9.:-]{1,100}$/.test(project)) problems.push(`GOOGLE_CLOUD_PROJECT=${JSON.stringify(project)}: not a project id`)
  if (location === undefined) problems.push('GOOGLE_GENAI_USE_VERTEXAI=true: GOOGLE_CLOUD_LOCATION must be set (e.g. us-central1 or global)')
  else if (!/^[a-z][a-z0-9-]{1,40}$/.test(location)) problems.push(`GOOGLE_CLOUD_LOCATION=${JSON.stringify(location)}: not a location (e.g. us-central1 or global)`)
  if (project === undefined || location === undefined) return undefined
  return { project, location, credentialsFile: str('GOOGLE_APPLICATION_CREDENTIALS') }
}

/** Both files or neither; each must read as PEM, so a wrong path fails at boot, not at the first handshake. */
function parseTls (certFile: string | undefined, keyFile: string | undefined, problems: string[]): Config['tls'] {
  if (certFile === undefined && keyFile === undefined) return undefined
  if (certFile === undefined || keyFile === undefined) {
    problems.push(`${certFile === undefined ? 'LIVEGATE_TLS_KEY' : 'LIVEGATE_TLS_CERT'} is set without ${certFile === undefined ? 'LIVEGATE_TLS_CERT' : 'LIVEGATE_TLS_KEY'}: set both or neither`)
    return undefined
  }
  const read = (name: string, file: string, label: RegExp): string | undefined => {
    let text: string
    try { text = readFileSync(file, 'utf8') } catch (err) {
      problems.push(`${name}=${JSON.stringify(file)}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
      return undefined
    }
    if (!label.test(text)) { problems.push(`${name}=${JSON.stringify(file)}: not a PEM file`); return undefined }
    return text
  }
  const cert = read('LIVEGATE_TLS_CERT', certFile, /-----BEGIN CERTIFICATE-----/)
  const key = read('LIVEGATE_TLS_KEY', keyFile, /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/)
  if (cert === undefined || key === undefined) return undefined
  return { certFile, keyFile, cert, key }
}

/**
 * `name:secret` entries from the variable and the file. A bare secret is named by a short hash of it, so logs can
 * tell clients apart without showing the secret. Problems name the entry by position, never by its secret.
 */
function parseClientTokens (fromEnv: string[] | undefined, file: string | undefined, problems: string[]): ClientToken[] | undefined {
  const entries: Array<{ text: string, where: string }> = (fromEnv ?? []).map((text, i) => ({ text, where: `LIVEGATE_CLIENT_TOKENS entry ${i + 1}` }))
  if (file !== undefined) {
    let content: string
    try {
      content = readFileSync(file, 'utf8')
    } catch (err) {
      problems.push(`LIVEGATE_CLIENT_TOKENS_FILE=${JSON.stringify(file)}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
      content = ''
    }
    content.split(/\r?\n/).forEach((line, i) => {
      const text = line.trim()
      if (text !== '' && !text.startsWith('#')) entries.push({ text, where: `LIVEGATE_CLIENT_TOKENS_FILE line ${i + 1}` })
    })
  }
  if (fromEnv === undefined && file === undefined) return undefined
  if (entries.length === 0) {
    problems.push(`${fromEnv !== undefined ? 'LIVEGATE_CLIENT_TOKENS' : 'LIVEGATE_CLIENT_TOKENS_FILE'}: set but holds no token`)
    return []
  }
  const tokens: ClientToken[] = []
  const names = new Set<string>()
  const secrets = new Set<string>()
  for (const { text, where } of entries) {
    const colon = text.indexOf(':')
    const named = colon > 0 && CLIENT_NAME.test(text.slice(0, colon))
    const secret = named ? text.slice(colon + 1).trim() : text
    const name = named ? text.slice(0, colon) : `client-${createHash('sha256').update(secret).digest('hex').slice(0, 8)}`
    if (secret.length < MIN_CLIENT_SECRET_CHARS) {
      problems.push(`${where}${named ? ` (${name})` : ''}: the secret must be at least ${MIN_CLIENT_SECRET_CHARS} characters`)
      continue
    }
    if (names.has(name)) problems.push(`${where}: client name ${name} is used twice`)
    if (secrets.has(secret)) problems.push(`${where}${named ? ` (${name})` : ''}: the same secret is given twice`)
    names.add(name)
    secrets.add(secret)
    tokens.push({ name, secret })
  }
  return tokens
}

/**
 * `$XDG_STATE_HOME/livegate/artifacts`, else `~/.local/state/livegate/artifacts`; '' when there is no usable home
 * (the store then makes a fresh private temporary directory). Never a fixed path in the shared temp directory, where
 * another user could create it first.
 */
export function defaultArtifactDir (stateHome: string | undefined): string {
  if (stateHome !== undefined && path.isAbsolute(stateHome)) return path.join(stateHome, 'livegate', 'artifacts')
  let home = ''
  try { home = os.homedir() } catch { home = '' }
  if (home === '' || home === '/' || !path.isAbsolute(home)) return ''
  return path.join(home, '.local', 'state', 'livegate', 'artifacts')
}

function parseStore (value: string | undefined, problems: string[], stateHome: string | undefined): { kind: 'memory' | 'fs' | 'redis', location: string, private?: boolean } {
  if (value === undefined) return { kind: 'fs', location: defaultArtifactDir(stateHome), private: true }
  if (value === 'memory') return { kind: 'memory', location: '' }
  if (value.startsWith('fs:') && value.length > 3) return { kind: 'fs', location: path.resolve(value.slice(3)) }
  if (value.startsWith('redis://') || value.startsWith('rediss://')) return { kind: 'redis', location: value }
  problems.push(`LIVEGATE_STORE=${JSON.stringify(value.replace(/\/\/[^@/]*@/, '//(credentials)@'))}: must be memory, fs:DIR or redis://…`)
  return { kind: 'memory', location: '' }
}

/** Every secret value in a config, for redaction. */
export function secretsOf (config: Config): string[] {
  const secrets = [
    config.upstream.apiKey, config.maps.apiKey, config.metrics.token, ...(config.clients.tokens ?? []).map((t) => t.secret),
    config.clients.tokenSecret, config.clients.tokenSecretPrevious, redisPassword(config),
  ]
  return secrets.filter((s): s is string => s !== undefined && s !== '')
}

/** The password in a `redis://user:password@host` store URL, so logs can never show it. */
function redisPassword (config: Config): string | undefined {
  if (config.store.kind !== 'redis') return undefined
  try {
    const password = decodeURIComponent(new URL(config.store.location).password)
    return password === '' ? undefined : password
  } catch {
    return undefined
  }
}
