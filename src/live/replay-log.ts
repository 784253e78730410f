/**
 * @module live/replay-log
 * The client messages a session keeps until a resumption handle covers them (live/resumption.ts), in order. Small
 * messages are copied into shared slabs instead of keeping the Buffers ws hands over: those are one heap object per
 * frame, and kept for a second or more they all survive into V8's old generation, where the relay pays for them in
 * scavenges and full collections. A slab is one object for dozens of frames; the copy is a memcpy. Large messages
 * (video frames, long audio) get a buffer of their own. Entries are read back as views only to replay them.
 */

const SLAB_BYTES = 32 * 1024
/** Messages above this get a buffer of their own rather than a slab's remainder. */
const OWN_BUFFER_BYTES = SLAB_BYTES / 4
/** Dropped entries are compacted away once they are this many and half the arrays. */
const COMPACT_AFTER = 256

export class ReplayLog {
  #slab: Buffer | undefined = undefined
  #slabUsed = 0
  // Entry i (from #head) is #buffer[i].subarray(#offset[i], #offset[i] + #length[i]).
  #buffer: Buffer[] = []
  #offset: number[] = []
  #length: number[] = []
  #binary: boolean[] = []
  /** When each entry was written to the current upstream (0: not yet). */
  #sentAt: number[] = []
  #head = 0
  #bytes = 0

  get size (): number { return this.#buffer.length - this.#head }
  get bytes (): number { return this.#bytes }

  push (data: Buffer, binary: boolean): void {
    const length = data.length
    let buffer: Buffer
    let offset = 0
    if (length > OWN_BUFFER_BYTES) {
      buffer = Buffer.allocUnsafeSlow(length)
    } else {
      if (this.#slab === undefined || this.#slabUsed + length > SLAB_BYTES) {
        this.#slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
        this.#slabUsed = 0
      }
      buffer = this.#slab
      offset = this.#slabUsed
      this.#slabUsed += length
    }
    data.copy(buffer, offset)
    this.#buffer.push(buffer)
    this.#offset.push(offset)
    this.#length.push(length)
    this.#binary.push(binary)
    this.#sentAt.push(0)
    this.#bytes += length
  }

  /** Entry `i` (0: the oldest kept), as a view: for replaying and the rare look inside. */
  data (i: number): Buffer {
    const at = this.#head + i
    const offset = this.#offset[at] as number
    return (this.#buffer[at] as Buffer).subarray(offset, offset + (this.#length[at] as number))
  }

  binary (i: number): boolean { return this.#binary[this.#head + i] as boolean }
  sentAt (i: number): number { return this.#sentAt[this.#head + i] ?? 0 }
  setSentAt (i: number, time: number): void { this.#sentAt[this.#head + i] = time }

  /** Let the oldest `n` entries go. */
  dropFront (n: number): void {
    const count = Math.min(n, this.size)
    for (let i = 0; i < count; i++) this.#bytes -= this.#length[this.#head + i] as number
    this.#head += count
    if (this.#head === this.#buffer.length) {
      this.#clear()
    } else if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#buffer.length) {
      this.#compact((_i) => true)
    }
  }

  /** Keep only the entries `keep` accepts (by index from the oldest), each marked unsent. Returns how many are kept. */
  retain (keep: (i: number) => boolean): number {
    this.#compact(keep)
    this.#sentAt.fill(0)
    return this.size
  }

  #compact (keep: (i: number) => boolean): void {
    let kept = 0
    const n = this.size
    for (let i = 0; i < n; i++) {
      const from = this.#head + i
      if (!keep(i)) {
        this.#bytes -= this.#length[from] as number
        continue
      }
      this.#buffer[kept] = this.#buffer[from] as Buffer
      this.#offset[kept] = this.#offset[from] as number
      this.#length[kept] = this.#length[from] as number
      this.#binary[kept] = this.#binary[from] as boolean
      this.#sentAt[kept] = this.#sentAt[from] as number
      kept++
    }
    this.#buffer.length = kept
    this.#offset.length = kept
    this.#length.length = kept
    this.#binary.length = kept
    this.#sentAt.length = kept
    this.#head = 0
    if (kept === 0) this.#clear()
  }

  #clear (): void {
    this.#buffer = []
    this.#offset = []
    this.#length = []
    this.#binary = []
    this.#sentAt = []
    this.#head = 0
    this.#bytes = 0
    // Never written again (a view of it may still be in a socket's write queue); an idle session holds none.
    this.#slab = undefined
  }
}
