/**
 * @module auth/use-counter
 * Counts the sessions each ephemeral token has opened, where every replica sees the same count: Redis when
 * LIVEGATE_STORE is `redis://…` (one MULTI of INCR and PEXPIREAT, so the count is atomic and never outlives the
 * token), this process's memory otherwise. The client is its own (not the artifact store's): token checks must not
 * queue behind artifact traffic, and either can fail without the other.
 */
import { LivegateError } from '../errors.js'

export interface UseCounter {
  /** Count one use of the token; resolves with the count including this one. Rejects with LG_ERR_AUTH_STORE_UNAVAILABLE. */
  take (tokenId: string, expireTimeMs: number): Promise<number>
  close (): Promise<void>
}

/** Kept past the token's expiry, so a clock a little behind on another replica still sees the count. */
const EXPIRY_SLACK_MS = 60_000
const SWEEP_EVERY = 1024

export function createMemoryUseCounter (now: () => number = Date.now): UseCounter {
  const counts = new Map<string, { count: number, expireAtMs: number }>()
  let takes = 0
  return {
    async take (tokenId, expireTimeMs) {
      if (++takes % SWEEP_EVERY === 0) {
        const t = now()
        for (const [id, entry] of counts) if (entry.expireAtMs < t) counts.delete(id)
      }
      const entry = counts.get(tokenId) ?? { count: 0, expireAtMs: expireTimeMs + EXPIRY_SLACK_MS }
      entry.count++
      counts.set(tokenId, entry)
      return entry.count
    },
    async close () { counts.clear() },
  }
}

const USE_KEY_PREFIX = 'livegate:token-uses:'
const COMMAND_TIMEOUT_MS = 3000

export async function createRedisUseCounter (url: string, keyPrefix = USE_KEY_PREFIX): Promise<UseCounter> {
  // Loaded only where Redis is used: a gateway without it keeps ioredis out of the heap its collector walks.
  const { Redis } = await import('ioredis')
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    connectTimeout: COMMAND_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(times * 100, 2000),
  })
  // ioredis errors can carry the password (a failed AUTH's args): swallow them here, report a fixed message below.
  redis.on('error', () => {})
  // A Redis that is down at start is the artifact store's to report; this client keeps reconnecting meanwhile.
  await redis.connect().catch(() => {})
  const unavailable = (): LivegateError =>
    new LivegateError('LG_ERR_AUTH_STORE_UNAVAILABLE', 'the shared store that counts token uses is unavailable; retry shortly')
  return {
    async take (tokenId, expireTimeMs) {
      const key = keyPrefix + tokenId
      let replies: Array<[Error | null, unknown]> | null
      try {
        replies = await redis.multi().incr(key).pexpireat(key, Math.round(expireTimeMs + EXPIRY_SLACK_MS)).exec()
      } catch {
        throw unavailable()
      }
      const [incrErr, count] = replies?.[0] ?? [null, undefined]
      if (incrErr !== null || typeof count !== 'number') throw unavailable()
      return count
    },
    async close () { redis.disconnect() },
  }
}
