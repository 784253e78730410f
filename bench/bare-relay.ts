/**
 * @module bench/bare-relay
 * The peer livegate is compared with: a bare `ws` relay that accepts a socket, dials the same upstream with the
 * client's path and query, and pipes `(data, isBinary)` both ways without parsing anything. No auth, no setup
 * rewrite, no tool interception, no backpressure, no logging: the floor a Node relay on `ws` can reach.
 *
 * Run alone: `node --import tsx bench/bare-relay.ts --upstream http://127.0.0.1:9000 [--port 0] [--like-livegate] [--fastify] [--merged]`; it prints
 * `{"ready":{"port":N}}` once listening. Not a benchmark itself: bench/run.ts skips it.
 */
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import websocket from '@fastify/websocket'
import Fastify from 'fastify'
import WebSocket, { WebSocketServer } from 'ws'
import { sendFrame, zeroMask } from '../src/live/frame-writer.js'

const BINARY = { binary: true } as const
const TEXT = { binary: false } as const
/** livegate's default LIVEGATE_HIGH_WATER_BYTES (1 MiB) and its tool-call marker, for the ablation. */
const HIGH_WATER_BYTES = 1024 * 1024
const MARKER = Buffer.from('"toolCall')
/** The same limit livegate applies by default (LIVEGATE_MAX_FRAME_BYTES, 8 MiB). */
export const MAX_PAYLOAD_BYTES = 8 * 1024 * 1024

export interface BareRelayOptions {
  /** `http://host:port` or `ws://host:port` of the upstream; the client's path and query are appended. */
  upstreamUrl: string
  /**
   * Ablation: do per frame what livegate's LiveSession does besides piping (a send callback, a `bufferedAmount`
   * check after each send, a marker scan of upstream frames, frame and byte counters), still without parsing, to
   * tell that per-frame work apart from everything else livegate's process carries.
   */
  perFrameLikeLivegate?: boolean
  /**
   * Ablation: write each frame as livegate does (src/live/frame-writer.ts: header and payload in one write, an all-zero
   * masking key upstream) instead of through `ws.send`.
   */
  mergedWrites?: boolean
  /** Ablation: accept clients through Fastify and @fastify/websocket (as livegate does) instead of a plain ws server. */
  fastify?: boolean
  host?: string
  port?: number
}

export interface BareRelay {
  readonly port: number
  close (): Promise<void>
}

/** 1005/1006 cannot be sent in a close frame; anything outside the sendable ranges becomes 1011. */
function sendable (code: number): number {
  if (code === 1005) return 1000
  if (code === 1006) return 1011
  return (code >= 1000 && code <= 1014 && code !== 1004) || (code >= 3000 && code <= 4999) ? code : 1011
}

/** The per-connection relay: dial `base + url` and pipe both ways. */
function createPipe (base: string, likeLivegate: boolean, merged: boolean) {
  return function relay (client: WebSocket, url: string): void {
    const upstream = new WebSocket(base + url, { perMessageDeflate: false, maxPayload: MAX_PAYLOAD_BYTES, ...(merged ? { generateMask: zeroMask } : {}) })
    let pending: Array<{ data: Buffer, binary: boolean }> | undefined = []
    const counters = { frames: 0, bytes: 0, toolCalls: 0, paused: false }
    const onSent = (): void => {
      if (counters.paused && upstream.bufferedAmount <= HIGH_WATER_BYTES >>> 1) counters.paused = false
    }
    client.on('message', (data: Buffer, isBinary: boolean) => {
      if (pending !== undefined) pending.push({ data, binary: isBinary })
      else if (merged) sendFrame(upstream, 'zero-key', data, isBinary)
      else if (!likeLivegate) upstream.send(data, isBinary ? BINARY : TEXT)
      else {
        counters.frames++
        counters.bytes += data.length
        upstream.send(data, isBinary ? BINARY : TEXT, onSent)
        if (!counters.paused && upstream.bufferedAmount > HIGH_WATER_BYTES) counters.paused = true
      }
    })
    upstream.on('open', () => {
      const queued = pending ?? []
      pending = undefined
      for (const frame of queued) upstream.send(frame.data, frame.binary ? BINARY : TEXT)
    })
    upstream.on('message', (data: Buffer, isBinary: boolean) => {
      if (merged) {
        sendFrame(client, 'unmasked', data, isBinary)
        return
      }
      if (!likeLivegate) {
        client.send(data, isBinary ? BINARY : TEXT)
        return
      }
      counters.frames++
      counters.bytes += data.length
      if (data.indexOf(MARKER) !== -1) counters.toolCalls++
      if (client.readyState !== client.OPEN) return
      client.send(data, isBinary ? BINARY : TEXT, onSent)
      if (!counters.paused && client.bufferedAmount > HIGH_WATER_BYTES) counters.paused = true
    })
    client.on('close', (code: number, reason: Buffer) => {
      if (upstream.readyState === WebSocket.OPEN) upstream.close(sendable(code), reason)
      else upstream.terminate()
    })
    upstream.on('close', (code: number, reason: Buffer) => {
      if (client.readyState === WebSocket.OPEN) client.close(sendable(code), reason)
    })
    client.on('error', () => {})
    upstream.on('error', () => {})
  }
}

export async function startBareRelay (options: BareRelayOptions): Promise<BareRelay> {
  const base = options.upstreamUrl.replace(/^http/, 'ws').replace(/\/+$/, '')
  const relay = createPipe(base, options.perFrameLikeLivegate === true, options.mergedWrites === true)
  if (options.fastify === true) return await startOnFastify(relay, options)
  const wss = new WebSocketServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    perMessageDeflate: false,
    maxPayload: MAX_PAYLOAD_BYTES,
    clientTracking: true,
  })
  wss.on('connection', (client, request) => { relay(client, request.url ?? '/') })
  await once(wss, 'listening')
  return {
    port: (wss.address() as AddressInfo).port,
    async close () {
      for (const socket of wss.clients) socket.terminate()
      await new Promise<void>((resolve) => { wss.close(() => { resolve() }) })
    },
  }
}

/** The same pipe behind Fastify and @fastify/websocket, as livegate accepts its clients. */
async function startOnFastify (relay: (client: WebSocket, url: string) => void, options: BareRelayOptions): Promise<BareRelay> {
  const app = Fastify({ logger: false, forceCloseConnections: true })
  await app.register(websocket, { options: { maxPayload: MAX_PAYLOAD_BYTES, perMessageDeflate: false, clientTracking: false } })
  app.get('/*', { websocket: true }, (client, request) => { relay(client, request.raw.url ?? '/') })
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 })
  const address = app.server.address() as AddressInfo
  return { port: address.port, async close () { await app.close() } }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      upstream: { type: 'string' },
      port: { type: 'string', default: '0' },
      'like-livegate': { type: 'boolean', default: false },
      fastify: { type: 'boolean', default: false },
      merged: { type: 'boolean', default: false },
    },
  })
  if (values.upstream === undefined) {
    process.stderr.write('usage: bare-relay.ts --upstream http://127.0.0.1:PORT [--port N]\n')
    process.exit(2)
  }
  const relay = await startBareRelay({ upstreamUrl: values.upstream, port: Number(values.port), perFrameLikeLivegate: values['like-livegate'], fastify: values.fastify, mergedWrites: values.merged })
  process.stdout.write(`${JSON.stringify({ ready: { port: relay.port } })}\n`)
  process.on('SIGTERM', () => { void relay.close().then(() => process.exit(0)) })
}
