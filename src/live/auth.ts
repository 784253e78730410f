/**
 * @module live/auth
 * The WebSocket side of client admission. Who the client is comes from auth/authenticator.ts (shared with the REST
 * API); what is checked here is only what the Live routes add: the browser Origin, and that an ephemeral token is
 * used where Google accepts its own, the BidiGenerateContentConstrained method.
 */
import { LivegateError } from '../errors.js'
import type { ClientIdentity } from '../auth/identity.js'
import type { LiveMethod } from './protocol.js'

type OriginCheck = (origin: string | undefined) => void

export function createOriginCheck (allowed: readonly string[] | undefined): OriginCheck {
  if (allowed === undefined) return function anyOrigin () {}
  const set = new Set(allowed)
  return function checkOrigin (origin) {
    // Non-browser clients send no Origin; the token is what guards them.
    if (origin === undefined || set.has(origin)) return
    throw new LivegateError('LG_ERR_AUTH_ORIGIN', `origin ${origin.slice(0, 80)} is not allowed`)
  }
}

/** Google refuses `access_token` on BidiGenerateContent ("Method doesn't allow unregistered callers"); so do we. */
export function checkLiveMethod (identity: ClientIdentity, method: LiveMethod): void {
  if (identity.kind === 'ephemeral' && method !== 'BidiGenerateContentConstrained') {
    throw new LivegateError('LG_ERR_AUTH_TOKEN_CONSTRAINT', 'ephemeral tokens open sessions on BidiGenerateContentConstrained only')
  }
}
