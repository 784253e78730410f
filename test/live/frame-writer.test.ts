import t from 'tap'
import { once } from 'node:events'
import { createServer, connect, type AddressInfo, type Socket } from 'node:net'
import WebSocket, { WebSocketServer } from 'ws'
import { framedHeaderBytes, MERGE_MAX_BYTES, rawSocketOf, sendFrame, sendFramed, zeroMask } from '../../src/live/frame-writer.js'
import { ReplayLog } from '../../src/live/replay-log.js'
import { SlabPool } from '../../src/live/slab-pool.js'

/** Bytes after the HTTP upgrade, one direction of a TCP connection. */
class Tap {
  bytes = Buffer.alloc(0)
  #upgraded = false
  #head = Buffer.alloc(0)
  take (chunk: Buffer): void {
    if (this.#upgraded) {
      this.bytes = Buffer.concat([this.bytes, chunk])
      return
    }
    this.#head = Buffer.concat([this.#head, chunk])
    const end = this.#head.indexOf('\r\n\r\n')
    if (end === -1) return
    this.#upgraded = true
    this.bytes = this.#head.subarray(end + 4)
  }

  reset (): void { this.bytes = Buffer.alloc(0) }
}

/**
 * A ws server, and a ws client with an all-zero masking key (as livegate's upstream socket on loopback) connected to
 * it through a TCP proxy that records what crosses the wire each way.
 */
async function wiredPair (t: Tap.Test): Promise<{ client: WebSocket, server: WebSocket, toServer: Tap, toClient: Tap }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false })
  await once(wss, 'listening')
  const toServer = new Tap()
  const toClient = new Tap()
  const sockets: Socket[] = []
  const proxy = createServer((inbound) => {
    const outbound = connect((wss.address() as AddressInfo).port, '127.0.0.1')
    sockets.push(inbound, outbound)
    inbound.on('data', (chunk: Buffer) => { toServer.take(chunk); outbound.write(chunk) })
    outbound.on('data', (chunk: Buffer) => { toClient.take(chunk); inbound.write(chunk) })
    inbound.on('error', () => {})
    outbound.on('error', () => {})
  })
  proxy.listen(0, '127.0.0.1')
  await once(proxy, 'listening')
  const serverSide = once(wss, 'connection') as Promise<[WebSocket]>
  const client = new WebSocket(`ws://127.0.0.1:${(proxy.address() as AddressInfo).port}/`, { perMessageDeflate: false, generateMask: zeroMask })
  await once(client, 'open')
  const [server] = await serverSide
  t.teardown(async () => {
    client.terminate()
    for (const socket of sockets) socket.destroy()
    proxy.close()
    await new Promise<void>((resolve) => { wss.close(() => { resolve() }) })
  })
  return { client, server, toServer, toClient }
}

namespace Tap { export type Test = { teardown: (fn: () => unknown) => void } }

async function received (socket: WebSocket, count: number): Promise<Array<{ data: Buffer, isBinary: boolean }>> {
  const got: Array<{ data: Buffer, isBinary: boolean }> = []
  return await new Promise((resolve) => {
    const onMessage = (data: Buffer, isBinary: boolean): void => {
      got.push({ data, isBinary })
      if (got.length === count) {
        socket.off('message', onMessage)
        resolve(got)
      }
    }
    socket.on('message', onMessage)
  })
}

/** How many times ws corked the socket: its two-chunk path; a merged frame is one plain write. */
function countCorks (ws: WebSocket): () => number {
  const raw = (ws as unknown as { _socket: Socket })._socket
  let corks = 0
  const cork = raw.cork.bind(raw)
  raw.cork = () => { corks++; cork() }
  return () => corks
}

// RFC 6455 §5.2 length forms: 7-bit up to 125, 16-bit up to 65,535, 64-bit beyond; and the merge limit's edge.
const SIZES = [0, 1, 125, 126, 1000, MERGE_MAX_BYTES, MERGE_MAX_BYTES + 1, 65_535, 65_536]

t.test('a frame written in one write has the bytes ws.send writes, both directions, text and binary', async (t) => {
  const { client, server, toServer, toClient } = await wiredPair(t)
  const serverCorks = countCorks(server)
  const clientCorks = countCorks(client)
  for (const size of SIZES) {
    for (const binary of [false, true]) {
      const payload = Buffer.alloc(size, binary ? 0xa5 : 0x61)
      const label = `${size} bytes, ${binary ? 'binary' : 'text'}`

      toClient.reset()
      let messages = received(client, 2)
      server.send(payload, { binary })
      const corksBefore = serverCorks()
      sendFrame(server, 'unmasked', payload, binary)
      // ws writes an empty frame as one buffer itself; above the limit it corks header and payload.
      const merged = size <= MERGE_MAX_BYTES
      t.equal(serverCorks() - corksBefore, merged ? 0 : 1, `${label}, to a client: ${merged ? 'one write' : 'written by ws'}`)
      let got = await messages
      t.same(got.map((m) => [m.isBinary, m.data.equals(payload)]), [[binary, true], [binary, true]], `${label}, to a client: received as sent`)
      t.equal(toClient.bytes.length % 2, 0)
      const half = toClient.bytes.length / 2
      t.ok(toClient.bytes.subarray(0, half).equals(toClient.bytes.subarray(half)), `${label}, to a client: same bytes on the wire`)

      toServer.reset()
      messages = received(server, 2)
      client.send(payload, { binary })
      const clientCorksBefore = clientCorks()
      sendFrame(client, 'zero-key', payload, binary)
      t.equal(clientCorks() - clientCorksBefore, merged ? 0 : 1, `${label}, to a server: ${merged ? 'one write' : 'written by ws'}`)
      got = await messages
      t.same(got.map((m) => [m.isBinary, m.data.equals(payload)]), [[binary, true], [binary, true]], `${label}, to a server: received as sent`)
      const clientHalf = toServer.bytes.length / 2
      t.ok(toServer.bytes.subarray(0, clientHalf).equals(toServer.bytes.subarray(clientHalf)), `${label}, to a server: same bytes on the wire`)
      t.equal(toServer.bytes[1]! & 0x80, 0x80, `${label}, to a server: masked (the key is zero)`)
    }
  }
})

