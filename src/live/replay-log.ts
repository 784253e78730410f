/**
 * @module live/replay-log
 * The client messages a session keeps until a resumption handle covers them (live/resumption.ts), in order. Small
 * messages are copied into slabs instead of keeping the Buffers ws hands over: those are one heap object per frame,
 * and kept for a second or more they all survive into V8's old generation, where the relay pays for them in
 * scavenges and full collections. A slab is one object for dozens of frames; the copy is a memcpy. Slabs come from
 * a pool shared by every session (live/slab-pool.ts) and go back to it once none of their entries is kept. Large
 * messages (video frames, long audio) get a buffer of their own.
 *
 * Because slabs are reused, a view of an entry is valid only until the entry is dropped: `data` is for looking
 * inside, `copy` for anything handed on (a socket may still hold a write when the entry goes). The one exception is
 * the frame `push` returns when given header room: the session writes it to the upstream as it is, so that a relayed
 * frame is copied once (into the slab) rather than twice (into the slab and into a merged frame, bench/RESULTS.md
 * "Relay cost"); the slab remembers that socket and, once emptied, is parked until the socket has no write pending
 * (or is destroyed) before the pool may hand it out again.
 */
import { replaySlabs, type SlabPool } from './slab-pool.js'

/** Messages above this get a buffer of their own rather than a slab's remainder. */
const OWN_BUFFER_FRACTION = 4
/** Dropped entries are compacted away once they are this many and half the arrays. */
const COMPACT_AFTER = 256
/** Entry arrays longer than this are replaced once the log empties (an idle session keeps at most this many slots). */
const SHRINK_ABOVE = 512
/** Slots a log starts with: a second of 20 ms audio chunks, and room to spare. */
const INITIAL_SLOTS = 64

/** What the log needs to know of a socket a frame was written to from a slab: whether it may still read it. */
export interface SlabReader {
  readonly writableLength: number
  readonly destroyed: boolean
}

interface Slab {
  readonly buffer: Buffer
  /** Entries kept in it. */
  live: number
  /** From the pool (given back when empty), or a large message's own buffer. */
  readonly pooled: boolean
  /** Sockets frames were written to straight from this slab: it goes back to the pool only once they have sent them. */
  readers: SlabReader[] | undefined
}

/** A copy of `array` with room for `slots` entries. */
function grown<T extends Int32Array | Uint8Array | Float64Array> (array: T, slots: number): T {
  const bigger = new (array.constructor as new (length: number) => T)(slots)
  bigger.set(array)
  return bigger
}

/** What a slot no entry uses holds: a dropped entry must not keep its buffer (a large message's own) alive. */
const NO_SLAB: Slab = { buffer: Buffer.alloc(0), live: 0, pooled: false, readers: undefined }

/** Every socket written from `slab` has sent what it was given (or will never send it): its memory may be reused. */
function unread (slab: Slab): boolean {
  const readers = slab.readers
  if (readers === undefined) return true
  for (const reader of readers) if (!reader.destroyed && reader.writableLength > 0) return false
  return true
}

export class ReplayLog {
  readonly #pool: SlabPool
  readonly #ownBufferBytes: number
  /** The slab new small messages go into. */
  #current: Slab | undefined = undefined
  #currentUsed = 0
  // Entry i (from #head, before #end) is #slab[i].buffer.subarray(#offset[i], #offset[i] + #length[i]). The arrays
  // are written by index and kept while the session lasts: a log fills and empties every second or so, and arrays
  // rebuilt each time would be garbage that lives that long, promoted into the old generation. All but #slab are typed
  // arrays: V8's marker never walks them, and at hundreds of sessions JS arrays of a second of entries each were a
  // seventh of the heap it walks several times a second (bench/RESULTS.md "Relay cost").
  #slab: Slab[] = []
  #offset = new Int32Array(INITIAL_SLOTS)
  #length = new Int32Array(INITIAL_SLOTS)
  #binary = new Uint8Array(INITIAL_SLOTS)
  /** When each entry was written to the current upstream (0: not yet). */
  #sentAt = new Float64Array(INITIAL_SLOTS)
  #head = 0
  #end = 0
  #bytes = 0
  /** Emptied slabs a socket may still be sending from: given back once it has (checked when a slab is taken). */
  #parked: Slab[] = []

  constructor (pool: SlabPool = replaySlabs) {
    this.#pool = pool
    this.#ownBufferBytes = pool.slabBytes / OWN_BUFFER_FRACTION
  }

