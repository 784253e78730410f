/**
 * @module config
 * The only module that reads the environment. `loadConfig(env)` is pure: it validates every variable once, at
 * boot, reports *all* problems in one `LG_ERR_CONFIG_INVALID`, and returns a deep-frozen, typed `Config`.
 * docs/config.md mirrors the table below; test/internals/config.test.ts keeps them in agreement.
 */
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
  // Upstream
  { name: 'GEMINI_API_KEY', kind: 'string', secret: true, doc: 'The server-held Gemini API key. Unset (and no GOOGLE_API_KEY): the built-in simulator is the upstream.' },
  { name: 'GOOGLE_API_KEY', kind: 'string', secret: true, doc: 'Fallback for GEMINI_API_KEY.' },
  { name: 'LIVEGATE_UPSTREAM_URL', kind: 'url', doc: 'Gemini base URL (http(s) or ws(s)). Default: Google when a key is set, else the in-process simulator.' },
  { name: 'LIVEGATE_UPSTREAM_CONNECT_TIMEOUT_MS', kind: 'int', default: '10000', min: 100, doc: 'Time allowed to open the upstream socket (10 s).' },
  { name: 'LIVEGATE_MODELS', kind: 'list', doc: 'If set, the only models clients may ask for (ids without `models/`).' },
  // Clients
  { name: 'LIVEGATE_CLIENT_TOKENS', kind: 'list', secret: true, doc: 'Comma-separated client tokens. Unset: any client may connect (a warning is logged).' },
  { name: 'LIVEGATE_ALLOWED_ORIGINS', kind: 'list', doc: 'Comma-separated browser origins allowed to connect (`*` or unset: any). Requests without Origin (non-browsers) are not affected.' },
  { name: 'LIVEGATE_MAX_FRAME_BYTES', kind: 'int', default: String(8 * MIB), min: 1024, doc: 'Largest WebSocket frame accepted either way (8 MiB: a video frame, or minutes of 16 kHz audio).' },
  { name: 'LIVEGATE_SETUP_TIMEOUT_MS', kind: 'int', default: '10000', min: 100, doc: 'Time a client has to send its `setup` frame (10 s).' },
  { name: 'LIVEGATE_IDLE_TIMEOUT_MS', kind: 'int', default: '600000', min: 1000, doc: 'A session with no frames either way for this long is closed with 1001 (10 min).' },
  { name: 'LIVEGATE_PING_INTERVAL_MS', kind: 'int', default: '25000', min: 100, doc: 'Keepalive ping to clients; a client that misses two is dropped (25 s).' },
  { name: 'LIVEGATE_HIGH_WATER_BYTES', kind: 'int', default: String(MIB), min: 1024, doc: "Send-buffer size above which the other side's socket is paused (1 MiB)." },
  // Tools
  { name: 'LIVEGATE_SERVER_TOOLS', kind: 'list', doc: 'Server tools to enable (`render_altair`, `draw_map`, and the names of LIVEGATE_TOOL_MODULES tools); `none` for none. Default: all available.' },
  { name: 'LIVEGATE_TOOL_MODULES', kind: 'list', doc: 'Comma-separated paths of ES modules with operators\' own server tools (examples/tools/README.md). A module that does not load or match stops the start.' },
  { name: 'LIVEGATE_TOOL_BEHAVIOR', kind: 'string', oneOf: ['BLOCKING', 'NON_BLOCKING'], doc: 'Declare the server tools with this `behavior` (default: unset, which Gemini treats as its model default).' },
  { name: 'LIVEGATE_TOOL_SCHEDULING', kind: 'string', default: 'WHEN_IDLE', oneOf: ['SILENT', 'WHEN_IDLE', 'INTERRUPT'], doc: 'Scheduling of responses to NON_BLOCKING server tools.' },
  { name: 'LIVEGATE_TOOL_TIMEOUT_MS', kind: 'int', default: '30000', min: 100, doc: 'Longest a server tool may run before it answers the model with a timeout error (30 s).' },
  // Charts
  { name: 'LIVEGATE_CHART_URL_ALLOWLIST', kind: 'list', doc: 'URL prefixes charts may load data from (default: none; every external load is refused).' },
  { name: 'LIVEGATE_RENDER_THREADS', kind: 'int', default: String(Math.max(1, Math.min(4, os.availableParallelism()))), min: 1, max: 64, doc: 'Render worker threads (default: CPU count, at most 4).' },
  { name: 'LIVEGATE_RENDER_QUEUE', kind: 'int', default: '64', min: 0, doc: 'Renders waiting for a worker before requests get 503.' },
  { name: 'LIVEGATE_RENDER_TIMEOUT_MS', kind: 'int', default: '10000', min: 100, doc: 'Longest a render may take (10 s).' },
  { name: 'LIVEGATE_RENDER_HEAP_MB', kind: 'int', default: '512', min: 32, doc: 'Heap limit of each render worker (512 MiB).' },
  { name: 'LIVEGATE_CHART_MAX_SPEC_BYTES', kind: 'int', default: String(MIB), min: 1024, doc: 'Largest chart spec (1 MiB).' },
  { name: 'LIVEGATE_CHART_MAX_ROWS', kind: 'int', default: '100000', min: 1, doc: 'Most data rows a chart may hold after its transforms run.' },
  { name: 'LIVEGATE_CHART_MAX_PIXELS', kind: 'int', default: String(4096 * 4096), min: 1, doc: 'Largest width × height × scale² of a rendered image (16.7 Mpx).' },
  // Artifacts
  { name: 'LIVEGATE_STORE', kind: 'string', doc: 'Artifact store: `memory`, `fs:DIR` or `redis://…` (default: fs under the OS temp dir).' },
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
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface Config {
  readonly host: string
  readonly port: number
  readonly publicUrl: string | undefined
  readonly logLevel: LogLevel
  readonly trustProxy: boolean
  readonly upstream: {
    /** Undefined: run the built-in simulator in-process and use it. */
    readonly baseUrl: string | undefined
    readonly apiKey: string | undefined
    readonly connectTimeoutMs: number
    readonly models: readonly string[] | undefined
  }
  readonly clients: {
    readonly tokens: readonly string[] | undefined
    readonly allowedOrigins: readonly string[] | undefined
    readonly maxFrameBytes: number
    readonly setupTimeoutMs: number
    readonly idleTimeoutMs: number
    readonly pingIntervalMs: number
    readonly highWaterBytes: number
  }
  readonly tools: {
    readonly enabled: readonly string[] | undefined
    /** LIVEGATE_TOOL_MODULES: operator tool modules, loaded at start. */
    readonly modules: readonly string[]
    readonly behavior: 'BLOCKING' | 'NON_BLOCKING' | undefined
    readonly scheduling: ToolScheduling
    readonly timeoutMs: number
  }
  readonly charts: {
    readonly urlAllowlist: readonly string[]
    readonly threads: number
    readonly queue: number
    readonly timeoutMs: number
    readonly heapMb: number
    readonly maxSpecBytes: number
    readonly maxRows: number
    readonly maxPixels: number
  }
  readonly store: {
    readonly kind: 'memory' | 'fs' | 'redis'
    /** Directory for `fs`, URL for `redis`. */
    readonly location: string
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

export const DEFAULT_UPSTREAM_URL = 'https://generativelanguage.googleapis.com'

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
  const list = (name: string): string[] | undefined => raw.get(name) as string[] | undefined

  const store = parseStore(str('LIVEGATE_STORE'), problems)
  const tools = list('LIVEGATE_SERVER_TOOLS')
  const origins = list('LIVEGATE_ALLOWED_ORIGINS')
  const tokens = list('LIVEGATE_CLIENT_TOKENS')
  if (tokens !== undefined && tokens.length === 0) problems.push('LIVEGATE_CLIENT_TOKENS: set but holds no token')
  const apiKey = str('GEMINI_API_KEY') ?? str('GOOGLE_API_KEY')

  if (problems.length > 0) {
    throw new LivegateError('LG_ERR_CONFIG_INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`)
  }

  const config: Config = {
    host: str('LIVEGATE_HOST') as string,
    port: int('LIVEGATE_PORT'),
    publicUrl: str('LIVEGATE_PUBLIC_URL'),
    logLevel: str('LIVEGATE_LOG_LEVEL') as LogLevel,
    trustProxy: raw.get('LIVEGATE_TRUST_PROXY') as boolean,
    upstream: {
      baseUrl: str('LIVEGATE_UPSTREAM_URL') ?? (apiKey !== undefined ? DEFAULT_UPSTREAM_URL : undefined),
      apiKey,
      connectTimeoutMs: int('LIVEGATE_UPSTREAM_CONNECT_TIMEOUT_MS'),
      models: list('LIVEGATE_MODELS')?.map((m) => m.replace(/^models\//, '')),
    },
    clients: {
      tokens,
      allowedOrigins: origins === undefined || origins.includes('*') ? undefined : origins.map((o) => o.replace(/\/+$/, '')),
      maxFrameBytes: int('LIVEGATE_MAX_FRAME_BYTES'),
      setupTimeoutMs: int('LIVEGATE_SETUP_TIMEOUT_MS'),
      idleTimeoutMs: int('LIVEGATE_IDLE_TIMEOUT_MS'),
      pingIntervalMs: int('LIVEGATE_PING_INTERVAL_MS'),
      highWaterBytes: int('LIVEGATE_HIGH_WATER_BYTES'),
    },
    tools: {
      enabled: tools === undefined ? undefined : tools.filter((t) => t !== 'none'),
      modules: list('LIVEGATE_TOOL_MODULES') ?? [],
      behavior: str('LIVEGATE_TOOL_BEHAVIOR') as 'BLOCKING' | 'NON_BLOCKING' | undefined,
      scheduling: str('LIVEGATE_TOOL_SCHEDULING') as ToolScheduling,
      timeoutMs: int('LIVEGATE_TOOL_TIMEOUT_MS'),
    },
    charts: {
      urlAllowlist: list('LIVEGATE_CHART_URL_ALLOWLIST') ?? [],
      threads: int('LIVEGATE_RENDER_THREADS'),
      queue: int('LIVEGATE_RENDER_QUEUE'),
      timeoutMs: int('LIVEGATE_RENDER_TIMEOUT_MS'),
      heapMb: int('LIVEGATE_RENDER_HEAP_MB'),
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

function parseStore (value: string | undefined, problems: string[]): { kind: 'memory' | 'fs' | 'redis', location: string } {
  if (value === undefined) return { kind: 'fs', location: path.join(os.tmpdir(), 'livegate-artifacts') }
  if (value === 'memory') return { kind: 'memory', location: '' }
  if (value.startsWith('fs:') && value.length > 3) return { kind: 'fs', location: path.resolve(value.slice(3)) }
  if (value.startsWith('redis://') || value.startsWith('rediss://')) return { kind: 'redis', location: value }
  problems.push(`LIVEGATE_STORE=${JSON.stringify(value.replace(/\/\/[^@/]*@/, '//(credentials)@'))}: must be memory, fs:DIR or redis://…`)
  return { kind: 'memory', location: '' }
}

/** Every secret value in a config, for redaction. */
export function secretsOf (config: Config): string[] {
  const secrets = [config.upstream.apiKey, config.maps.apiKey, ...(config.clients.tokens ?? []), redisPassword(config)]
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
