/**
 * @module live/constraints
 * What an ephemeral token does to the client's setup, the way Google applies its own tokens' constraints:
 * - no locked setup and no fieldMask: the client's setup goes as sent;
 * - a locked setup and no fieldMask: every field is locked: the token's setup is the setup (the client's values are
 *   ignored), except that the client's model is kept when the token names none;
 * - a fieldMask: each listed path takes the token's value, or is cleared when the token has none; every other field
 *   stays the client's.
 * The client's `sessionResumption.handle` always survives: it names the session to resume, it configures nothing.
 * A new session (no handle) counts one use of the token and must start before `newSessionExpireTime`; resuming
 * counts nothing.
 */
import { LivegateError, isLivegateError } from '../errors.js'
import type { EphemeralGrant } from '../auth/identity.js'
import type { UseCounter } from '../auth/use-counter.js'
import { camelizeMessage, field, toCamel, type JsonObject } from './protocol.js'
import type { LiveSession } from './session.js'
import type { Dial } from './upstream.js'

function isObject (value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function getPath (obj: JsonObject, path: readonly string[]): unknown {
  let current: unknown = obj
  for (const key of path) {
    if (!isObject(current)) return undefined
    current = current[key]
  }
  return current
}

function setPath (obj: JsonObject, path: readonly string[], value: unknown): void {
  let current = obj
  for (const key of path.slice(0, -1)) {
    const next = current[key]
    if (!isObject(next)) current[key] = {}
    current = current[key] as JsonObject
  }
  current[path[path.length - 1] as string] = value
}

function deletePath (obj: JsonObject, path: readonly string[]): void {
  const parent = getPath(obj, path.slice(0, -1))
  if (isObject(parent)) delete parent[path[path.length - 1] as string]
}

/** The handle of a resuming setup, or undefined for a new session. */
export function resumptionHandleOf (setup: JsonObject): string | undefined {
  const handle = field(field(setup, 'sessionResumption'), 'handle')
  return typeof handle === 'string' && handle !== '' ? handle : undefined
}

/** The setup to send upstream under the grant's constraints, or undefined when the grant constrains nothing. */
export function applyConstraints (clientSetup: JsonObject, grant: Pick<EphemeralGrant, 'setup' | 'fieldMask'>): JsonObject | undefined {
  if (grant.setup === undefined && grant.fieldMask === undefined) return undefined
  const client = camelizeMessage(clientSetup) as JsonObject
  const locked = camelizeMessage(grant.setup ?? {}) as JsonObject
  const handle = resumptionHandleOf(client)
  let result: JsonObject
  if (grant.fieldMask === undefined) {
    result = structuredClone(locked)
    if (result.model === undefined && client.model !== undefined) result.model = client.model
  } else {
    result = client
    for (const path of grant.fieldMask) {
      const segments = path.split('.').map(toCamel)
      const value = getPath(locked, segments)
      if (value === undefined) deletePath(result, segments)
      else setPath(result, segments, structuredClone(value))
    }
  }
  if (handle !== undefined) {
    const resumption = result.sessionResumption
    result.sessionResumption = { ...(isObject(resumption) ? resumption : {}), handle }
  }
  return result
}

export interface SetupGate {
  /** For `SessionOptions.rewriteSetup`: throws a LivegateError to refuse the session. */
  rewriteSetup (setup: JsonObject): JsonObject | undefined
  /** Settles once the setup has been seen: resolves when the session may reach upstream, rejects with why not. */
  readonly admitted: Promise<void>
  /**
   * Dial now, attach the upstream once admitted (the client's frames, setup first, wait in the session meanwhile); refuse
   * the session if not; close it when the token expires.
   */
  connect (session: LiveSession, dial: () => Dial): void
}

/** The setup hook and admission of one session opened with an ephemeral token. */
export function createEphemeralGate (grant: EphemeralGrant, uses: UseCounter, now: () => number = Date.now): SetupGate {
  let admit!: () => void
  let refuse!: (err: unknown) => void
  const admitted = new Promise<void>((resolve, reject) => { admit = resolve; refuse = reject })
  // The caller may fail the session before awaiting; never an unhandled rejection.
  admitted.catch(() => {})
  return {
    admitted,
    connect (session, dial) {
      admitted.catch((err: unknown) => {
        const lgErr = isLivegateError(err) ? err : new LivegateError('LG_ERR_AUTH_STORE_UNAVAILABLE', 'token check failed; retry')
        session.log.info({ code: lgErr.code }, 'client refused')
        session.fail(lgErr)
      })
      session.connect(dial, admitted)
      // Google: "Gemini may preemptively close the session after [expireTime]"; livegate does, at that moment.
      const expiry = setTimeout(() => {
        session.fail(new LivegateError('LG_ERR_AUTH_TOKEN_EXPIRED', 'the token expired during the session'))
      }, Math.max(0, grant.expireTimeMs - now()))
      expiry.unref()
      session.client.once('close', () => { clearTimeout(expiry) })
    },
    rewriteSetup (setup) {
      const resuming = resumptionHandleOf(setup) !== undefined
      if (!resuming && now() >= grant.newSessionExpireTimeMs) {
        throw new LivegateError('LG_ERR_AUTH_TOKEN_EXPIRED', `the token opens no new session after ${new Date(grant.newSessionExpireTimeMs).toISOString()}`)
      }
      const rewritten = applyConstraints(setup, grant)
      if (resuming || grant.uses === 0) {
        admit()
      } else {
        uses.take(grant.tokenId, grant.expireTimeMs).then((count) => {
          if (count <= grant.uses) admit()
          else refuse(new LivegateError('LG_ERR_AUTH_TOKEN_USED_UP', `the token's ${grant.uses} use${grant.uses === 1 ? ' was' : 's were'} already taken`))
        }, refuse)
      }
      return rewritten
    },
  }
}
