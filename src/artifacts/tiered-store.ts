/**
 * @module artifacts/tiered-store
 * A memory LRU in front of a slower shared store (filesystem now, Redis later): writes go to both, reads try memory
 * first and promote what they find below.
 */
import type { MemoryStore } from './memory-store.js'
import type { Artifact, ArtifactInput, ArtifactMeta, ArtifactStore, CacheStats, StoreHealth } from './store.js'
import { asBuffer } from './store.js'

export class TieredStore implements ArtifactStore {
  readonly #hot: MemoryStore
  readonly #cold: ArtifactStore
  // Plain counters: metrics read them at scrape time.
  #hits = 0
  #misses = 0

  constructor (hot: MemoryStore, cold: ArtifactStore) {
    this.#hot = hot
    this.#cold = cold
  }

  async put (key: string, bytes: Uint8Array, input: ArtifactInput): Promise<ArtifactMeta> {
    const meta = await this.#cold.put(key, bytes, input)
    this.#hot.remember({ bytes: asBuffer(bytes), meta })
    return meta
  }

  async get (key: string): Promise<Artifact | undefined> {
    const hit = await this.#hot.get(key)
    if (hit !== undefined) {
      this.#hits++
      return hit
    }
    this.#misses++
    const found = await this.#cold.get(key)
    if (found !== undefined) this.#hot.remember(found)
    return found
  }

  cacheStats (): CacheStats {
    return { hits: this.#hits, misses: this.#misses }
  }

  health (): StoreHealth {
    return this.#cold.health?.() ?? { ok: true }
  }

  async head (key: string): Promise<ArtifactMeta | undefined> {
    return (await this.#hot.head(key)) ?? await this.#cold.head(key)
  }

  async delete (key: string): Promise<boolean> {
    const [a, b] = await Promise.all([this.#hot.delete(key), this.#cold.delete(key)])
    return a || b
  }

  async close (): Promise<void> {
    await Promise.all([this.#hot.close(), this.#cold.close()])
  }
}
