/**
 * @module live/limit-counters
 * Expiring counters for the limits that must hold across replicas (new sessions per minute, the daily token
 * budget): in Redis when LIVEGATE_STORE is Redis, so every replica adds to the same number, else in memory.
 * A Redis that cannot be reached never refuses a client: the limit is skipped (and logged by the caller), the same
 * choice as @fastify/rate-limit's `skipOnError` for the REST limit.
 */
import type { Redis } from 'ioredis'
import { LRUCache } from 'lru-cache'
import { LivegateError } from '../errors.js'

interface CounterValue {
  /** The count after this call. */
  readonly count: number
  /** Milliseconds until the counter expires. */
  readonly ttlMs: number
}

export interface LimitCounters {
  /** Add `by` to `key` (created with `ttlMs` to live when absent) and return the new count. */
  add (key: string, by: number, ttlMs: number): Promise<CounterValue>
  /** The current count (0 when absent). */
  get (key: string): Promise<number>
}

/** Counters of one process; the LRU bound keeps per-IP anonymous keys from growing without end. */
export function memoryCounters (maxKeys = 50_000): LimitCounters {
  const cache = new LRUCache<string, { count: number, expiresAt: number }>({ max: maxKeys })
  const live = (key: string, now: number): { count: number, expiresAt: number } | undefined => {
    const entry = cache.get(key)
    if (entry !== undefined && entry.expiresAt <= now) { cache.delete(key); return undefined }
    return entry
  }
  return {
    async add (key, by, ttlMs) {
      const now = Date.now()
      const entry = live(key, now) ?? { count: 0, expiresAt: now + ttlMs }
      entry.count += by
      cache.set(key, entry)
      return { count: entry.count, ttlMs: entry.expiresAt - now }
    },
    async get (key) {
      return live(key, Date.now())?.count ?? 0
    },
  }
}

/** INCRBY, and the expiry only when this call created the key, in one round trip. */
const ADD_SCRIPT = `
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if n == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {n, redis.call('PTTL', KEYS[1])}
`

export const LIMIT_KEY_PREFIX = 'livegate:limit:'

type RedisWithAdd = Redis & { livegateLimitAdd (key: string, by: number, ttlMs: number): Promise<[number, number]> }

export function redisCounters (redis: Redis, prefix = LIMIT_KEY_PREFIX): LimitCounters {
  const r = redis as RedisWithAdd
  if (typeof r.livegateLimitAdd !== 'function') redis.defineCommand('livegateLimitAdd', { numberOfKeys: 1, lua: ADD_SCRIPT })
  return {
    async add (key, by, ttlMs) {
      const [count, ttl] = await r.livegateLimitAdd(prefix + key, by, ttlMs)
      return { count, ttlMs: Math.max(0, ttl) }
    },
    async get (key) {
      const value = await redis.get(prefix + key)
      return value === null ? 0 : Number(value)
    },
  }
}

/**
 * A Redis connection for the shared limits (counters here, @fastify/rate-limit's store), on the URL of
 * LIVEGATE_STORE. Commands never queue while disconnected and time out fast, so a Redis outage makes the limits
 * skip rather than hold sessions and requests. Errors name host:port only, never the URL's password.
 */
export async function connectLimitRedis (url: string): Promise<Redis> {
  // Loaded only where Redis is used (see auth/use-counter.ts).
  const { Redis } = await import('ioredis')
  const parsed = new URL(url)
  const where = `${parsed.hostname}:${parsed.port === '' ? '6379' : parsed.port}`
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    connectTimeout: 5000,
    commandTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(times * 100, 2000),
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
  } catch {
    redis.disconnect()
    throw new LivegateError('LG_ERR_ARTIFACT_STORE_UNAVAILABLE', `LIVEGATE_STORE: cannot use Redis at ${where} for the shared limits`)
  }
  return redis
}
