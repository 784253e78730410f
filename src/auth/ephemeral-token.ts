/**
 * @module auth/ephemeral-token
 * livegate's ephemeral tokens, shaped like Google's (`auth_tokens/…`, so the SDKs switch to the Constrained method by
 * themselves) and verifiable by any replica without shared state: the claims are compressed, encrypted (AES-256-GCM,
 * so a browser holding the token cannot read a locked system instruction) and signed with HMAC-SHA256, both keys
 * derived (HKDF) from LIVEGATE_TOKEN_SECRET. A token signed with LIVEGATE_TOKEN_SECRET_PREVIOUS still verifies, for
 * rotation. Use counting is not here: it needs the shared store (auth/use-counter.ts).
 *
 * Layout: `auth_tokens/lg1.<base64url(iv ‖ ciphertext ‖ tag)>.<base64url(hmac)>`.
 *
 * @example
 * const codec = createTokenCodec(['a-secret-of-at-least-32-characters!!'])
 * const token = codec.mint({ client: 'web', expireTimeMs, newSessionExpireTimeMs, uses: 1 })
 * codec.verify(token).client === 'web'
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { LivegateError } from '../errors.js'
import { EPHEMERAL_PREFIX } from './credentials.js'
import type { EphemeralGrant } from './identity.js'

const VERSION = 'lg1'
const IV_BYTES = 12
const TAG_BYTES = 16
/** Longest token handed out: it travels in a URL query (`?access_token=`), and request lines have limits. */
export const MAX_TOKEN_CHARS = 6000
/** Bound on the decompressed claims, checked while inflating (a signed token is ours, but be strict anyway). */
const MAX_CLAIMS_BYTES = 64 * 1024

export interface TokenClaims extends Omit<EphemeralGrant, 'tokenId'> {
  /** Name of the client that minted the token. */
  readonly client: string
}

interface VerifiedToken extends EphemeralGrant {
  readonly client: string
}

export interface TokenCodec {
  /** A new token with a fresh random id. Throws LG_ERR_AUTH_TOKEN_TOO_LARGE past MAX_TOKEN_CHARS. */
  mint (claims: TokenClaims): string
  /** The claims of a token this gateway (or a replica sharing its secret) minted; throws LG_ERR_AUTH_TOKEN_SIGNATURE. */
  verify (token: string): VerifiedToken
}

interface Keys { readonly mac: Buffer, readonly enc: Buffer }

function keysOf (secret: string): Keys {
  const derive = (info: string): Buffer => Buffer.from(hkdfSync('sha256', secret, 'livegate', info, 32))
  return { mac: derive('ephemeral-token mac'), enc: derive('ephemeral-token enc') }
}

function macOf (keys: Keys, body: string): Buffer {
  return createHmac('sha256', keys.mac).update(`${VERSION}.${body}`).digest()
}

const bad = (detail: string): LivegateError => new LivegateError('LG_ERR_AUTH_TOKEN_SIGNATURE', detail)

/** `secrets[0]` signs; every one of them verifies. */
export function createTokenCodec (secrets: readonly string[]): TokenCodec {
  if (secrets.length === 0) throw new Error('createTokenCodec needs at least one secret')
  const keyring = secrets.map(keysOf)
  const signing = keyring[0] as Keys

  return {
    mint (claims) {
      const tokenId = randomBytes(16).toString('base64url')
      const json = JSON.stringify({
        v: 1,
        id: tokenId,
        c: claims.client,
        exp: claims.expireTimeMs,
        nse: claims.newSessionExpireTimeMs,
        u: claims.uses,
        s: claims.setup,
        m: claims.fieldMask,
      })
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', signing.enc, iv)
      const sealed = Buffer.concat([iv, cipher.update(deflateRawSync(json)), cipher.final(), cipher.getAuthTag()])
      const body = sealed.toString('base64url')
      const token = `${EPHEMERAL_PREFIX}${VERSION}.${body}.${macOf(signing, body).toString('base64url')}`
      if (token.length > MAX_TOKEN_CHARS) {
        throw new LivegateError('LG_ERR_AUTH_TOKEN_TOO_LARGE', `the token would be ${token.length} characters, more than ${MAX_TOKEN_CHARS}: lock a smaller setup`)
      }
      return token
    },

    verify (token) {
      if (!token.startsWith(EPHEMERAL_PREFIX) || token.length > MAX_TOKEN_CHARS) throw bad('not a livegate ephemeral token')
      const parts = token.slice(EPHEMERAL_PREFIX.length).split('.')
      if (parts.length !== 3 || parts[0] !== VERSION) throw bad('not a livegate ephemeral token')
      const body = parts[1] as string
      const mac = Buffer.from(parts[2] as string, 'base64url')
      const keys = keyring.find((k) => {
        const expected = macOf(k, body)
        return mac.length === expected.length && timingSafeEqual(mac, expected)
      })
      if (keys === undefined) throw bad('the token signature does not match this gateway\'s token secret')
      let claims: Record<string, unknown>
      try {
        const sealed = Buffer.from(body, 'base64url')
        const decipher = createDecipheriv('aes-256-gcm', keys.enc, sealed.subarray(0, IV_BYTES))
        decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
        const packed = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()])
        claims = JSON.parse(inflateRawSync(packed, { maxOutputLength: MAX_CLAIMS_BYTES }).toString('utf8')) as Record<string, unknown>
      } catch {
        throw bad('the token cannot be decoded')
      }
      return grantOf(claims)
    },
  }
}

function grantOf (c: Record<string, unknown>): VerifiedToken {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)
  if (c.v !== 1 || typeof c.id !== 'string' || typeof c.c !== 'string' || typeof c.exp !== 'number' ||
      typeof c.nse !== 'number' || typeof c.u !== 'number' || (c.s !== undefined && !isObject(c.s)) ||
      (c.m !== undefined && !(Array.isArray(c.m) && c.m.every((p) => typeof p === 'string')))) {
    throw bad('the token claims are malformed')
  }
  return {
    tokenId: c.id,
    client: c.c,
    expireTimeMs: c.exp,
    newSessionExpireTimeMs: c.nse,
    uses: c.u,
    setup: c.s as Record<string, unknown> | undefined,
    fieldMask: c.m as string[] | undefined,
  }
}
