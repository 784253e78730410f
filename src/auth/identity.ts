/**
 * @module auth/identity
 * Who a request or session belongs to, as every part of livegate sees it: logs, metrics and per-client limits key on
 * `identity.name`, which comes only from a bounded set (configured client names, plus `anonymous`). The secret that
 * proved the identity is never part of it.
 */

/** What an ephemeral `auth_tokens/…` token carries (decoded and verified; see auth/ephemeral-token.ts). */
export interface EphemeralGrant {
  /** Random id of the token: the key its uses are counted under. */
  readonly tokenId: string
  /** Epoch ms after which the token opens nothing and its sessions are closed. */
  readonly expireTimeMs: number
  /** Epoch ms after which the token opens no new session (resuming one stays allowed until `expireTimeMs`). */
  readonly newSessionExpireTimeMs: number
  /** Sessions the token may open; 0 = unlimited. */
  readonly uses: number
  /** The locked setup (`bidiGenerateContentSetup`), camelCase or snake_case as minted. */
  readonly setup: Readonly<Record<string, unknown>> | undefined
  /** Field paths locked to `setup`'s values; undefined with a setup: every field is locked. */
  readonly fieldMask: readonly string[] | undefined
}

export type ClientIdentity =
  /** A configured client token (LIVEGATE_CLIENT_TOKENS / _FILE). */
  | { readonly kind: 'token', readonly name: string }
  /** An ephemeral token; `name` is the client that minted it, so its sessions count against that client. */
  | { readonly kind: 'ephemeral', readonly name: string, readonly grant: EphemeralGrant }
  /** No client authentication in force (simulator, loopback-only or LIVEGATE_ALLOW_ANONYMOUS). */
  | { readonly kind: 'anonymous', readonly name: typeof ANONYMOUS_NAME }

export const ANONYMOUS_NAME = 'anonymous'
export const ANONYMOUS: ClientIdentity = Object.freeze({ kind: 'anonymous', name: ANONYMOUS_NAME })
