/**
 * @module live/slab-pool
 * Fixed-size buffers the replay logs of all sessions draw from and give back. A log fills a slab in under a second
 * of audio and lets it go when a resumption handle covers it; a fresh `ArrayBuffer` each time is external memory V8
 * counts towards its next full collection, and at hundreds of sessions those came several times a second, each a
 * pause on the relay (bench/RESULTS.md "Relay cost"). Recycled slabs keep that allocation at zero under steady load.
 * Only free slabs are held here, and at most `maxFree` of them: an idle gateway keeps a few MiB at most.
 */

export class SlabPool {
  readonly slabBytes: number
  readonly maxFree: number
  readonly #free: Buffer[] = []

  constructor (slabBytes: number, maxFree: number) {
    this.slabBytes = slabBytes
    this.maxFree = maxFree
  }

  /** Free slabs held. */
  get free (): number { return this.#free.length }

  /** A slab to write into; its old contents are garbage. */
  take (): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.slabBytes)
  }

  /** Give a slab back. The caller must hold no view of it that is still read, here or in a socket's write queue. */
  give (slab: Buffer): void {
    if (slab.length === this.slabBytes && this.#free.length < this.maxFree) this.#free.push(slab)
  }
}

/** The replay logs' pool: 32 KiB slabs (dozens of audio frames each), at most 4 MiB held free. */
export const replaySlabs = new SlabPool(32 * 1024, 128)
