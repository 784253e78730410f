/**
 * A raw `ws` client in the seed notebook's style: it reads every frame, keeps them in order, and can wait for one.
 */
import { once } from 'node:events'
import WebSocket, { type ClientOptions } from 'ws'

export interface ClientFrame {
  readonly data: Buffer
  readonly binary: boolean
  readonly json: Record<string, unknown> | undefined
}

export interface TestClient {
  readonly ws: WebSocket
  readonly frames: ClientFrame[]
  send (message: unknown, options?: { binary?: boolean }): void
  /** Resolves with the first frame (seen or future) matching the predicate. */
  waitFor (predicate: (frame: ClientFrame) => boolean, timeoutMs?: number): Promise<ClientFrame>
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number, reason: string }>
}

export async function connect (url: string, options: ClientOptions = {}): Promise<TestClient> {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...options })
  const frames: ClientFrame[] = []
  const waiters = new Set<{ predicate: (f: ClientFrame) => boolean, resolve: (f: ClientFrame) => void }>()
  const closed = new Promise<{ code: number, reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))
  })
  ws.on('error', () => {})
  ws.on('message', (data: Buffer, binary: boolean) => {
    let json: Record<string, unknown> | undefined
    try { json = JSON.parse(data.toString()) as Record<string, unknown> } catch { json = undefined }
    const frame = { data, binary, json }
    frames.push(frame)
    for (const waiter of waiters) {
      if (waiter.predicate(frame)) {
        waiters.delete(waiter)
        waiter.resolve(frame)
      }
    }
  })
  await Promise.race([once(ws, 'open'), closed.then(() => undefined)])
  return {
    ws,
    frames,
    closed,
    send (message, sendOptions = {}) {
      const text = typeof message === 'string' ? message : JSON.stringify(message)
      ws.send(sendOptions.binary === true ? Buffer.from(text) : text, { binary: sendOptions.binary === true })
    },
    waitFor (predicate, timeoutMs = 5000) {
      const seen = frames.find(predicate)
      if (seen !== undefined) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const waiter = { predicate, resolve: (f: ClientFrame) => { clearTimeout(timer); resolve(f) } }
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          reject(new Error(`no matching frame within ${timeoutMs} ms; got ${frames.length} frames: ${frames.map((f) => Object.keys(f.json ?? {}).join('+')).join(', ')}`))
        }, timeoutMs)
        waiters.add(waiter)
      })
    },
  }
}

/** Connect, send `setup`, and resolve once `setupComplete` has arrived. */
export async function openLive (url: string, setup: unknown, options: ClientOptions = {}): Promise<TestClient> {
  const client = await connect(url, options)
  client.send(setup)
  await client.waitFor(hasKey('setupComplete'))
  return client
}

/** A typed user turn, as the seed notebook sends it (snake_case `client_content`). */
export function say (client: TestClient, text: string): void {
  client.send({ client_content: { turns: [{ role: 'user', parts: [{ text }] }], turn_complete: true } })
}

/** The text of a `serverContent.modelTurn` frame, or ''. */
export function textOf (frame: ClientFrame): string {
  const content = frame.json?.serverContent as { modelTurn?: { parts?: Array<{ text?: string }> } } | undefined
  return content?.modelTurn?.parts?.map((p) => p.text ?? '').join('') ?? ''
}

export function hasKey (key: string): (frame: ClientFrame) => boolean {
  return (frame) => frame.json !== undefined && key in frame.json
}

export function isTurnComplete (frame: ClientFrame): boolean {
  const content = frame.json?.serverContent as { turnComplete?: boolean } | undefined
  return content?.turnComplete === true
}
