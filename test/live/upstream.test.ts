import t from 'tap'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import { dialUpstream, needsMaskingKey } from '../../src/live/upstream.js'

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

t.test('the masking key is random only over cleartext to another host', async (t) => {
  const cases: Array<[string, boolean]> = [
    ['wss://generativelanguage.googleapis.com/ws/x?key=k', false],
    ['ws://127.0.0.1:9000/ws/x', false],
    ['ws://127.12.0.1:9000/ws/x', false],
    ['ws://localhost:9000/ws/x', false],
    ['ws://[::1]:9000/ws/x', false],
    ['ws://10.0.0.7:9000/ws/x', true],
    ['ws://gemini.internal/ws/x', true],
    ['ws://127.0.0.1.example.com/ws/x', true],
    ['not a url', true],
  ]
  for (const [url, random] of cases) t.equal(needsMaskingKey(url), random, url)
})

/** A raw TCP peer that completes the upgrade and hands back the bytes of the first frame, as they were on the wire. */
async function rawUpstream (t: { teardown: (fn: () => void) => void }): Promise<{ url: string, firstFrame: Promise<Buffer> }> {
  let gotFrame: (frame: Buffer) => void = () => {}
  const firstFrame = new Promise<Buffer>((resolve) => { gotFrame = resolve })
  const sockets: Socket[] = []
  const server = createServer((socket) => {
    sockets.push(socket)
    let buffered = Buffer.alloc(0)
    let upgraded = false
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      if (!upgraded) {
        const end = buffered.indexOf('\r\n\r\n')
        if (end === -1) return
        const key = /sec-websocket-key: *(.+)\r\n/i.exec(buffered.subarray(0, end).toString('latin1'))?.[1] ?? ''
        const accept = createHash('sha1').update(key + WS_GUID).digest('base64')
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`)
        buffered = buffered.subarray(end + 4)
        upgraded = true
      }
      // A short masked frame: 2 header bytes, 4 key bytes, the payload (length in the low 7 bits of byte 1).
      if (buffered.length >= 6 && buffered.length >= 6 + ((buffered[1] as number) & 0x7f)) gotFrame(buffered)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { for (const s of sockets) s.destroy(); server.close() })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return { url: `http://127.0.0.1:${port}`, firstFrame }
}

t.test('on a loopback upstream the frame goes out with an all-zero key, so its payload is the same bytes', async (t) => {
  const upstream = await rawUpstream(t)
  const dial = dialUpstream({ baseUrl: upstream.url, apiKey: 'server-key', version: 'v1beta' }, { connectTimeoutMs: 5_000, maxPayload: 1 << 20 })
  const socket = await dial.opened
  t.teardown(() => { socket.terminate() })
  const payload = Buffer.from('{"realtimeInput":{"text":"hi"}}')
  socket.send(payload, { binary: false })
  const frame = await upstream.firstFrame
  t.equal((frame[1] as number) & 0x80, 0x80, 'still a masked frame, as RFC 6455 requires of a client')
  t.same([...frame.subarray(2, 6)], [0, 0, 0, 0], 'the masking key is zero')
  t.same(frame.subarray(6, 6 + payload.length), payload, 'the payload on the wire is the frame as sent')
})
