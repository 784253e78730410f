/**
 * @module bench/lib/render-sessions
 * Sessions that keep the renderer busy: each one asks for `render <tag>` with a new tag (a new chart title, so a
 * cache miss and a real render), waits for the model's `turnComplete`, and asks again, until stopped. With K such
 * sessions, K renders are in flight at once (less the short gaps between turns).
 */
import { performance } from 'node:perf_hooks'
import type WebSocket from 'ws'

const TURN_COMPLETE = Buffer.from('turnComplete')
const TURN_TIMEOUT_MS = 60_000

export function userText (text: string): string {
  return JSON.stringify({ clientContent: { turns: [{ role: 'user', parts: [{ text }] }], turnComplete: true } })
}

/** Send one text turn and resolve with its duration (ms) when the model's `turnComplete` arrives. */
export async function textTurn (ws: WebSocket, text: string): Promise<number> {
  const started = performance.now()
  return await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => { done(new Error(`no turnComplete within ${TURN_TIMEOUT_MS} ms for "${text}"`)) }, TURN_TIMEOUT_MS)
    function onMessage (data: Buffer): void {
      if (data.indexOf(TURN_COMPLETE) !== -1) done(undefined)
    }
    function onClose (code: number): void { done(new Error(`session closed (${code}) during "${text}"`)) }
    function done (err: Error | undefined): void {
      clearTimeout(timer)
      ws.off('message', onMessage)
      ws.off('close', onClose)
      if (err === undefined) resolve(performance.now() - started)
      else reject(err)
    }
    ws.on('message', onMessage)
    ws.on('close', onClose)
    ws.send(userText(text))
  })
}

export interface RenderLoad {
  /** Stop asking; resolves with each finished render turn's duration (ms) once the turns in flight are done. */
  stop (): Promise<number[]>
}

/** Start every socket looping on `render <prefix>-<session>-<n>`. */
export function startRenderLoad (sockets: readonly WebSocket[], prefix: string): RenderLoad {
  let stopping = false
  const durations: number[] = []
  const loops = sockets.map(async (ws, s) => {
    for (let n = 0; !stopping; n++) durations.push(await textTurn(ws, `render ${prefix}-${s}-${n}`))
  })
  return {
    async stop () {
      stopping = true
      await Promise.all(loops)
      return durations
    },
  }
}
