/**
 * @module http/auth-tokens
 * `POST /{v1alpha,v1beta,v1}/auth_tokens`: mints an ephemeral token the way Google's endpoint does, so a backend
 * calls `ai.authTokens.create()` (JS) or `client.auth_tokens.create()` (Python) against livegate unchanged and hands
 * the answer's `name` to a browser. The body is what both SDKs send (their `liveConnectConstraints` and
 * `lockAdditionalFields` arrive as `bidiGenerateContentSetup` and `fieldMask`); defaults and bounds are Google's:
 * `uses` 1 (0 = unlimited), `expireTime` now + 30 min, `newSessionExpireTime` now + 60 s, both under 20 h ahead.
 * The caller is authenticated by the scope's hook (a client token; an ephemeral token cannot mint).
 */
import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { normalizeFieldMask } from '../auth/field-mask.js'
import { LivegateError } from '../errors.js'

const MINUTE_MS = 60_000
const DEFAULT_EXPIRE_MS = 30 * MINUTE_MS
const DEFAULT_NEW_SESSION_EXPIRE_MS = MINUTE_MS
const MAX_AHEAD_MS = 20 * 60 * MINUTE_MS
const TIMESTAMP = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$'

const AuthTokenRequest = Type.Object({
  uses: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 1_000_000 }), Type.String({ pattern: '^\\d{1,7}$' })])),
  expireTime: Type.Optional(Type.String({ pattern: TIMESTAMP })),
  newSessionExpireTime: Type.Optional(Type.String({ pattern: TIMESTAMP })),
  bidiGenerateContentSetup: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  fieldMask: Type.Optional(Type.Union([Type.String({ maxLength: 4096 }), Type.Array(Type.String({ maxLength: 256 }), { maxItems: 64 })])),
}, { additionalProperties: false })
type AuthTokenRequest = Static<typeof AuthTokenRequest>
const checkRequest = TypeCompiler.Compile(AuthTokenRequest)
/** openapi.yaml AuthToken: Fastify serialises the answer with it. */
const AuthToken = Type.Object({ name: Type.String(), expireTime: Type.String(), newSessionExpireTime: Type.String(), uses: Type.Integer() })
type AuthToken = Static<typeof AuthToken>
/** The body is checked by parseRequest (Google-style messages, LG_ERR_AUTH_TOKEN_REQUEST) as Fastify validates it. */
const MINT = {
  schema: { body: AuthTokenRequest, response: { 200: AuthToken } },
  validatorCompiler: () => function validateAuthTokenRequest (body: unknown) {
    try {
      return { value: parseRequest(body) }
    } catch (err) {
      return { error: err as LivegateError }
    }
  },
}

function bad (detail: string): LivegateError {
  return new LivegateError('LG_ERR_AUTH_TOKEN_REQUEST', detail)
}

/** An absent body (Fastify validates it as null) is an empty request. */
function parseRequest (body: unknown): AuthTokenRequest {
  const value = body ?? {}
  if (checkRequest.Check(value)) return value
  const first = checkRequest.Errors(value).First()
  const where = first?.path === undefined || first.path === '' ? 'body' : first.path.slice(1)
  if (first !== undefined && first.path !== '' && value !== null && typeof value === 'object' && !Object.hasOwn(AuthTokenRequest.properties, where.split('/')[0] ?? '')) {
    throw bad(`unknown field ${JSON.stringify(where.slice(0, 60))}`)
  }
  throw bad(`${where}: ${first?.message ?? 'invalid'}`)
}

/** A proto Timestamp (RFC 3339 with an offset) as epoch ms; more than millisecond precision is dropped. */
function timeOf (text: string | undefined, name: string, now: number, fallbackMs: number): number {
  if (text === undefined) return now + fallbackMs
  const ms = Date.parse(text.replace(/(\.\d{3})\d+/, '$1'))
  if (!Number.isFinite(ms)) throw bad(`${name}: not a timestamp`)
  if (ms <= now) throw bad(`${name}: must be in the future`)
  if (ms > now + MAX_AHEAD_MS) throw bad(`${name}: must be less than 20 hours in the future`)
  return ms
}

export default async function authTokensRoutes (app: FastifyInstance): Promise<void> {
  const { auth, config } = app.livegate
  const models = config.upstream.models

  async function createAuthToken (request: AuthTokenRequest, client: string, log: FastifyBaseLogger): Promise<AuthToken> {
    if (auth.mintRefusal !== undefined) throw auth.mintRefusal
    const now = Date.now()
    const expireTimeMs = timeOf(request.expireTime, 'expireTime', now, DEFAULT_EXPIRE_MS)
    const newSessionExpireTimeMs = timeOf(request.newSessionExpireTime, 'newSessionExpireTime', now, DEFAULT_NEW_SESSION_EXPIRE_MS)
    const uses = Number(request.uses ?? 1)
    const setup = request.bidiGenerateContentSetup
    const model = setup?.model
    if (model !== undefined && typeof model !== 'string') throw bad('bidiGenerateContentSetup/model: must be a string')
    if (model !== undefined && models !== undefined && !models.includes(model.replace(/^models\//, ''))) {
      throw new LivegateError('LG_ERR_RELAY_MODEL_NOT_ALLOWED', `model ${model.slice(0, 60)} is not allowed here`)
    }
    const fieldMask = request.fieldMask === undefined ? undefined : normalizeFieldMask(request.fieldMask)
    const name = auth.codec.mint({ client, expireTimeMs, newSessionExpireTimeMs, uses, setup, fieldMask })
    log.info({ client, uses, expireTime: new Date(expireTimeMs).toISOString(), locked: setup !== undefined || fieldMask !== undefined }, 'auth token minted')
    return {
      name,
      expireTime: new Date(expireTimeMs).toISOString(),
      newSessionExpireTime: new Date(newSessionExpireTimeMs).toISOString(),
      uses,
    }
  }

  for (const version of ['v1alpha', 'v1beta', 'v1']) {
    app.post<{ Body: AuthTokenRequest | null }>(`/${version}/auth_tokens`, MINT, async function mintAuthToken (request) {
      const identity = request.identity
      if (identity === null) throw new LivegateError('LG_ERR_AUTH_MISSING', 'no client token')
      return await createAuthToken(request.body ?? {}, identity.name, request.log)
    })
  }
}
