/**
 * @module bench/lib/live-client
 * Opening Gemini Live sessions the way a browser client does: dial, send `setup` as a text frame, wait for
 * `setupComplete`. Used by the load client against the simulator directly, the bare relay and livegate alike.
 */
import WebSocket from 'ws'

/** The GA model, for audio sessions (it answers in audio only). */
export const BENCH_MODEL = 'models/gemini-3.8-live'
/** A current model that can also answer in text. */
export const BENCH_TEXT_MODEL = 'models/gemini-3.1-flash-live-preview'
export const SETUP_TIMEOUT_MS = 30_000
const SETUP_COMPLETE = Buffer.from('setupComplete')

export function audioSetup (): Record<string, unknown> {
  return { setup: { model: BENCH_MODEL, generationConfig: { responseModalities: ['AUDIO'] } } }
}

export function textSetup (): Record<string, unknown> {
  return { setup: { model: BENCH_TEXT_MODEL, generationConfig: { responseModalities: ['TEXT'] } } }
}

/** `ws://host:port` + Google's v1beta Live path + `?key=`. */
export function liveUrl (origin: string, key: string): string {
  const base = origin.replace(/^http/, 'ws').replace(/\/+$/, '')
  return `${base}/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent?key=${encodeURIComponent(key)}`
}

export async function openSession (url: string, setup: Record<string, unknown>): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 })
  return await new Promise<WebSocket>((resolve, reject) => {
    const timer = setTimeout(() => { fail(new Error(`no setupComplete within ${SETUP_TIMEOUT_MS} ms`)) }, SETUP_TIMEOUT_MS)
    function fail (err: Error): void {
      clearTimeout(timer)
      ws.removeAllListeners()
      ws.on('error', () => {})
      ws.terminate()
      reject(err)
    }
    ws.once('open', () => { ws.send(JSON.stringify(setup)) })
    ws.on('message', function onSetup (data: Buffer) {
      if (data.indexOf(SETUP_COMPLETE) === -1) return
      clearTimeout(timer)
      ws.removeAllListeners()
      ws.on('error', () => {})
      resolve(ws)
    })
    ws.once('error', (err) => { fail(err) })
    ws.once('close', (code, reason) => { fail(new Error(`closed before setupComplete: ${code} ${reason.toString()}`)) })
  })
}

/** Open `n` sessions, at most `concurrency` dialing at once (a burst of 500 upgrades is not what is measured). */
export async function openSessions (url: string, n: number, setup: Record<string, unknown>, concurrency = 50): Promise<WebSocket[]> {
  const sockets: WebSocket[] = []
  let next = 0
  async function worker (): Promise<void> {
    while (next < n) {
      next++
      sockets.push(await openSession(url, setup))
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker))
  } catch (err) {
    closeSessions(sockets).catch(() => {})
    throw err
  }
  return sockets
}

/** Close every socket with 1000 and wait for the close handshakes (terminating stragglers after 5 s). */
export async function closeSessions (sockets: readonly WebSocket[]): Promise<void> {
  await Promise.all(sockets.map(async (ws) => {
    if (ws.readyState === WebSocket.CLOSED) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { ws.terminate() }, 5_000)
      ws.once('close', () => { clearTimeout(timer); resolve() })
      ws.close(1000, 'bench done')
    })
  }))
}