  get size (): number { return this.#end - this.#head }
  get bytes (): number { return this.#bytes }

  /**
   * Keep `data`; returns the kept copy. With `room` (a frame header's size and the socket it goes to), the copy is also
   * the frame's: `room` bytes are left free before it and are part of what is returned, for the caller to fill the
   * header in and write as it is, without copying the payload again; the slab is then not reused until the socket has
   * sent it. Without `room`, the view is the entry's, valid as `data` says.
   */
  push (data: Buffer, binary: boolean, room?: { readonly headerBytes: number, readonly reader: SlabReader }): Buffer {
    const length = data.length
    const headerBytes = room?.headerBytes ?? 0
    let slab: Slab
    let offset = headerBytes
    if (length > this.#ownBufferBytes) {
      slab = { buffer: Buffer.allocUnsafeSlow(headerBytes + length), live: 0, pooled: false, readers: undefined }
    } else {
      if (this.#current === undefined || this.#currentUsed + headerBytes + length > this.#pool.slabBytes) {
        this.#retireCurrent()
        if (this.#parked.length > 0) this.#unpark()
        this.#current = { buffer: this.#pool.take(), live: 0, pooled: true, readers: undefined }
        this.#currentUsed = 0
      }
      slab = this.#current
      offset = this.#currentUsed + headerBytes
      this.#currentUsed = offset + length
      if (room !== undefined) {
        const readers = (slab.readers ??= [])
        if (!readers.includes(room.reader)) readers.push(room.reader)
      }
    }
    data.copy(slab.buffer, offset)
    slab.live++
    const at = this.#end++
    if (at === this.#offset.length) this.#grow()
    this.#slab[at] = slab
    this.#offset[at] = offset
    this.#length[at] = length
    this.#binary[at] = binary ? 1 : 0
    this.#sentAt[at] = 0
    this.#bytes += length
    return slab.buffer.subarray(offset - headerBytes, offset + length)
  }

  /** Entry `i` (0: the oldest kept), as a view valid until the entry is dropped: to look inside, never to hand on. */
  data (i: number): Buffer {
    const at = this.#head + i
    const offset = this.#offset[at] as number
    return (this.#slab[at] as Slab).buffer.subarray(offset, offset + (this.#length[at] as number))
  }

  /** Entry `i`, copied: to send (replays and frames held during a dial are rare, so the copy costs nothing steady). */
  copy (i: number): Buffer {
    return Buffer.from(this.data(i))
  }

  binary (i: number): boolean { return this.#binary[this.#head + i] === 1 }
  sentAt (i: number): number { return i < this.size ? this.#sentAt[this.#head + i] as number : 0 }
  setSentAt (i: number, time: number): void { if (i < this.size) this.#sentAt[this.#head + i] = time }

  /** Let the oldest `n` entries go. */
  dropFront (n: number): void {
    const count = Math.min(n, this.size)
    for (let i = 0; i < count; i++) {
      const at = this.#head + i
      this.#bytes -= this.#length[at] as number
      this.#release(this.#slab[at] as Slab)
      this.#slab[at] = NO_SLAB
    }
    this.#head += count
    if (this.#head === this.#end) {
      this.#clear()
    } else if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#end) {
      this.#compact((_i) => true)
    }
  }

  /** Keep only the entries `keep` accepts (by index from the oldest), each marked unsent. Returns how many are kept. */
  retain (keep: (i: number) => boolean): number {
    this.#compact(keep)
    for (let at = this.#head; at < this.#end; at++) this.#sentAt[at] = 0
    return this.size
  }

  #compact (keep: (i: number) => boolean): void {
    let kept = 0
    const n = this.size
    for (let i = 0; i < n; i++) {
      const from = this.#head + i
      if (!keep(i)) {
        this.#bytes -= this.#length[from] as number
        this.#release(this.#slab[from] as Slab)
        continue
      }
      this.#slab[kept] = this.#slab[from] as Slab
      this.#offset[kept] = this.#offset[from] as number
      this.#length[kept] = this.#length[from] as number
      this.#binary[kept] = this.#binary[from] as number
      this.#sentAt[kept] = this.#sentAt[from] as number
      kept++
    }
    for (let at = kept; at < this.#end; at++) this.#slab[at] = NO_SLAB
    this.#head = 0
    this.#end = kept
    if (kept === 0) this.#clear()
  }

  /** The session is over: every slab goes back to the pool (the log is empty after). */
  close (): void {
    this.dropFront(this.size)
    this.#retireCurrent()
    // A socket still sending from a parked slab holds it; the pool must not hand it out, so it is left to the GC.
    if (this.#parked.length > 0) this.#unpark()
    this.#parked = []
  }

  /** Twice the slots, entries kept. */
  #grow (): void {
    const slots = this.#offset.length * 2
    this.#offset = grown(this.#offset, slots)
    this.#length = grown(this.#length, slots)
    this.#binary = grown(this.#binary, slots)
    this.#sentAt = grown(this.#sentAt, slots)
  }

  /** One entry of `slab` went: an emptied slab no longer written to goes back to the pool. */
  #release (slab: Slab): void {
    slab.live--
    if (slab.live === 0 && slab !== this.#current && slab.pooled) this.#giveBack(slab)
  }

  /** Stop writing to the current slab; back to the pool if nothing in it is kept. */
  #retireCurrent (): void {
    const current = this.#current
    this.#current = undefined
    if (current !== undefined && current.live === 0) this.#giveBack(current)
  }

  #giveBack (slab: Slab): void {
    if (unread(slab)) this.#pool.give(slab.buffer)
    else this.#parked.push(slab)
  }

  /** Parked slabs every socket has finished sending from go back to the pool. */
  #unpark (): void {
    const still: Slab[] = []
    for (const slab of this.#parked) {
      if (unread(slab)) this.#pool.give(slab.buffer)
      else still.push(slab)
    }
    this.#parked = still
  }

  #clear (): void {
    // Arrays grown far past a second of audio (a long monologue before a handle, a replay) are let go.
    if (this.#offset.length > SHRINK_ABOVE) {
      this.#slab = []
      this.#offset = new Int32Array(INITIAL_SLOTS)
      this.#length = new Int32Array(INITIAL_SLOTS)
      this.#binary = new Uint8Array(INITIAL_SLOTS)
      this.#sentAt = new Float64Array(INITIAL_SLOTS)
    }
    this.#head = 0
    this.#end = 0
    this.#bytes = 0
    // An idle session holds no slab.
    this.#retireCurrent()
  }
}
