/**
 * @module bench/lib/audio-load
 * The audio load: every session sends 16 kHz PCM in 20 ms chunks (640 bytes, base64 in a `realtimeInput.audio`
 * text frame) at 50 frames/s, open loop (on schedule, never waiting for echoes), with the sessions' phases spread
 * evenly over the 20 ms. Each chunk starts with a stamp (`BEN`, session index, sequence number), so the echo the
 * simulator sends back (the same base64 in `inlineData`) is matched to its send time without parsing JSON.
 *
 * Round trips are measured from just before `send()` to the echo's `message` event, both in this process, so the
 * load client's own event-loop delay is part of every sample, for every target alike.
 */
import { performance } from 'node:perf_hooks'
import type WebSocket from 'ws'

export const PCM_BYTES = 640
export const FRAME_INTERVAL_MS = 20
const STAMP_BYTES = 12
/** base64 of `BEN`: the first 4 characters of every stamped chunk. */
const MARKER = Buffer.from(Buffer.from('BEN').toString('base64'))
const STAMP_CHARS = (STAMP_BYTES / 3) * 4
const PREFIX = '{"realtimeInput":{"audio":{"mimeType":"audio/pcm;rate=16000","data":"'
const SUFFIX = '"}}}'
const TEXT = { binary: false } as const

/** The frame template: silence after the stamp, so the simulator's VAD never hears a turn. */
const TEMPLATE = Buffer.from(PREFIX + Buffer.alloc(PCM_BYTES).toString('base64') + SUFFIX, 'latin1')
const STAMP_OFFSET = PREFIX.length
/** In every echo of a stamped chunk (the simulator returns the same base64). */
export const ECHO_MARKER = MARKER

/** The chunk `seq` of `session`, as the open-loop load sends it (a fresh buffer: ws may keep it queued). */
export function stampedFrame (session: number, seq: number): Buffer {
  const stamp = Buffer.alloc(STAMP_BYTES)
  stamp.write('BEN', 0, 'latin1')
  stamp.writeUInt32BE(session, 3)
  stamp.writeUInt32BE(seq, 7)
  const frame = Buffer.allocUnsafe(TEMPLATE.length)
  TEMPLATE.copy(frame)
  frame.write(stamp.toString('base64'), STAMP_OFFSET, 'latin1')
  return frame
}

export interface AudioLoadOptions {
  /** How long the sessions send. */
  durationMs: number
  /** Samples of frames sent in this first part are counted but left out of the latency statistics. */
  warmupMs: number
  /** After the last send, how long to wait with no echo coming before the missing ones count as lost. Default 3 s. */
  drainMs?: number
}

export interface AudioLoadResult {
  sessions: number
  /** Round trips (ms) of frames sent after the warm-up. */
  rtts: Float64Array
  sent: number
  received: number
  /** Sent but never echoed within the drain time. */
  lost: number
  /** Echoes that came back on another session's socket, or twice: a relay bug if ever non-zero. */
  misrouted: number
  /** How late sends went out against their schedule (ms): the load client's own saturation. */
  sendLag: Float64Array
  /** Wall time from the first send to the last echo (or the drain deadline). */
  wallMs: number
  /** CPU time this process used over that window (ms), for the caveat on a shared machine. */
  clientCpuMs: number
}

export async function runAudioLoad (sockets: readonly WebSocket[], options: AudioLoadOptions): Promise<AudioLoadResult> {
  const n = sockets.length
  const perSession = Math.floor(options.durationMs / FRAME_INTERVAL_MS)
  const total = n * perSession
  const sentAt = new Float64Array(total).fill(-1)
  const rtts = new Float64Array(total)
  const sendLag = new Float64Array(total)
  let rttCount = 0
  let received = 0
  let misrouted = 0
  let start = 0
  const warmupEnd = (): number => start + options.warmupMs
  const stamp = Buffer.alloc(STAMP_BYTES)
  stamp.write('BEN', 0, 'latin1')

  let allEchoed: (() => void) | undefined
  const listeners = sockets.map((ws, session) => {
    const onMessage = (data: Buffer): void => {
      const now = performance.now()
      const at = data.indexOf(MARKER)
      if (at === -1) return
      const decoded = Buffer.from(data.toString('latin1', at + MARKER.length, at + STAMP_CHARS), 'base64')
      const from = decoded.readUInt32BE(0)
      const seq = decoded.readUInt32BE(4)
      const k = seq * n + from
      const sent = from === session && seq < perSession ? sentAt[k] as number : -1
      if (sent < 0) {
        misrouted++
        return
      }
      sentAt[k] = -2
      received++
      if (sent >= warmupEnd()) rtts[rttCount++] = now - sent
      if (received === total) allEchoed?.()
    }
    ws.on('message', onMessage)
    return onMessage
  })

  const cpuBefore = process.cpuUsage()
  start = performance.now() + 5
  const step = FRAME_INTERVAL_MS / n
  let k = 0
  await new Promise<void>((resolve) => {
    function tick (): void {
      const now = performance.now()
      while (k < total) {
        const due = start + k * step
        if (due > now) break
        const session = k % n
        const seq = (k - session) / n
        stamp.writeUInt32BE(session, 3)
        stamp.writeUInt32BE(seq, 7)
        const frame = Buffer.allocUnsafe(TEMPLATE.length)
        TEMPLATE.copy(frame)
        frame.write(stamp.toString('base64'), STAMP_OFFSET, 'latin1')
        const ws = sockets[session] as WebSocket
        const t = performance.now()
        sentAt[k] = t
        sendLag[k] = t - due
        ws.send(frame, TEXT)
        k++
      }
      if (k >= total) {
        resolve()
        return
      }
      setTimeout(tick, Math.max(0, start + k * step - performance.now() - 0.5))
    }
    setTimeout(tick, 5)
  })
  // A frame still queued somewhere (an overloaded host queues seconds of them) is late, not lost: wait until every
  // echo came or none came for drainMs, as lib/resume-load.ts does. Its lateness is in the RTT percentiles.
  const drainMs = options.drainMs ?? 3_000
  while (received < total) {
    const before = received
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, drainMs)
      allEchoed = () => { clearTimeout(timer); resolve() }
    })
    if (received === before) break
  }
  const wallMs = performance.now() - start
  const cpu = process.cpuUsage(cpuBefore)
  sockets.forEach((ws, i) => { ws.off('message', listeners[i] as (data: Buffer) => void) })
  return {
    sessions: n,
    rtts: rtts.slice(0, rttCount),
    sent: total,
    received,
    lost: total - received,
    misrouted,
    sendLag: sendLag.slice(Math.ceil(options.warmupMs / step)),
    wallMs,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
  }
}