t.test('mode ws, and a socket that is closing, are left to ws', async (t) => {
  const { client, server } = await wiredPair(t)
  const corks = countCorks(server)
  const messages = received(client, 1)
  sendFrame(server, 'ws', Buffer.from('via ws'), false)
  t.equal(corks(), 1, 'ws framed it (header and payload corked)')
  t.same((await messages).map((m) => m.data.toString()), ['via ws'])

  server.close(1000)
  const err = await new Promise<Error | null | undefined>((resolve) => { sendFrame(server, 'unmasked', Buffer.from('late'), false, resolve) })
  t.match(err?.message, /not open/, 'a send after close reports the error ws reports')
})

t.test('a frame written from the replay log\'s slab has the bytes ws.send writes (to a server, zero key)', async (t) => {
  const { client, server, toServer } = await wiredPair(t)
  const log = new ReplayLog(new SlabPool(32 * 1024, 4))
  const reader = rawSocketOf(client)
  if (reader === undefined) throw new Error('no raw socket')
  for (const size of SIZES) {
    for (const binary of [false, true]) {
      const payload = Buffer.alloc(size, binary ? 0x5a : 0x62)
      const label = `${size} bytes, ${binary ? 'binary' : 'text'}`
      const headerBytes = framedHeaderBytes(client, 'zero-key', size)
      t.equal(headerBytes, size === 0 || size > MERGE_MAX_BYTES ? 0 : size > 125 ? 8 : 6, `${label}: header room`)
      if (headerBytes === 0) continue
      toServer.reset()
      const messages = received(server, 2)
      client.send(payload, { binary })
      const framed = log.push(payload, binary, { headerBytes, reader })
      sendFramed(reader, 'zero-key', framed, headerBytes, binary)
      const got = await messages
      t.same(got.map((m) => [m.isBinary, m.data.equals(payload)]), [[binary, true], [binary, true]], `${label}: received as sent`)
      const half = toServer.bytes.length / 2
      t.ok(toServer.bytes.subarray(0, half).equals(toServer.bytes.subarray(half)), `${label}: same bytes on the wire`)
      t.ok(log.data(log.size - 1).equals(payload), `${label}: the log keeps the payload alone`)
    }
  }
})

t.test('a slab frames were written from is not reused until the socket has sent them', async (t) => {
  const { client, server } = await wiredPair(t)
  // Writes queue: the server stops reading, so the kernel's buffers fill and Node holds the rest.
  const serverRaw = rawSocketOf(server)
  const reader = rawSocketOf(client)
  if (serverRaw === undefined || reader === undefined) throw new Error('no raw socket')
  serverRaw.pause()
  const pool = new SlabPool(32 * 1024, 8)
  const sent = new ReplayLog(pool)
  const other = new ReplayLog(pool)
  const frames: Buffer[] = []
  const FRAMES = 6000
  for (let i = 0; i < FRAMES; i++) {
    const payload = Buffer.alloc(1000, i % 251)
    payload.writeUInt32BE(i, 0)
    frames.push(payload)
    const headerBytes = framedHeaderBytes(client, 'zero-key', payload.length)
    const framed = sent.push(payload, true, { headerBytes, reader })
    sendFramed(reader, 'zero-key', framed, headerBytes, true)
    // As a resumption handle would: the entry is let go at once, its slab emptied while the socket still holds it.
    sent.dropFront(1)
    // Another session fills whatever slabs the pool hands out with other bytes.
    other.push(Buffer.alloc(1000, 0xee), true)
    other.dropFront(1)
  }
  t.ok(reader.writableLength > 0, `writes are queued (${reader.writableLength} bytes)`)
  const messages = received(server, FRAMES)
  serverRaw.resume()
  const got = await messages
  const wrong = got.findIndex((m, i) => !m.data.equals(frames[i] as Buffer))
  t.equal(wrong, -1, 'every frame arrived as it was sent, none overwritten by a reused slab')
  sent.close()
  other.close()
  t.equal(pool.out, 0, 'every slab went back once the socket had sent it')
})
