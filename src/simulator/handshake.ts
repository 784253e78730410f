/**
 * @module simulator/handshake
 * What Google reads from an upgrade request: the method path and the caller's credential. Pure functions.
 *
 * The JS SDK dials `//ws/…` (double slash) and puts the key in `?key=` unencoded, or an ephemeral token in
 * `?access_token=` on the `…Constrained` method; the Python SDK sends `x-goog-api-key` or `Authorization: Token …`
 * (reference §0, §2). The path is never parsed with `new URL(path, base)`: `//ws/…` would make `ws` the host.
 * Vertex AI's method (`/ws/google.cloud.aiplatform.{v1|v1beta1}.LlmBidiService/BidiGenerateContent`, reference
 * §1.8b) takes only an OAuth `Authorization: Bearer` token; it is served only when the simulator plays Vertex.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { CloseSpec } from './reasons.js'
import { API_KEY_INVALID, UNAUTHENTICATED, UNREGISTERED_CALLER } from './reasons.js'

const LIVE_PATH = /^\/ws\/google\.ai\.generativelanguage\.(v1alpha|v1beta|v1)\.GenerativeService\.(BidiGenerateContent(?:Constrained)?)$/
const VERTEX_PATH = /^\/ws\/google\.cloud\.aiplatform\.(v1|v1beta1)\.LlmBidiService\/(BidiGenerateContent)$/

export interface LiveTarget {
  /** The path as dialed, without the query. */
  path: string
  apiVersion: string
  method: 'BidiGenerateContent' | 'BidiGenerateContentConstrained'
  /** Which of Google's services the path belongs to. */
  api: 'gemini' | 'vertex'
  query: URLSearchParams
}

/** `//ws/google.ai…BidiGenerateContent?key=k` → its version, method and query; undefined for any other path. */
export function parseLiveTarget (url: string): LiveTarget | undefined {
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  const normal = path.replace(/^\/+/, '/')
  const gemini = LIVE_PATH.exec(normal)
  const match = gemini ?? VERTEX_PATH.exec(normal)
  if (match === null) return undefined
  return {
    path,
    apiVersion: match[1] as string,
    method: match[2] as LiveTarget['method'],
    api: gemini === null ? 'vertex' : 'gemini',
    query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
  }
}

export type CredentialKind = 'key' | 'token' | 'oauth'

export interface Credential { value: string, kind: CredentialKind }

function header (headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** The caller's credential, in the order Google's front end would see it: query first, then headers. */
export function readCredential (query: URLSearchParams, headers: IncomingHttpHeaders): Credential | undefined {
  const key = query.get('key')
  if (key !== null && key !== '') return { value: key, kind: 'key' }
  const token = query.get('access_token')
  if (token !== null && token !== '') return { value: token, kind: 'token' }
  const apiKey = header(headers, 'x-goog-api-key')
  if (apiKey !== undefined && apiKey !== '') return { value: apiKey, kind: 'key' }
  const authorization = header(headers, 'authorization')
  const match = authorization === undefined ? null : /^(Token|Bearer)\s+(\S+)\s*$/i.exec(authorization)
  if (match !== null) {
    return { value: match[2] as string, kind: (match[1] as string).toLowerCase() === 'token' ? 'token' : 'oauth' }
  }
  return undefined
}

/**
 * Why Google would refuse this caller, or undefined. A refusal still completes the upgrade and then closes
 * (the reasons arrive as close frames, reference §1.1).
 */
export function refuseCaller (
  target: LiveTarget, credential: Credential | undefined, apiKeys: readonly string[] | undefined,
  accessTokens?: ReadonlySet<string>,
): CloseSpec | undefined {
  if (target.api === 'vertex') {
    // Vertex AI authenticates OAuth callers only (no API keys, no ephemeral tokens: reference §1.8b).
    if (credential?.kind !== 'oauth') return UNAUTHENTICATED
    if (accessTokens !== undefined && !accessTokens.has(credential.value)) return UNAUTHENTICATED
    return undefined
  }
  if (credential === undefined) return UNREGISTERED_CALLER
  // Ephemeral tokens are only honoured by the Constrained method (google-gemini/cookbook#821).
  if (credential.kind === 'token' && target.method !== 'BidiGenerateContentConstrained') return UNREGISTERED_CALLER
  if (apiKeys !== undefined && !apiKeys.includes(credential.value)) return API_KEY_INVALID
  return undefined
}
