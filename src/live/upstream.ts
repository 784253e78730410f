/**
 * @module live/upstream
 * Dialing Gemini's BidiGenerateContent endpoint with the server's key, or Vertex AI's with an OAuth bearer token. The
 * URL holds the key (Google's own SDKs put it in `?key=`) and the header the token, so neither leaves this module:
 * errors and logs name only the host.
 */
import WebSocket from 'ws'
import { LivegateError } from '../errors.js'
import { zeroMask, type FrameMode } from './frame-writer.js'
import { livePath, type ApiVersion } from './protocol.js'

export interface UpstreamTarget {
  /** `https://generativelanguage.googleapis.com`, `http://127.0.0.1:9000` or a ws(s) URL, optionally with a path prefix. */
  readonly baseUrl: string
  readonly apiKey: string | undefined
  readonly version: ApiVersion
  /** The method path instead of the Gemini API's (Vertex AI: live/vertex.ts `VERTEX_LIVE_PATH`). */
  readonly path?: string
  /** OAuth access token, sent as `Authorization: Bearer` (Vertex AI); never in the URL. */
  readonly bearer?: string
}

interface DialOptions {
  readonly connectTimeoutMs: number
  readonly maxPayload: number
}

/** The URL to dial; holds the key: never log it, use `upstreamHost()` instead. */
export function upstreamUrl (target: UpstreamTarget): string {
  const base = target.baseUrl.replace(/^http(s?):/, 'ws$1:').replace(/\/+$/, '')
  const query = target.apiKey === undefined ? '' : `?key=${encodeURIComponent(target.apiKey)}`
  return `${base}${target.path ?? livePath(target.version)}${query}`
}

export function upstreamHost (baseUrl: string): string {
  try {
    return new URL(baseUrl).host
  } catch {
    return '(invalid upstream URL)'
  }
}

export interface Dial {
  /** The socket being opened: terminate it to abandon the dial. */
  readonly socket: WebSocket
  /** Settles once: resolves when open; rejects with a LivegateError naming the cause and the host, never the key. */
  readonly opened: Promise<WebSocket>
  /** How relayed frames are written to it (live/frame-writer.ts): `zero-key` where it needs no masking key. */
  readonly frameMode: FrameMode
}

/**
 * Client frames must be masked (RFC 6455 §5.3) so that a cleartext intermediary cannot be made to read attacker-chosen
 * bytes as HTTP (§10.3). Over TLS, and on loopback, there is no such intermediary: livegate sends an all-zero key
 * there, which ws recognises and skips the per-byte XOR for (a third of a bare relay's instructions per round trip,
 * bench/RESULTS.md "Relay instruction counts"). Over cleartext to another host the key stays random.
 */
export function needsMaskingKey (url: string): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return true
  }
  if (parsed.protocol === 'wss:' || parsed.protocol === 'https:') return false
  const host = parsed.hostname
  return !(host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host))
}

export function dialUpstream (target: UpstreamTarget, options: DialOptions): Dial {
  const host = upstreamHost(target.baseUrl)
  const url = upstreamUrl(target)
  const masked = needsMaskingKey(url)
  const socket = new WebSocket(url, {
    perMessageDeflate: false,
    maxPayload: options.maxPayload,
    handshakeTimeout: options.connectTimeoutMs,
    followRedirects: false,
    ...(masked ? {} : { generateMask: zeroMask }),
    ...(target.bearer === undefined ? {} : { headers: { authorization: `Bearer ${target.bearer}` } }),
  })
  const opened = new Promise<WebSocket>((resolve, reject) => {
    let settled = false
    const fail = (err: LivegateError): void => {
      if (settled) return
      settled = true
      socket.removeAllListeners()
      socket.on('error', () => {})
      socket.terminate()
      reject(err)
    }
    socket.once('open', () => {
      if (settled) return
      settled = true
      socket.removeAllListeners()
      resolve(socket)
    })
    socket.once('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0
      res.resume()
      const busy = status === 429 || status === 503
      fail(new LivegateError(busy ? 'LG_ERR_UPSTREAM_TIMEOUT' : 'LG_ERR_UPSTREAM_REJECTED',
        `upstream ${host} answered HTTP ${status} to the WebSocket upgrade`, { httpStatus: status }))
    })
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (/timed out/i.test(err.message)) {
        fail(new LivegateError('LG_ERR_UPSTREAM_TIMEOUT', `upstream ${host} did not answer within ${options.connectTimeoutMs} ms`))
        return
      }
      const cause = err.code ?? 'connection error'
      fail(new LivegateError('LG_ERR_UPSTREAM_UNREACHABLE', `cannot reach upstream ${host} (${cause})`))
    })
    socket.once('close', () => fail(new LivegateError('LG_ERR_UPSTREAM_UNREACHABLE', `dial to upstream ${host} abandoned`)))
  })
  return { socket, opened, frameMode: masked ? 'ws' : 'zero-key' }
}
