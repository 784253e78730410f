/**
 * @module live/frame-writer
 * Relayed data frames go out as one write of header and payload together. ws frames a Buffer as two chunks (header,
 * payload) and writes them corked, so every relayed frame takes Node's buffered-write path (`cork`, two `write`s,
 * `uncork`, `_writev`, a write request per batch) where one small copy and one `write` do: the copy of a frame of a
 * few KB costs less than that machinery, and a bare ws relay pays it only on the server side (its masked client
 * frames are merged). The bytes on the wire are exactly what `ws.send` would write (RFC 6455 §5.2: FIN set, RSV clear,
 * shortest length form, the mask key when the socket is a client's); only the number of syscall buffers differs.
 *
 * A frame is handed to ws itself whenever this module could not write it the same way: a socket not open (ws reports
 * the error), a masking key that is not all zeros (mode `ws`: ws masks into its own merged copy), a payload above
 * `MERGE_MAX_BYTES` (copying would cost more than the corked write), or a ws whose sender is queueing (it only does
 * for permessage-deflate and Blob data, neither used here, but a frame must never overtake one queued before it).
 */
import type { Duplex } from 'node:stream'
import WebSocket from 'ws'

/** Above this a payload is written by ws as header + payload (no copy). */
export const MERGE_MAX_BYTES = 16 * 1024

const OPCODE_TEXT = 0x01
const OPCODE_BINARY = 0x02
const FIN = 0x80
const MASK_BIT = 0x80

/** The parts of ws's WebSocket this module relies on, beyond its public API (ws 8: lib/websocket.js, lib/sender.js). */
interface WsInternals {
  _socket?: Duplex | null
  _sender?: { _state?: number } | null
}

/**
 * How frames to a socket are written: `unmasked` (a server's socket: no key), `zero-key` (a client's socket whose
 * masking key is all zeros: live/upstream.ts says when), `ws` (ws frames them, e.g. with a random key).
 */
export type FrameMode = 'unmasked' | 'zero-key' | 'ws'

/**
 * ws's `generateMask` for a client socket that masks with the all-zero key (RFC 6455 §5.3 asks for a random one; see
 * live/upstream.ts for where none is needed). ws then skips the XOR, and `zero-key` frames carry the same key.
 */
export function zeroMask (mask: Buffer): void {
  mask[0] = mask[1] = mask[2] = mask[3] = 0
}

const BINARY = { binary: true } as const
const TEXT = { binary: false } as const

/**
 * Send one data frame (`binary`: opcode 2, else 1) with `data` as its payload, as `socket.send(data, { binary })`
 * would, in one write. `cb` as ws's send callback.
 */
export function sendFrame (socket: WebSocket, mode: FrameMode, data: Buffer, binary: boolean, cb?: (err?: Error) => void): void {
  const length = data.length
  const offset = framedHeaderBytes(socket, mode, length)
  if (offset === 0) {
    socket.send(data, binary ? BINARY : TEXT, cb)
    return
  }
  const frame = Buffer.allocUnsafe(offset + length)
  data.copy(frame, offset)
  sendFramed(rawSocketOf(socket) as Duplex, mode, frame, offset, binary, cb)
}

/**
 * The header size of a frame of `length` payload bytes that `sendFramed` can write to `socket` now, or 0 when it would
 * hand the frame to ws instead (the cases `sendFrame` hands on): the caller then sends the payload with `sendFrame`.
 */
export function framedHeaderBytes (socket: WebSocket, mode: FrameMode, length: number): number {
  if (mode === 'ws' || length === 0 || length > MERGE_MAX_BYTES || socket.readyState !== WebSocket.OPEN) return 0
  // A ws whose internals are not what this module knows (another major version) is left to frame its own.
  const internals = socket as unknown as WsInternals
  if (internals._socket === null || internals._socket === undefined || internals._sender?._state !== 0) return 0
  return headerBytesFor(mode, length)
}

/** Header size of a frame of `length` (≤ 65,535) payload bytes: 2, the 16-bit length form, the zero key's 4. */
function headerBytesFor (mode: FrameMode, length: number): number {
  return 2 + (length > 125 ? 2 : 0) + (mode === 'zero-key' ? 4 : 0)
}

/** The header of a frame of `length` payload bytes at the start of `frame`, `headerBytesFor(mode, length)` long. */
function writeHeader (frame: Buffer, mode: FrameMode, length: number, binary: boolean): void {
  frame[0] = FIN | (binary ? OPCODE_BINARY : OPCODE_TEXT)
  let at = 2
  if (length <= 125) frame[1] = length
  else {
    frame[1] = 126
    frame[2] = length >>> 8
    frame[3] = length & 0xff
    at = 4
  }
  if (mode === 'zero-key') {
    frame[1] |= MASK_BIT
    // XOR with the all-zero key leaves the payload as it is.
    frame[at] = frame[at + 1] = frame[at + 2] = frame[at + 3] = 0
  }
}

/** The socket under `socket` that frames are written to: what a slab written from must wait for (live/replay-log.ts). */
export function rawSocketOf (socket: WebSocket): Duplex | undefined {
  return (socket as unknown as WsInternals)._socket ?? undefined
}

/**
 * Send `room` as one data frame to `raw` (the `rawSocketOf` a socket `framedHeaderBytes` just sized it for, in the same
 * tick): its first `headerBytes` are free for the header, filled in here, and the rest is the payload. Written as it
 * is, no copy: the caller keeps `room` unchanged until the socket has sent it (live/replay-log.ts parks its slab).
 */
export function sendFramed (raw: Duplex, mode: FrameMode, room: Buffer, headerBytes: number, binary: boolean, cb?: (err?: Error) => void): void {
  writeHeader(room, mode, room.length - headerBytes, binary)
  // Node calls it with null on success where ws's type says undefined; ws hands it to the same write.
  raw.write(room, cb as ((err?: Error | null) => void) | undefined)
}
