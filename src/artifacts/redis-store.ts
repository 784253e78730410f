/**
 * @module artifacts/redis-store
 * Artifacts in Redis (`LIVEGATE_STORE=redis://…`), so that every replica behind a load balancer serves what any one
 * of them rendered. Each artifact is one hash, `livegate:artifact:<key>` → `{ meta: <JSON ArtifactMeta>, bytes }`,
 * written together with its expiry (PEXPIRE, from `ttlSeconds`) in one MULTI, so no reader sees bytes without
 * metadata or an artifact that never expires. `head` reads only the `meta` field.
 *
 * Size cap: Redis cannot cap a key prefix by bytes, so LIVEGATE_STORE_MAX_BYTES is not enforced here. The operator
 * sets `maxmemory` with an evicting policy on the Redis server: `allkeys-lru`, or `volatile-lru` when Redis is
 * shared with data that must not be evicted (every artifact has a TTL, so it is always a candidate). Under the
 * default `noeviction` a full Redis refuses writes and renders answer 503.
 *
 * Failures: commands are never queued while disconnected (`enableOfflineQueue: false`) and time out after
 * `commandTimeoutMs`, so a request that needs Redis fails fast with LG_ERR_ARTIFACT_STORE_UNAVAILABLE (503) instead
 * of hanging, while ioredis reconnects in the background with a capped backoff. The password in the URL never
 * reaches an error or a log: messages name only host:port, and ioredis's own errors are not passed on as `cause`
 * because a failed AUTH carries the password in `err.command.args`.
 *
 * @example
 * const store = new RedisStore({ url: 'redis://:secret@redis:6379/0', ttlSeconds: 7 * 24 * 3600 })
 * await store.ready() // rejects with LG_ERR_ARTIFACT_STORE_UNAVAILABLE if Redis cannot be reached
 * await store.put('abc.png', png, { mimeType: 'image/png', sourceKind: 'chart' })
 */
import { Redis } from 'ioredis'
import { LivegateError } from '../errors.js'
import { asBuffer, assertKey, metaFor, type Artifact, type ArtifactInput, type ArtifactMeta, type ArtifactStore, type StoreHealth } from './store.js'

export interface RedisStoreOptions {
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://…` for TLS. */
  url: string
  /** Seconds an artifact lives after it is written (fractions allowed, for tests). */
  ttlSeconds: number
  /** Prepended to every key [default: `livegate:artifact:`]. */
  keyPrefix?: string
  /** Longest wait for a TCP connection [default: 5000 ms]. */
  connectTimeoutMs?: number
  /** Longest wait for any one command's reply, event-loop lag included [default: 5000 ms]. */
  commandTimeoutMs?: number
}

export const DEFAULT_KEY_PREFIX = 'livegate:artifact:'
const CONNECT_TIMEOUT_MS = 5000
const COMMAND_TIMEOUT_MS = 5000
/** Reconnect backoff: 100 ms, 200 ms, … capped at 2 s, forever, so a replica recovers when Redis comes back. */
const RETRY_STEP_MS = 100
const RETRY_MAX_MS = 2000
const CLIENT_DETAIL = 'the shared artifact store (Redis) is unavailable; retry shortly'

export class RedisStore implements ArtifactStore {
  readonly #redis: Redis
  readonly #prefix: string
  readonly #ttlMs: number
  /** `host:port`, the only part of the URL that may appear in messages. */
  readonly #where: string
  readonly #password: string
  readonly #ready: Promise<void>
  #lastError: string | undefined
  #closed = false
  /** The first connection attempt has succeeded or failed. */
  #settled = false

