/**
 * @module auth/credentials
 * Where real clients put their credential: `?key=` (JS SDK, browsers), `?access_token=` (ephemeral tokens, JS SDK),
 * `x-goog-api-key` (Python SDK, REST) and `Authorization: Bearer|Token` (Vertex style, Python ephemeral tokens).
 */
import type { IncomingHttpHeaders } from 'node:http'
import { isIP } from 'node:net'

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

/** The prefix the SDKs look for to switch to BidiGenerateContentConstrained (and Google's token names use). */
export const EPHEMERAL_PREFIX = 'auth_tokens/'

export function isEphemeralCredential (credential: string): boolean {
  return credential.startsWith(EPHEMERAL_PREFIX)
}

/**
 * True for this machine's own addresses as Fastify reports `request.ip` (after LIVEGATE_TRUST_PROXY): 127.0.0.0/8,
 * ::1 and their IPv4-mapped forms.
 */
export function isLoopback (ip: string | undefined): boolean {
  if (ip === undefined) return false
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip
  if (isIP(v4) === 4) return v4.startsWith('127.')
  return ip === '::1'
}
