/**
 * @module live/auth
 * Client credentials as the real clients send them: `?key=` (JS SDK, browsers), `?access_token=` (ephemeral-token
 * style), `x-goog-api-key` (Python SDK) and `Authorization: Bearer|Token` (Vertex style, Python ephemeral). A client
 * credential is a livegate token; it is checked here and never goes upstream.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { LivegateError } from '../errors.js'

/** Query string of a raw request URL. Never `new URL(req.url, base)`: the SDK's `//ws/...` would parse as a host. */
export function queryOf (rawUrl: string): URLSearchParams {
  const at = rawUrl.indexOf('?')
  return new URLSearchParams(at === -1 ? '' : rawUrl.slice(at + 1))
}

export function credentialOf (query: URLSearchParams, headers: IncomingHttpHeaders): string | undefined {
  const fromQuery = query.get('key') ?? query.get('access_token')
  if (fromQuery !== null && fromQuery !== '') return fromQuery
  const header = headers['x-goog-api-key']
  if (typeof header === 'string' && header !== '') return header
  const authorization = headers.authorization
  if (typeof authorization === 'string') {
    const match = /^(?:Bearer|Token)\s+(.+)$/i.exec(authorization.trim())
    if (match?.[1] !== undefined) return match[1]
  }
  return undefined
}

function digest (value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

export type CredentialCheck = (credential: string | undefined) => void

/**
 * Build the check once, at startup. With no tokens configured every client is admitted (the app warns at start).
 * Comparison is constant-time over digests, so neither content nor length leaks through timing.
 */
export function createCredentialCheck (tokens: readonly string[] | undefined): CredentialCheck {
  if (tokens === undefined) return function admitAll () {}
  const digests = tokens.map(digest)
  return function checkCredential (credential) {
    if (credential === undefined) {
      throw new LivegateError('LG_ERR_AUTH_MISSING', 'no client token: send ?key=<livegate token> or an Authorization header')
    }
    const candidate = digest(credential)
    let ok = false
    for (const d of digests) ok = timingSafeEqual(d, candidate) || ok
    if (!ok) throw new LivegateError('LG_ERR_AUTH_INVALID', 'client token not accepted')
  }
}

export type OriginCheck = (origin: string | undefined) => void

export function createOriginCheck (allowed: readonly string[] | undefined): OriginCheck {
  if (allowed === undefined) return function anyOrigin () {}
  const set = new Set(allowed)
  return function checkOrigin (origin) {
    // Non-browser clients send no Origin; the token is what guards them.
    if (origin === undefined || set.has(origin)) return
    throw new LivegateError('LG_ERR_AUTH_ORIGIN', `origin ${origin.slice(0, 80)} is not allowed`)
  }
}
