/**
 * @module bench/lib/echo-loop
 * A fixed amount of work, not a fixed time: every session sends `frames` stamped audio chunks, each only after the
 * echo of the previous one came back (one in flight per session, as at 50 frames/s each socket carries one frame at a
 * time). The count of frames a relay handles is then the same in every run, whatever the machine's load, so
 * instruction and syscall counts per frame can be compared across relays on a busy host.
 */
import type WebSocket from 'ws'
import { ECHO_MARKER, stampedFrame } from './audio-load.js'

const TEXT = { binary: false } as const

export interface EchoLoopResult {
  /** Round trips completed (frames sent and echoed). */
  roundTrips: number
  wallMs: number
}

/** Resolves when every session has had `frames` echoes, or rejects after `timeoutMs`. */
export async function runEchoLoop (sockets: readonly WebSocket[], frames: number, timeoutMs: number): Promise<EchoLoopResult> {
  const started = Date.now()
  let done = 0
  let roundTrips = 0
  return await new Promise<EchoLoopResult>((resolve, reject) => {
    const listeners: Array<(data: Buffer) => void> = []
    const timer = setTimeout(() => {
      finish()
      reject(new Error(`echo loop: ${roundTrips} of ${sockets.length * frames} round trips within ${timeoutMs} ms`))
    }, timeoutMs)
    function finish (): void {
      clearTimeout(timer)
      sockets.forEach((ws, i) => { ws.off('message', listeners[i] as (data: Buffer) => void) })
    }
    sockets.forEach((ws, session) => {
      let seq = 0
      const onMessage = (data: Buffer): void => {
        if (data.indexOf(ECHO_MARKER) === -1) return
        roundTrips++
        seq++
        if (seq < frames) {
          ws.send(stampedFrame(session, seq), TEXT)
          return
        }
        done++
        if (done === sockets.length) {
          finish()
          resolve({ roundTrips, wallMs: Date.now() - started })
        }
      }
      listeners.push(onMessage)
      ws.on('message', onMessage)
    })
    sockets.forEach((ws, session) => { ws.send(stampedFrame(session, 0), TEXT) })
  })
}
