/**
 * @module live/vertex
 * Vertex AI as the upstream (`GOOGLE_GENAI_USE_VERTEXAI=true`). Clients keep the Gemini API's paths and model ids;
 * livegate dials `wss://{location}-aiplatform.googleapis.com/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/
 * BidiGenerateContent` (the JS SDK's Vertex default, reference §1.8b) with an OAuth bearer token from Application
 * Default Credentials, and names the model as Vertex does: `models/X` → `projects/P/locations/L/publishers/google/
 * models/X`. Differences that touch livegate are listed in docs/vertex.md.
 *
 * The token is kept fresh in the background, so a dial never waits on (or fails because of) a token fetch while a
 * valid token is at hand; google-auth-library does the fetching (metadata server, GOOGLE_APPLICATION_CREDENTIALS,
 * workload identity federation) and caches it.
 */
import type { GoogleAuth } from 'google-auth-library'
import type { FastifyBaseLogger } from 'fastify'
import type { VertexConfig } from '../config.js'
import { LivegateError } from '../errors.js'
import type { Interceptor } from './interceptor.js'
import { field, type JsonObject } from './protocol.js'
import type { SessionIO } from './session.js'

export const VERTEX_LIVE_PATH = '/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent'
const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform'
/**
 * Refresh this long before expiry: google-auth-library only fetches a new token within its 5-minute eager-refresh
 * window, so aim just inside it (for tokens shorter than that, at half their life).
 */
const REFRESH_BEFORE_EXPIRY_MS = 5 * 60 * 1000 + 10 * 1000
const MIN_REFRESH_DELAY_MS = 1000
/** A failed refresh is retried after this long (the current token stays in use until it expires). */
const RETRY_DELAY_MS = 10 * 1000

/**
 * `models/X` or `X` → `projects/P/locations/L/publishers/google/models/X`; `publishers/…/models/X` gets the project
 * and location in front; a full resource name is left as it is.
 * @example vertexModelName('models/gemini-3.8-live', 'p', 'us-central1') === 'projects/p/locations/us-central1/publishers/google/models/gemini-3.8-live'
 */
export function vertexModelName (model: string, project: string, location: string): string {
  if (model.startsWith('projects/')) return model
  const scope = `projects/${project}/locations/${location}`
  if (model.startsWith('publishers/')) return `${scope}/${model}`
  return `${scope}/publishers/google/models/${model.replace(/^models\//, '')}`
}

export interface AccessTokenSource {
  /** A token valid now, or undefined (none fetched yet, or the last one expired without a successful refresh). */
  current (): string | undefined
  /** Fetch the first token and start refreshing; rejects with LG_ERR_UPSTREAM_AUTH when no credentials are found. */
  start (): Promise<void>
  close (): void
}

/** Application Default Credentials through google-auth-library, refreshed before they expire. */
export function createAdcTokenSource (vertex: VertexConfig, log: FastifyBaseLogger): AccessTokenSource {
  // Loaded on the first refresh: a gateway on the Gemini API keeps google-auth-library out of its heap.
  let auth: Promise<GoogleAuth> | undefined
  const authClient = async (): Promise<GoogleAuth> => await (auth ??= import('google-auth-library').then(({ GoogleAuth }) => new GoogleAuth({
    scopes: [CLOUD_PLATFORM_SCOPE],
    projectId: vertex.project,
    ...(vertex.credentialsFile === undefined ? {} : { keyFilename: vertex.credentialsFile }),
  })))
  let token: string | undefined
  let expiresAt = 0
  let timer: NodeJS.Timeout | undefined
  let closed = false

  function schedule (delayMs: number): void {
    if (closed) return
    timer = setTimeout(() => { void refresh().catch(() => {}) }, Math.max(MIN_REFRESH_DELAY_MS, delayMs))
    timer.unref()
  }

  async function refresh (): Promise<void> {
    try {
      const client = await (await authClient()).getClient()
      const { token: fresh } = await client.getAccessToken()
      if (typeof fresh !== 'string' || fresh === '') throw new Error('the credentials gave no access token')
      const expiry = client.credentials.expiry_date ?? Date.now() + 3600 * 1000
      token = fresh
      expiresAt = expiry
      const lifetime = expiry - Date.now()
      log.debug({ expiresInS: Math.round(lifetime / 1000) }, 'Vertex AI access token refreshed')
      schedule(lifetime > 2 * REFRESH_BEFORE_EXPIRY_MS ? lifetime - REFRESH_BEFORE_EXPIRY_MS : lifetime / 2)
    } catch (err) {
      // The library's messages name files and hosts, never a token.
      log.warn({ err: { message: (err as Error).message } }, 'Vertex AI access token refresh failed; retrying')
      schedule(RETRY_DELAY_MS)
      throw new LivegateError('LG_ERR_UPSTREAM_AUTH', `Application Default Credentials: ${(err as Error).message.slice(0, 200)}`, undefined, { cause: err })
    }
  }

  return {
    current () {
      return token !== undefined && Date.now() < expiresAt ? token : undefined
    },
    async start () {
      await refresh()
    },
    close () {
      closed = true
      clearTimeout(timer)
    },
  }
}

/**
 * Wraps a session's interceptor so the setup that goes upstream names the model as Vertex does. Everything else is
 * the inner interceptor's, unchanged (same flags, so the relay's hot path asks the same cheap questions).
 */
export class VertexSetup implements Interceptor {
  readonly inspectsUpstream: boolean
  readonly inspectsClient: boolean
  readonly #inner: Interceptor
  readonly #project: string
  readonly #location: string

  constructor (inner: Interceptor, vertex: Pick<VertexConfig, 'project' | 'location'>) {
    this.#inner = inner
    this.#project = vertex.project
    this.#location = vertex.location
    this.inspectsUpstream = inner.inspectsUpstream
    this.inspectsClient = inner.inspectsClient
  }

  attach (session: SessionIO): void { this.#inner.attach(session) }

  onSetup (setup: JsonObject): JsonObject | undefined {
    const rewritten = this.#inner.onSetup(setup)
    const base = rewritten ?? setup
    const model = field(base, 'model')
    if (typeof model !== 'string') return rewritten
    const name = vertexModelName(model, this.#project, this.#location)
    return name === model ? rewritten : { ...base, model: name }
  }

  wantsUpstreamFrame (data: Buffer): boolean { return this.#inner.wantsUpstreamFrame(data) }
  onUpstreamMessage (message: JsonObject): boolean { return this.#inner.onUpstreamMessage(message) }
  wantsClientFrame (data: Buffer): boolean { return this.#inner.wantsClientFrame(data) }
  onClientMessage (message: JsonObject): boolean { return this.#inner.onClientMessage(message) }
  close (): void { this.#inner.close() }
}