  constructor (options: RedisStoreOptions) {
    const url = new URL(options.url)
    this.#where = `${url.hostname}:${url.port === '' ? '6379' : url.port}`
    this.#password = safeDecode(url.password)
    this.#prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX
    this.#ttlMs = Math.max(1, Math.round(options.ttlSeconds * 1000))
    this.#redis = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      connectTimeout: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      commandTimeout: options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS,
      // A command caught by a dropped connection fails now rather than waiting for a reconnect.
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(times * RETRY_STEP_MS, RETRY_MAX_MS),
    })
    // Without a listener ioredis prints every connection error to the console; keep the latest (scrubbed) reason.
    this.#redis.on('error', (err: unknown) => { this.#lastError = this.#scrub(err) })
    this.#redis.on('ready', () => { this.#lastError = undefined })
    this.#redis.on('close', () => { this.#lastError ??= 'connection closed' })
    this.#ready = this.#redis.connect().then(() => {}, (err: unknown) => {
      const reason = this.#lastError ?? this.#scrub(err)
      throw new LivegateError('LG_ERR_ARTIFACT_STORE_UNAVAILABLE', `LIVEGATE_STORE: cannot use Redis at ${this.#where}: ${reason}`)
    })
    // Callers that never await ready() still see the failure, as LG_ERR_ARTIFACT_STORE_UNAVAILABLE from each command.
    this.#ready.catch(() => {}).finally(() => { this.#settled = true })
  }

  /** Resolves once connected and authenticated; rejects with LG_ERR_ARTIFACT_STORE_UNAVAILABLE otherwise. */
  ready (): Promise<void> { return this.#ready }

  /** Connected and authenticated now; otherwise the last connection error (ioredis keeps reconnecting meanwhile). */
  health (): StoreHealth {
    if (this.#redis.status === 'ready') return { ok: true }
    return { ok: false, reason: `Redis ${this.#where}: ${this.#lastError ?? this.#redis.status}` }
  }

  #key (key: string): string { return this.#prefix + key }

  /** An error's message with the password cut out, should a server or library ever echo it. */
  #scrub (err: unknown): string {
    const message = err instanceof Error ? err.message : String(err)
    return this.#password === '' ? message : message.split(this.#password).join('***')
  }

  async #run<T> (command: () => Promise<T>): Promise<T> {
    // Only the first connection is waited for (bounded by the connect timeout); after it, no command ever queues.
    if (!this.#settled) await this.#ready.catch(() => {})
    try {
      return await command()
    } catch (err) {
      // The cause is rebuilt from the scrubbed message only: ioredis errors carry the command and its arguments.
      const connection = this.#lastError === undefined ? '' : ` (connection: ${this.#lastError})`
      const cause = new Error(`Redis ${this.#where}: ${this.#scrub(err)}${connection}`)
      throw new LivegateError('LG_ERR_ARTIFACT_STORE_UNAVAILABLE', CLIENT_DETAIL, undefined, { cause })
    }
  }

  async put (key: string, bytes: Uint8Array, input: ArtifactInput): Promise<ArtifactMeta> {
    assertKey(key)
    const meta = metaFor(key, bytes, input)
    const k = this.#key(key)
    await this.#run(async () => {
      const results = await this.#redis.multi()
        .hset(k, 'meta', JSON.stringify(meta), 'bytes', asBuffer(bytes))
        .pexpire(k, this.#ttlMs)
        .exec()
      if (results === null) throw new Error('transaction discarded')
      for (const [err] of results) if (err !== null) throw err
    })
    return meta
  }

  async get (key: string): Promise<Artifact | undefined> {
    assertKey(key)
    const [meta, bytes] = await this.#run(() => this.#redis.hmgetBuffer(this.#key(key), 'meta', 'bytes'))
    const parsed = parseMeta(meta, key)
    if (parsed === undefined || bytes === null || bytes === undefined) return undefined
    return { bytes, meta: parsed }
  }

  async head (key: string): Promise<ArtifactMeta | undefined> {
    assertKey(key)
    return parseMeta(await this.#run(() => this.#redis.hgetBuffer(this.#key(key), 'meta')), key)
  }

  async delete (key: string): Promise<boolean> {
    assertKey(key)
    return (await this.#run(() => this.#redis.del(this.#key(key)))) > 0
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#redis.status === 'ready') await this.#redis.quit().catch(() => {})
    this.#redis.disconnect() // also stops reconnect attempts when the connection was down
  }
}

/** The stored metadata, or `undefined` when missing or not ours (another writer under the same prefix). */
function parseMeta (raw: Buffer | null | undefined, key: string): ArtifactMeta | undefined {
  if (raw === null || raw === undefined) return undefined
  try {
    const meta = JSON.parse(raw.toString('utf8')) as ArtifactMeta
    return meta.key === key ? meta : undefined
  } catch {
    return undefined
  }
}

function safeDecode (text: string): string {
  try { return decodeURIComponent(text) } catch { return text }
}
