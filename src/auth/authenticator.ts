/**
 * @module auth/authenticator
 * One place decides who a client is, for the WebSocket relay (live/) and the REST API (http/) alike.
 *
 * Modes, fixed at start from the config:
 * - `tokens`: client tokens are configured; every client needs one (or an ephemeral token minted with one).
 * - `loopback`: a real Gemini key and no client tokens: secure by default, only this machine's clients are served
 *   (judged on `request.ip`, so LIVEGATE_TRUST_PROXY applies, and on every forwarded hop); others get
 *   LG_ERR_AUTH_LOOPBACK_ONLY.
 * - `anonymous`: a real key, no tokens, and LIVEGATE_ALLOW_ANONYMOUS=true: an open relay, on purpose.
 * - `open`: no real key (the built-in simulator): nothing to spend, everyone is served.
 * Ephemeral tokens are honoured in every mode; the client that minted one must still be known (removing a client
 * from LIVEGATE_CLIENT_TOKENS revokes the tokens it minted).
 */
import { randomBytes } from 'node:crypto'
import type { Config } from '../config.js'
import { LivegateError } from '../errors.js'
import { createClientRegistry } from './client-registry.js'
import { isEphemeralCredential, isLoopback } from './credentials.js'
import { createTokenCodec, type TokenCodec } from './ephemeral-token.js'
import { ANONYMOUS, ANONYMOUS_NAME, type ClientIdentity } from './identity.js'
import { createMemoryUseCounter, createRedisUseCounter, type UseCounter } from './use-counter.js'

export type AuthMode = 'tokens' | 'loopback' | 'anonymous' | 'open'

export interface AuthRequest {
  /** `request.ip` (Fastify applies trustProxy). */
  readonly ip: string
  /** `request.ips` (with trustProxy: every address of the X-Forwarded-For chain and the socket's). */
  readonly ips?: readonly string[] | undefined
  readonly credential: string | undefined
}

export interface Authenticator {
  readonly mode: AuthMode
  /** Configured client names (empty unless mode is `tokens`). */
  readonly clientNames: readonly string[]
  readonly codec: TokenCodec
  readonly uses: UseCounter
  /** Why minting is refused, when it is (no LIVEGATE_TOKEN_SECRET with a shared Redis store). */
  readonly mintRefusal: LivegateError | undefined
  /** The caller's identity, or a LivegateError (LG_ERR_AUTH_*) saying why not. */
  identify (request: AuthRequest): ClientIdentity
  close (): Promise<void>
}

export function authModeOf (config: Config): AuthMode {
  if (config.clients.tokens !== undefined) return 'tokens'
  // Vertex AI spends the project's credentials as a key would: it is not an open upstream.
  if (config.upstream.apiKey === undefined && config.upstream.vertex === undefined) return 'open'
  return config.clients.allowAnonymous ? 'anonymous' : 'loopback'
}

export async function createAuthenticator (config: Config): Promise<Authenticator> {
  const mode = authModeOf(config)
  const tokens = config.clients.tokens ?? []
  const lookup = createClientRegistry(tokens)
  const clientNames = tokens.map((t) => t.name)
  const known = new Set(mode === 'tokens' ? clientNames : [ANONYMOUS_NAME])
  const secrets = [config.clients.tokenSecret ?? randomBytes(32).toString('base64url')]
  if (config.clients.tokenSecretPrevious !== undefined) secrets.push(config.clients.tokenSecretPrevious)
  const codec = createTokenCodec(secrets)
  const shared = config.store.kind === 'redis'
  const uses = shared ? await createRedisUseCounter(config.store.location) : createMemoryUseCounter()
  const mintRefusal = config.clients.tokenSecret === undefined && shared
    ? new LivegateError('LG_ERR_AUTH_TOKEN_SECRET_MISSING', 'LIVEGATE_TOKEN_SECRET is not set: with a shared store, replicas need one token secret to mint tokens')
    : undefined

  function identify (request: AuthRequest): ClientIdentity {
    const { credential } = request
    if (credential !== undefined && isEphemeralCredential(credential)) {
      const token = codec.verify(credential)
      if (Date.now() >= token.expireTimeMs) {
        throw new LivegateError('LG_ERR_AUTH_TOKEN_EXPIRED', `the token expired at ${new Date(token.expireTimeMs).toISOString()}`)
      }
      if (!known.has(token.client)) {
        throw new LivegateError('LG_ERR_AUTH_INVALID', 'the client that minted this token is no longer configured')
      }
      const { client, ...grant } = token
      return { kind: 'ephemeral', name: client, grant }
    }
    switch (mode) {
      case 'tokens': {
        if (credential === undefined) {
          throw new LivegateError('LG_ERR_AUTH_MISSING', 'no client token: send ?key=<livegate token> or an Authorization header')
        }
        const name = lookup(credential)
        if (name === undefined) throw new LivegateError('LG_ERR_AUTH_INVALID', 'client token not accepted')
        return { kind: 'token', name }
      }
      case 'loopback':
        // Every hop must be local, not just the one Fastify picks: with trustProxy=true that is the leftmost
        // X-Forwarded-For entry, which the client itself may have written (`X-Forwarded-For: 127.0.0.1`).
        if (isLoopback(request.ip) && (request.ips ?? []).every(isLoopback)) return ANONYMOUS
        throw new LivegateError('LG_ERR_AUTH_LOOPBACK_ONLY',
          'only local clients are served: set LIVEGATE_CLIENT_TOKENS (or LIVEGATE_ALLOW_ANONYMOUS=true)')
      case 'anonymous':
      case 'open':
        return ANONYMOUS
    }
  }

  return { mode, clientNames, codec, uses, mintRefusal, identify, close: async () => { await uses.close() } }
}
