/**
 * @module artifacts/create-store
 * The store `config.store` asks for: `memory` (one byte-capped LRU), `fs` (the LRU in front of a directory) or
 * `redis` (the LRU in front of Redis, shared by replicas).
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Config } from '../config.js'
import { LivegateError } from '../errors.js'
import { FsStore } from './fs-store.js'
import { MemoryStore } from './memory-store.js'
import type { ArtifactStore } from './store.js'
import { TieredStore } from './tiered-store.js'

export async function createArtifactStore (store: Config['store']): Promise<ArtifactStore> {
  switch (store.kind) {
    case 'memory':
      // Memory is the only tier, so the total cap is the smaller of the two budgets.
      return new MemoryStore({ maxBytes: Math.min(store.memoryBytes, store.maxBytes), ttlSeconds: store.ttlSeconds })
    case 'fs': {
      // No home to put the default under: a fresh directory only this process knows (mkdtemp creates it 0700).
      const dir = store.location === '' ? await fs.mkdtemp(path.join(os.tmpdir(), 'livegate-artifacts-')) : store.location
      const cold = new FsStore({ dir, maxBytes: store.maxBytes, ttlSeconds: store.ttlSeconds, private: store.private === true })
      try {
        await cold.ready()
      } catch (err) {
        await cold.close()
        throw new LivegateError('LG_ERR_CONFIG_INVALID', `LIVEGATE_STORE: cannot use directory ${dir}: ${(err as Error).message}`)
      }
      const hot = new MemoryStore({ maxBytes: store.memoryBytes, ttlSeconds: store.ttlSeconds })
      return new TieredStore(hot, cold)
    }
    case 'redis': {
      // Shared by every replica; the memory tier in front saves a round trip for hot artifacts. Keys name their
      // content (hashes, tile coordinates), so a replica's memory copy is never stale, at worst kept after a delete.
      // Loaded only here: a gateway without Redis keeps ioredis out of the heap its collector walks.
      const { RedisStore } = await import('./redis-store.js')
      const cold = new RedisStore({ url: store.location, ttlSeconds: store.ttlSeconds })
      try {
        await cold.ready()
      } catch (err) {
        await cold.close()
        throw err
      }
      return new TieredStore(new MemoryStore({ maxBytes: store.memoryBytes, ttlSeconds: store.ttlSeconds }), cold)
    }
  }
}
