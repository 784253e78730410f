/**
 * @module live/slab-pool
 * Fixed-size buffers the replay logs of all sessions draw from and give back. A log fills a slab in under a second
 * of audio and lets it go when a resumption handle covers it; a fresh `ArrayBuffer` each time is external memory V8
 * counts towards its next full collection, and at hundreds of sessions those came several times a second, each a
 * pause on the relay (bench/RESULTS.md "Relay cost"). Recycled slabs keep that allocation at zero under steady load.
 *
 * Only free slabs are held here: at most as many as are out in logs (handles often cover many sessions' logs at
 * once, and those slabs are wanted again within the second), and never fewer than `minFree`. With a fixed cap of 128,
 * 500 audio sessions still allocated and dropped ≈ 500 slabs a second (16 MB/s of garbage). As sessions end and give
 * their slabs back, the cap falls with them: an idle gateway keeps `minFree` slabs.
 */

export class SlabPool {
  readonly slabBytes: number
  readonly minFree: number
  readonly #free: Buffer[] = []
  /** Taken and not given back yet. */
  #out = 0

  constructor (slabBytes: number, minFree: number) {
    this.slabBytes = slabBytes
    this.minFree = minFree
  }

  /** Free slabs held. */
  get free (): number { return this.#free.length }
  /** Slabs taken and not given back. */
  get out (): number { return this.#out }

  /** A slab to write into; its old contents are garbage. */
  take (): Buffer {
    this.#out++
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.slabBytes)
  }

  /**
   * Give a slab back (once per take). The caller must hold no view of it that is still read, here or in a socket's
   * write queue.
   */
  give (slab: Buffer): void {
    if (this.#out > 0) this.#out--
    const cap = Math.max(this.minFree, this.#out)
    if (slab.length === this.slabBytes && this.#free.length < cap) this.#free.push(slab)
    // Fewer out than held free (sessions ended, load went): let the surplus go.
    while (this.#free.length > cap) this.#free.pop()
  }
}

/** The replay logs' pool: 32 KiB slabs (dozens of audio frames each), at least 4 MiB held free. */
export const replaySlabs = new SlabPool(32 * 1024, 128)
