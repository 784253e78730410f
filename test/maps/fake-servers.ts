/**
 * Local stand-ins for Google Static Maps and an XYZ tile server, on loopback ports, for provider tests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { once } from 'node:events'
import { createCanvas } from 'canvas'

export interface FakeServer {
  readonly url: string
  /** Request URLs in arrival order (path + query). */
  readonly requests: string[]
  close (): Promise<void>
}

export async function listen (handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server, url: string }> {
  const server = createServer(handler)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return { server, url: `http://127.0.0.1:${port}` }
}

/** A PNG of deterministic noise: big enough (> 1 KB) to pass for a real map. */
export function noisePng (width: number, height: number, seed = 1): Buffer {
  const canvas = createCanvas(width, height)
  const ctx = canvas.getContext('2d')
  const img = ctx.createImageData(width, height)
  let s = seed
  for (let i = 0; i < img.data.length; i += 4) {
    s = (s * 1103515245 + 12345) & 0x7fffffff
    img.data[i] = s & 255; img.data[i + 1] = (s >> 8) & 255; img.data[i + 2] = (s >> 16) & 255; img.data[i + 3] = 255
  }
  ctx.putImageData(img, 0, 0)
  return canvas.toBuffer('image/png')
}

export interface GoogleReply {
  status: number
  type?: string
  body?: Buffer | string
  headers?: Record<string, string>
  /** Never answer. */
  hang?: boolean
  /** Stream this many bytes of body (no Content-Length), 64 KiB at a time, for as long as the client reads. */
  streamBytes?: number
}

/** Writes `total` bytes in 64 KiB chunks with backpressure, stopping when the client goes away. */
export function streamBody (res: ServerResponse, total: number): void {
  const chunk = Buffer.alloc(64 * 1024, 0x61)
  let sent = 0
  const pump = (): void => {
    while (sent < total && !res.destroyed) {
      sent += chunk.length
      if (!res.write(chunk)) { res.once('drain', pump); return }
    }
    if (!res.destroyed) res.end()
  }
  res.on('close', () => { sent = total })
  pump()
}

/**
 * A fake Static Maps endpoint. Each request takes the next scripted reply; with none left it behaves like Google
 * on success: a PNG of the asked size, clamped to 640 per side, doubled for scale=2.
 */
export async function startFakeGoogle (script: GoogleReply[] = []): Promise<FakeServer & { script: GoogleReply[] }> {
  const requests: string[] = []
  const hanging: ServerResponse[] = []
  const { server, url } = await listen((req, res) => {
    requests.push(req.url ?? '')
    const reply = script.shift()
    if (reply?.hang === true) { hanging.push(res); return }
    if (reply?.streamBytes !== undefined) {
      res.writeHead(reply.status, { 'content-type': reply.type ?? 'image/png', ...reply.headers })
      hanging.push(res)
      streamBody(res, reply.streamBytes)
      return
    }
    if (reply !== undefined) {
      res.writeHead(reply.status, { 'content-type': reply.type ?? 'text/plain; charset=UTF-8', ...reply.headers })
      res.end(reply.body ?? '')
      return
    }
    const q = new URL(req.url ?? '/', 'http://x').searchParams
    const [w = 512, h = 512] = (q.get('size') ?? '512x512').split('x').map(Number)
    const scale = q.get('scale') === '2' ? 2 : 1
    res.writeHead(200, { 'content-type': 'image/png' })
    res.end(noisePng(Math.min(w, 640) * scale, Math.min(h, 640) * scale))
  })
  return {
    url: `${url}/maps/api/staticmap`,
    requests,
    script,
    async close () { for (const r of hanging) r.destroy(); server.closeAllConnections(); server.close(); await once(server, 'close') },
  }
}

/** The colour a generated tile is filled with: it encodes z, x and y so a test can tell which tile is where. */
export function tileColor (z: number, x: number, y: number): [number, number, number] {
  return [(x * 37 + z * 11) % 256, (y * 53 + z * 7) % 256, 128]
}

/** An XYZ tile server generating solid 256 px tiles whose colour encodes their address; 404 outside the world. */
export async function startTileServer (): Promise<FakeServer & { hits: () => number }> {
  const requests: string[] = []
  const { server, url } = await listen((req, res) => {
    requests.push(req.url ?? '')
    const m = /^\/(\d+)\/(\d+)\/(\d+)\.png$/.exec(req.url ?? '')
    const [z, x, y] = m === null ? [NaN, NaN, NaN] : [Number(m[1]), Number(m[2]), Number(m[3])]
    if (m === null || x >= 2 ** z || y >= 2 ** z) { res.writeHead(404).end(); return }
    const canvas = createCanvas(256, 256)
    const ctx = canvas.getContext('2d')
    const [r, g, b] = tileColor(z, x, y)
    ctx.fillStyle = `rgb(${r},${g},${b})`
    ctx.fillRect(0, 0, 256, 256)
    res.writeHead(200, { 'content-type': 'image/png' })
    res.end(canvas.toBuffer('image/png'))
  })
  return {
    url,
    requests,
    hits: () => requests.length,
    async close () { server.closeAllConnections(); server.close(); await once(server, 'close') },
  }
}
