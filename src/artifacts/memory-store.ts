/**
 * @module artifacts/memory-store
 * A byte-capped LRU of artifacts with a TTL (lru-cache). Alone it is the `memory` store; in front of the filesystem
 * store it is the hot tier.
 */
import { LRUCache } from 'lru-cache'
import { asBuffer, assertKey, metaFor, type Artifact, type ArtifactInput, type ArtifactMeta, type ArtifactStore } from './store.js'

interface MemoryStoreOptions {
  maxBytes: number
  ttlSeconds: number
  /** Monotonic clock in ms for TTLs (tests inject one); default performance. */
  clock?: { now (): number }
}

/** Per-entry bookkeeping (key, metadata, map slot) counted against the cap, so many tiny entries stay bounded too. */
const ENTRY_OVERHEAD_BYTES = 256

export class MemoryStore implements ArtifactStore {
  readonly #cache: LRUCache<string, Artifact> | undefined
  readonly #ttlMs: number

  constructor (options: MemoryStoreOptions) {
    this.#ttlMs = options.ttlSeconds * 1000
    // lru-cache needs a positive maxSize; a zero budget means "cache nothing".
    this.#cache = options.maxBytes <= 0
      ? undefined
      : new LRUCache<string, Artifact>({
        maxSize: options.maxBytes,
        sizeCalculation: (a) => a.bytes.byteLength + ENTRY_OVERHEAD_BYTES,
        ttl: this.#ttlMs,
        ttlAutopurge: false,
        ...(options.clock === undefined ? {} : { perf: options.clock, ttlResolution: 0 }),
      })
  }

  async put (key: string, bytes: Uint8Array, input: ArtifactInput): Promise<ArtifactMeta> {
    assertKey(key)
    const meta = metaFor(key, bytes, input)
    this.remember({ bytes: asBuffer(bytes), meta })
    return meta
  }

  /** Insert an artifact that already has metadata (the tiered store promotes disk hits this way). */
  remember (artifact: Artifact): void {
    if (this.#cache === undefined) return
    const age = Date.now() - artifact.meta.created
    const ttl = this.#ttlMs - age
    if (ttl <= 0) return
    this.#cache.set(artifact.meta.key, artifact, { ttl })
  }

  async get (key: string): Promise<Artifact | undefined> {
    return this.#cache?.get(key)
  }

  async head (key: string): Promise<ArtifactMeta | undefined> {
    return this.#cache?.get(key, { updateAgeOnGet: false })?.meta
  }

  async delete (key: string): Promise<boolean> {
    return this.#cache?.delete(key) ?? false
  }

  /** Bytes held, including per-entry overhead. */
  get size (): number { return this.#cache?.calculatedSize ?? 0 }

  async close (): Promise<void> {
    this.#cache?.clear()
  }
}
