/**
 * @module simulator/server
 * `startSimulator()`: a plain `http` server whose upgrades on Google's Live paths become simulated sessions.
 * Any other path gets 404 before the upgrade, as Google's front end does. A refused caller gets the upgrade and then
 * the close frame with the reason (reference §1.1), never an HTTP error.
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { CLOSE_GOING_AWAY } from '../live/protocol.js'
import { Connection, type ConnectionDeps } from './connection.js'
import { parseLiveTarget, readCredential, refuseCaller, type LiveTarget } from './handshake.js'
import { DEFAULT_MODELS } from './reasons.js'
import { HandleStore } from './resumption.js'
import { seedScript } from './seed.js'
import { clipForLog } from './log-text.js'
import type { Simulator, SimulatorConnection, SimulatorLogger, SimulatorOptions } from './types.js'

/** 10 minutes: Gemini's connection lifetime (ai.google.dev session-management). */
export const DEFAULT_CONNECTION_AGE_MS = 10 * 60 * 1000
/** `goAway{timeLeft:"50s"}` as observed (kizuna-ai-lab/sokuji#179). */
export const DEFAULT_GO_AWAY_NOTICE_MS = 50 * 1000
const DEFAULT_CHUNK_DELAY_MS = 20
/** Largest client frame accepted: 16 MiB. */
const MAX_FRAME_BYTES = 16 * 1024 * 1024
/** Closed connections kept in `connections` for inspection by default; older ones are dropped (a long-running demo). */
const MAX_CLOSED_CONNECTIONS = 1_000

const SILENT: SimulatorLogger = { info () {}, warn () {}, debug () {} }

function resolveDeps (options: SimulatorOptions, handles: HandleStore, isOpen: (id: number) => boolean): ConnectionDeps {
  const connectionAgeMs = options.connectionAgeMs ?? DEFAULT_CONNECTION_AGE_MS
  return {
    script: options.script ?? seedScript,
    chunkDelayMs: Math.max(0, options.chunkDelayMs ?? DEFAULT_CHUNK_DELAY_MS),
    models: (options.models ?? DEFAULT_MODELS).map((m) => m.replace(/^models\//, '')),
    connectionAgeMs,
    goAwayNoticeMs: Math.min(options.goAwayNoticeMs ?? DEFAULT_GO_AWAY_NOTICE_MS, connectionAgeMs),
    echo: options.echo === true,
    pongDelayMs: Math.max(0, options.pongDelayMs ?? 0),
    handles,
    isOpen,
    log: options.logger ?? SILENT,
  }
}

export async function startSimulator (options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1'
  const connections: Connection[] = []
  const waiting: Array<(c: SimulatorConnection) => void> = []
  const handles = new HandleStore(Date.now, options.handleTtlMs)
  const deps = resolveDeps(options, handles, (id) => connections.some((c) => c.id === id && c.open))
  let nextId = 1

  const http = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json; charset=UTF-8' })
    res.end(JSON.stringify({ error: { code: 404, message: 'Not Found', status: 'NOT_FOUND' } }))
  })
  const wss = new WebSocketServer({
    noServer: true, perMessageDeflate: false, maxPayload: MAX_FRAME_BYTES, autoPong: deps.pongDelayMs === 0,
  })

  function accept (ws: WebSocket, req: IncomingMessage, target: LiveTarget): void {
    const credential = readCredential(target.query, req.headers)
    const connection = new Connection(ws, {
      id: nextId++,
      path: target.path,
      apiVersion: target.apiVersion,
      ...(target.api === 'vertex' && options.vertex !== undefined ? { vertex: options.vertex } : {}),
      credential: credential?.value,
      headers: req.headers,
    }, deps)
    connections.push(connection)
    void connection.closed.then(() => { prune() })
    deps.log.debug({ connection: connection.id, path: clipForLog(target.path) }, 'simulator: connection accepted')
    const refusal = refuseCaller(target, credential, options.apiKeys, options.vertex?.accessTokens)
    if (refusal !== undefined) connection.fail(refusal)
    else connection.startClock()
    waiting.shift()?.(connection)
  }

  const keepClosed = Math.max(0, options.keepClosedConnections ?? MAX_CLOSED_CONNECTIONS)
  function prune (): void {
    const closed = connections.filter((c) => !c.open)
    for (const c of closed.slice(0, Math.max(0, closed.length - keepClosed))) {
      connections.splice(connections.indexOf(c), 1)
    }
  }

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const target = parseLiveTarget(req.url ?? '')
    // Vertex's path exists only on Vertex's host: a Gemini-only simulator answers 404 for it, as Google would.
    if (target === undefined || (target.api === 'vertex' && options.vertex === undefined)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => { accept(ws, req, target) })
  })

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.port ?? 0, host, () => {
      http.off('error', reject)
      resolve()
    })
  })
  const port = (http.address() as AddressInfo).port
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  deps.log.debug({ url, echo: deps.echo }, 'simulator: listening')

  return {
    url,
    port,
    connections,
    async nextConnection (): Promise<SimulatorConnection> {
      return await new Promise((resolve) => { waiting.push(resolve) })
    },
    async close (): Promise<void> {
      const open = connections.filter((c) => c.open)
      for (const c of open) c.close(CLOSE_GOING_AWAY, 'The service is shutting down.')
      await Promise.race([
        Promise.all(open.map(async (c) => await c.closed)),
        new Promise((resolve) => setTimeout(resolve, 1000).unref()),
      ])
      for (const client of wss.clients) client.terminate()
      await new Promise<void>((resolve) => { wss.close(() => { resolve() }) })
      http.closeAllConnections()
      await new Promise<void>((resolve) => { http.close(() => { resolve() }) })
    },
  }
}
