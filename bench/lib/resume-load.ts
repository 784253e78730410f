/**
 * @module bench/lib/resume-load
 * The audio load of bench/lib/audio-load.ts (16 kHz PCM, 20 ms chunks, 50 frames/s per session, open loop, phases
 * spread, each chunk stamped with session and sequence number), kept per session for the resumption benchmark:
 * which frames came back, which came back twice, and when each echo arrived, so that the gaps in each session's echo
 * stream (what a player would hear as a pause) can be read off.
 */
import { performance } from 'node:perf_hooks'
import type WebSocket from 'ws'
import { FRAME_INTERVAL_MS, PCM_BYTES } from './audio-load.js'

const STAMP_BYTES = 12
const MARKER = Buffer.from(Buffer.from('BEN').toString('base64'))
const STAMP_CHARS = (STAMP_BYTES / 3) * 4
const PREFIX = '{"realtimeInput":{"audio":{"mimeType":"audio/pcm;rate=16000","data":"'
const SUFFIX = '"}}}'
const TEXT = { binary: false } as const
const TEMPLATE = Buffer.from(PREFIX + Buffer.alloc(PCM_BYTES).toString('base64') + SUFFIX, 'latin1')
const STAMP_OFFSET = PREFIX.length

export interface ResumeLoadOptions {
  durationMs: number
  /** Round trips of frames sent in this first part are left out of the RTT statistics. */
  warmupMs: number
  /** After the last send, wait for missing echoes until none came for this long. Default 5 s. */
  drainMs?: number
  /** Called when the last frame has been sent (before the drain). */
  onSent?: () => void
}

export interface ResumeLoadResult {
  sessions: number
  sent: number
  /** Distinct frames echoed back. */
  received: number
  /** Sent, never echoed (no echo at all came for the drain time after the last send). */
  lost: number
  /** Echoes of a frame that had already come back. */
  duplicates: number
  /** Echoes with a stamp of another session (a relay bug if ever non-zero). */
  misrouted: number
  /** Round trips (ms) of the frames sent after the warm-up. */
  rtts: Float64Array
  /** Every gap (ms) between two consecutive echoes of one session, all sessions, from the first echo to the last. */
  gaps: Float64Array
  wallMs: number
}

export async function runResumeLoad (sockets: readonly WebSocket[], options: ResumeLoadOptions): Promise<ResumeLoadResult> {
  const n = sockets.length
  const perSession = Math.floor(options.durationMs / FRAME_INTERVAL_MS)
  const total = n * perSession
  const sentAt = new Float64Array(total).fill(-1)
  const echoed = new Uint8Array(total)
  const rtts = new Float64Array(total)
  const gaps = new Float64Array(total)
  const lastEcho = new Float64Array(n).fill(-1)
  let rttCount = 0
  let gapCount = 0
  let received = 0
  let duplicates = 0
  let misrouted = 0
  let start = 0
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
      if (from !== session || seq >= perSession) {
        misrouted++
        return
      }
      const k = seq * n + from
      if (echoed[k] === 1) {
        duplicates++
        return
      }
      echoed[k] = 1
      received++
      const sent = sentAt[k] as number
      if (sent >= start + options.warmupMs) rtts[rttCount++] = now - sent
      const last = lastEcho[session] as number
      if (last >= 0 && gapCount < gaps.length) gaps[gapCount++] = now - last
      lastEcho[session] = now
      if (received === total) allEchoed?.()
    }
    ws.on('message', onMessage)
    return onMessage
  })

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
        sentAt[k] = performance.now()
        ;(sockets[session] as WebSocket).send(frame, TEXT)
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
  options.onSent?.()
  // A frame still queued somewhere is late, not lost: wait until every echo came or none came for drainMs.
  const drainMs = options.drainMs ?? 5_000
  while (received < total) {
    const before = received
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, drainMs)
      allEchoed = () => { clearTimeout(timer); resolve() }
    })
    if (received === before) break
  }
  const wallMs = performance.now() - start
  sockets.forEach((ws, i) => { ws.off('message', listeners[i] as (data: Buffer) => void) })
  return {
    sessions: n,
    sent: total,
    received,
    lost: total - received,
    duplicates,
    misrouted,
    rtts: rtts.slice(0, rttCount),
    gaps: gaps.slice(0, gapCount),
    wallMs,
  }
}
