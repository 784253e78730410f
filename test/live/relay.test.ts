import t from 'tap'
import { createServer } from 'node:net'
import { once } from 'node:events'
import { startGateway, CLIENT_TOKEN, LIVE_PATH, SERVER_KEY } from '../helpers/gateway.js'
import { connect, openLive, hasKey, isTurnComplete, textOf } from '../helpers/ws-client.js'
import { encodeServerMessage } from '../../src/live/protocol.js'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { createLogSink } from '../helpers/log-sink.js'

const MODEL = 'models/gemini-3.1-flash-live-preview'
const SETUP = { setup: { model: MODEL, generation_config: { response_modalities: ['TEXT'] } } }

t.test('relays a seed-style snake_case text turn and keeps Gemini\'s binary frames binary', async (t) => {
  const gw = await startGateway(t)
  const client = await connect(gw.wsUrl)
  client.send(SETUP)
  const first = await client.waitFor(() => true)
  t.ok(first.json !== undefined && 'setupComplete' in first.json, 'setupComplete is the first frame')
  t.equal(first.binary, true, 'binary as Gemini sends it')
  client.send({ client_content: { turns: [{ role: 'user', parts: [{ text: 'What are the last five Denis Villeneuve films?' }] }], turn_complete: true } })
  await client.waitFor(isTurnComplete)
  const text = client.frames.map(textOf).join('')
  t.match(text, /Dune/, 'the model\'s answer streamed through')
  t.ok(client.frames.every((f) => f.binary), 'every server frame reached the client as binary')
  const conn = gw.sim.connections[0]
  t.ok(conn !== undefined)
  t.equal(conn?.credential, SERVER_KEY, 'upstream got the server key')
  t.not(conn?.credential, CLIENT_TOKEN)
  t.equal(conn?.received[0]?.binary, false, 'the client\'s text setup frame went upstream as text')
  client.ws.close()
})

t.test('forwards frames byte-for-byte in both directions', async (t) => {
  const gw = await startGateway(t)
  const client = await openLive(gw.wsUrl, SETUP)
  const conn = gw.sim.connections[0]!
  // Client → upstream: a binary audio frame with odd spacing must arrive with the same length and type.
  const audio = Buffer.from(`{ "realtimeInput" :{"audio":{"mimeType":"audio/pcm;rate=16000","data":"${Buffer.alloc(3200).toString('base64')}"}}}`)
  client.ws.send(audio, { binary: true })
  const got = await conn.waitFor((f: { kind: string }) => f.kind === "realtimeInput")
  t.equal(got.binary, true)
  t.equal(got.bytes, audio.length, 'same bytes upstream')
  // Upstream → client: the exact bytes the simulator sent.
  const message = { serverContent: { modelTurn: { parts: [{ text: 'héllo ✓' }] } } }
  conn.send(message)
  const frame = await client.waitFor((f) => textOf(f) === 'héllo ✓')
  t.same(frame.data, encodeServerMessage(message), 'same bytes downstream')
  client.ws.close()
})

t.test('accepts every client credential form and path, and never sends the client token upstream', async (t) => {
  const gw = await startGateway(t)
  const base = gw.httpUrl.replace('http', 'ws')
  const cases: Array<{ name: string, url: string, headers?: Record<string, string> }> = [
    { name: '?key= on the documented path', url: `${base}${LIVE_PATH}?key=${CLIENT_TOKEN}` },
    { name: 'SDK double slash', url: `${base}/${LIVE_PATH}?key=${CLIENT_TOKEN}` },
    { name: 'v1alpha Constrained with access_token', url: `${base}/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained?access_token=${CLIENT_TOKEN}` },
    { name: 'v1 with x-goog-api-key', url: `${base}/ws/google.ai.generativelanguage.v1.GenerativeService.BidiGenerateContent`, headers: { 'x-goog-api-key': CLIENT_TOKEN } },
    { name: '/v1/live with Bearer', url: `${base}/v1/live`, headers: { authorization: `Bearer ${CLIENT_TOKEN}` } },
    { name: 'Authorization: Token', url: `${base}/v1/live`, headers: { authorization: `Token ${CLIENT_TOKEN}` } },
  ]
  for (const c of cases) {
    const before = gw.sim.connections.length
    const client = await openLive(c.url, SETUP, c.headers === undefined ? {} : { headers: c.headers })
    const conn = gw.sim.connections[before]
    t.equal(conn?.credential, SERVER_KEY, `${c.name}: upstream got the server key`)
    t.notMatch(JSON.stringify(conn?.headers ?? {}), CLIENT_TOKEN, `${c.name}: client token not in upstream headers`)
    t.notMatch(conn?.path ?? '', CLIENT_TOKEN, `${c.name}: client token not in upstream path`)
    const expectedVersion = /v1alpha/.test(c.url) ? 'v1alpha' : /\.v1\./.test(c.url) ? 'v1' : 'v1beta'
    t.equal(conn?.apiVersion, expectedVersion, `${c.name}: API version taken from the client's path`)
    client.ws.close()
    await client.closed
  }
})

t.test('refuses a bad credential with an upgrade then close 1008 and a reason', async (t) => {
  const gw = await startGateway(t)
  const base = gw.httpUrl.replace('http', 'ws')
  for (const url of [`${base}${LIVE_PATH}?key=wrong`, `${base}${LIVE_PATH}`]) {
    const client = await connect(url)
    const closed = await Promise.race([client.closed, new Promise<undefined>((resolve) => setTimeout(resolve, 1000, undefined))])
    t.ok(closed !== undefined, 'closed within 1 s')
    t.equal(closed?.code, 1008)
    t.match(closed?.reason ?? '', /^LG_ERR_AUTH_(INVALID|MISSING): /)
  }
  t.equal(gw.sim.connections.length, 0, 'nothing was dialed upstream for a refused client')
})

t.test('checks the Origin of browsers against LIVEGATE_ALLOWED_ORIGINS', async (t) => {
  const gw = await startGateway(t, { env: { LIVEGATE_ALLOWED_ORIGINS: 'https://app.example' } })
  const bad = await connect(gw.wsUrl, { headers: { origin: 'https://evil.example' } })
  const closed = await bad.closed
  t.equal(closed.code, 1008)
  t.match(closed.reason, /^LG_ERR_AUTH_ORIGIN/)
  const good = await connect(gw.wsUrl, { headers: { origin: 'https://app.example' } })
  good.send(SETUP)
  await good.waitFor(hasKey('setupComplete'))
  good.ws.close()
})

t.test('closes 1007 when the first frame is not JSON or not setup', async (t) => {
  const gw = await startGateway(t)
  const cases = [
    { frame: 'not json', code: 'LG_ERR_RELAY_BAD_FRAME' },
    { frame: JSON.stringify({ client_content: { turns: [] } }), code: 'LG_ERR_RELAY_NOT_SETUP' },
    { frame: JSON.stringify({ setup: { model: MODEL }, clientContent: {} }), code: 'LG_ERR_RELAY_NOT_SETUP' },
  ]
  for (const c of cases) {
    const client = await connect(gw.wsUrl)
    client.ws.send(c.frame)
    const closed = await client.closed
    t.equal(closed.code, 1007, c.code)
    t.match(closed.reason, new RegExp(`^${c.code}: `))
  }
})

t.test('propagates close codes and reasons both ways', async (t) => {
  const gw = await startGateway(t)
  await t.test('client → upstream', async (t) => {
    const client = await openLive(gw.wsUrl, SETUP)
    const conn = gw.sim.connections.at(-1)!
    client.ws.close(4001, 'user left')
    t.same(await conn.closed, { code: 4001, reason: 'user left' })
  })
  await t.test('client close without a code reaches upstream as 1000', async (t) => {
    const client = await openLive(gw.wsUrl, SETUP)
    const conn = gw.sim.connections.at(-1)!
    client.ws.close()
    t.equal((await conn.closed).code, 1000)
  })
  await t.test('upstream → client, with a reason cut to 123 bytes at a character boundary', async (t) => {
    const client = await openLive(gw.wsUrl, SETUP)
    const conn = gw.sim.connections.at(-1)!
    const reason = 'models/x is not found for API version v1beta, or is not supported for bidiGenerateContent. Call ListModels ééé'
    conn.close(1008, reason.slice(0, 120))
    const closed = await client.closed
    t.equal(closed.code, 1008)
    t.ok(Buffer.byteLength(closed.reason) <= 123)
    t.ok(reason.startsWith(closed.reason), 'a prefix of the upstream reason')
    t.notMatch(closed.reason, /\uFFFD/, 'no broken character')
  })
  await t.test('an abrupt upstream drop (1006) becomes 1011 with a reason (resumption off)', async (t) => {
    const off = await startGateway(t, { env: { LIVEGATE_RESUME_BUFFER_MESSAGES: '0' } })
    const client = await openLive(off.wsUrl, SETUP)
    const conn = off.sim.connections.at(-1)!
    conn.terminate()
    const closed = await client.closed
    t.equal(closed.code, 1011)
    t.match(closed.reason, /^LG_ERR_UPSTREAM_CLOSED/)
  })
})

t.test('upstream dial failures close the client with 1011/1013 and a reason naming the host, never the key', async (t) => {
  await t.test('connection refused → 1011', async (t) => {
    const free = createServer()
    free.listen(0, '127.0.0.1')
    await once(free, 'listening')
    const port = (free.address() as { port: number }).port
    free.close()
    const gw = await startGateway(t, { env: { LIVEGATE_UPSTREAM_URL: `http://127.0.0.1:${port}` } })
    const client = await connect(gw.wsUrl)
    client.send(SETUP)
    const closed = await client.closed
    t.equal(closed.code, 1011)
    t.match(closed.reason, new RegExp(`^LG_ERR_UPSTREAM_UNREACHABLE: .*127\\.0\\.0\\.1:${port}.*ECONNREFUSED`))
    t.notMatch(closed.reason, SERVER_KEY)
    t.notMatch(gw.logs.text(), SERVER_KEY)
  })
  await t.test('no answer → 1013', async (t) => {
    const silent = createServer(() => {})
    silent.listen(0, '127.0.0.1')
    await once(silent, 'listening')
    t.teardown(() => { silent.close() })
    const port = (silent.address() as { port: number }).port
    const gw = await startGateway(t, { env: { LIVEGATE_UPSTREAM_URL: `http://127.0.0.1:${port}`, LIVEGATE_UPSTREAM_CONNECT_TIMEOUT_MS: '300' } })
    const client = await connect(gw.wsUrl)
    client.send(SETUP)
    const closed = await client.closed
    t.equal(closed.code, 1013)
    t.match(closed.reason, /^LG_ERR_UPSTREAM_TIMEOUT: upstream 127\.0\.0\.1:\d+ did not answer within 300 ms/)
  })
})

t.test('propagates the upstream\'s own error close (unknown model → 1008 with Google\'s reason)', async (t) => {
  const gw = await startGateway(t)
  const client = await connect(gw.wsUrl)
  client.send({ setup: { model: 'models/no-such-model' } })
  const closed = await client.closed
  t.equal(closed.code, 1008)
  t.match(closed.reason, /models\/no-such-model is not found/)
})

t.test('enforces the setup timeout, the frame size limit and the model allowlist', async (t) => {
  const gw = await startGateway(t, { env: { LIVEGATE_SETUP_TIMEOUT_MS: '200', LIVEGATE_MAX_FRAME_BYTES: '65536', LIVEGATE_MODELS: 'gemini-3.1-flash-live-preview' } })
  const idle = await connect(gw.wsUrl)
  const idleClosed = await idle.closed
  t.equal(idleClosed.code, 1008)
  t.match(idleClosed.reason, /^LG_ERR_RELAY_SETUP_TIMEOUT/)

  const big = await connect(gw.wsUrl)
  big.send(SETUP)
  await big.waitFor(hasKey('setupComplete'))
  big.ws.send(Buffer.alloc(65537, 0x20))
  t.equal((await big.closed).code, 1009, 'a frame over LIVEGATE_MAX_FRAME_BYTES closes with 1009')

  const other = await connect(gw.wsUrl)
  other.send({ setup: { model: 'models/gemini-2.5-flash-native-audio-preview-12-2025' } })
  const otherClosed = await other.closed
  t.equal(otherClosed.code, 1008)
  t.match(otherClosed.reason, /^LG_ERR_RELAY_MODEL_NOT_ALLOWED/)
})

t.test('a slow reader pauses the upstream and keeps memory bounded, then gets every frame in order', async (t) => {
  const highWater = 256 * 1024
  const gw = await startGateway(t, { env: { LIVEGATE_HIGH_WATER_BYTES: String(highWater) } })
  const client = await openLive(gw.wsUrl, SETUP)
  const conn = gw.sim.connections.at(-1)!
  // Stop reading: the kernel buffers fill, then livegate's send buffer grows until it pauses the upstream.
  const rawSocket = (client.ws as unknown as { _socket: import('node:net').Socket })._socket
  rawSocket.pause()
  const chunk = Buffer.alloc(48 * 1024, 1).toString('base64')
  const total = 400 // ~26 MB of audio, far more than the kernel and the high-water mark hold
  for (let i = 0; i < total; i++) {
    conn.send({ serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: 'audio/pcm;rate=24000', data: chunk } }] } }, seq: i })
  }
  const session = [...gw.app.livegate.sessions][0] as unknown as { client: { bufferedAmount: number } }
  let maxBuffered = 0
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    maxBuffered = Math.max(maxBuffered, session.client.bufferedAmount)
  }
  const frameBytes = encodeServerMessage({ x: chunk }).length
  t.ok(maxBuffered > 0, 'livegate did buffer for the slow client')
  t.ok(maxBuffered <= highWater + 2 * frameBytes, `livegate's send buffer stayed bounded (${maxBuffered} bytes)`)
  t.ok(conn.bufferedAmount > highWater, 'the rest waits on the simulator side: the upstream socket is paused')
  rawSocket.resume()
  await client.waitFor((f) => (f.json?.seq as number | undefined) === total - 1, 30000)
  const seqs = client.frames.filter((f) => f.json?.seq !== undefined).map((f) => f.json?.seq)
  t.same(seqs, Array.from({ length: total }, (_, i) => i), 'every frame arrived, in order')
  client.ws.close()
})

t.test('a stalled upstream pauses the client and keeps memory bounded, then gets every frame in order', async (t) => {
  const highWater = 256 * 1024
  const gw = await startGateway(t, { env: { LIVEGATE_HIGH_WATER_BYTES: String(highWater) } })
  const client = await openLive(gw.wsUrl, SETUP)
  const conn = gw.sim.connections.at(-1)!
  // The upstream stops reading: its kernel buffers fill, livegate's send buffer grows until it pauses the client.
  conn.pauseReading()
  const chunk = Buffer.alloc(48 * 1024, 1).toString('base64')
  const total = 400 // ~26 MB of audio
  for (let i = 0; i < total; i++) client.send({ realtimeInput: { audio: { mimeType: 'audio/pcm;rate=16000', data: `${i}:${chunk}` } } })
  const session = [...gw.app.livegate.sessions][0]!
  const upstream = (): number => session.upstreamSocket?.bufferedAmount ?? 0
  let maxBuffered = 0
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    maxBuffered = Math.max(maxBuffered, upstream())
  }
  const frameBytes = JSON.stringify({ realtimeInput: { audio: { mimeType: 'audio/pcm;rate=16000', data: `000:${chunk}` } } }).length
  t.ok(maxBuffered > 0, 'livegate did buffer for the stalled upstream')
  t.ok(maxBuffered <= highWater + 2 * frameBytes, `livegate's send buffer stayed bounded (${maxBuffered} bytes)`)
  t.ok(client.ws.bufferedAmount > highWater, 'the rest waits on the client side: the client socket is paused')
  conn.resumeReading()
  const deadline = Date.now() + 30_000
  const audioSeqs = (): number[] => conn.received.filter((f) => f.kind === 'realtimeInput')
    .map((f) => Number(String((f.message.realtimeInput as { audio: { data: string } }).audio.data).split(':')[0]))
  while (audioSeqs().length < total && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  t.same(audioSeqs(), Array.from({ length: total }, (_, i) => i), 'every frame arrived upstream, in order')
  client.ws.close()
})

t.test('the server key appears in no client frame and no log line', async (t) => {
  const gw = await startGateway(t)
  const client = await openLive(`${gw.wsUrl}&extra=1`, SETUP)
  client.send({ clientContent: { turns: [{ role: 'user', parts: [{ text: 'What are the last five Denis Villeneuve films?' }] }], turnComplete: true } })
  await client.waitFor(isTurnComplete)
  client.ws.close()
  await client.closed
  await new Promise((resolve) => setTimeout(resolve, 50))
  for (const frame of client.frames) t.notOk(frame.data.includes(SERVER_KEY), 'no key in a frame')
  const logs = gw.logs.text()
  t.notMatch(logs, SERVER_KEY, 'no server key in the logs')
  t.notMatch(logs, CLIENT_TOKEN, 'no client token in the logs')
  t.match(logs, /session ended/, 'the session logged its end')
  const end = gw.logs.entries().find((e) => e.msg === 'session ended')
  t.ok(typeof end?.sessionId === 'string' && typeof end?.clientFrames === 'number' && typeof end?.upstreamBytes === 'number' && end?.model === MODEL,
    'the end line carries session id, model, frames and bytes')
})

t.test('with no key and no upstream URL, the built-in simulator is the upstream and the log says so', async (t) => {
  const logs = createLogSink()
  const app = await buildApp(loadConfig({ LIVEGATE_STORE: 'memory' }), { logStream: logs.stream })
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  t.match(logs.text(), /BUILT-IN GEMINI SIMULATOR/)
  t.match(logs.text(), /no Gemini key: any client may connect/)
  const client = await openLive(`ws://127.0.0.1:${port}${LIVE_PATH}?key=anything`, SETUP)
  client.ws.close()
})

t.test('pings clients, drops one that stops answering, and closes idle sessions', async (t) => {
  const gw = await startGateway(t, { env: { LIVEGATE_PING_INTERVAL_MS: '100', LIVEGATE_IDLE_TIMEOUT_MS: '1000' } })
  const alive = await connect(gw.wsUrl)
  let pings = 0
  alive.ws.on('ping', () => { pings++ })
  alive.send(SETUP)
  await alive.waitFor(hasKey('setupComplete'))
  const closed = await alive.closed
  t.ok(pings >= 3, `keepalive pings arrived (${pings})`)
  t.equal(closed.code, 1001, 'an idle session is closed with 1001')
  t.match(closed.reason, /^LG_ERR_RELAY_IDLE/)

  const dead = await connect(gw.wsUrl)
  dead.send(SETUP)
  await dead.waitFor(hasKey('setupComplete'))
  const conn = gw.sim.connections.at(-1)!
  ;(dead.ws as unknown as { _socket: import('node:net').Socket })._socket.pause()
  const upstreamClosed = await conn.closed
  t.equal(upstreamClosed.code, 1001, 'the upstream of a client that stopped answering pings is closed')
  t.match(upstreamClosed.reason, /^LG_ERR_RELAY_PING_TIMEOUT/)
  t.equal(gw.app.livegate.sessions.size, 0, 'and its session is gone')
})

t.test('shutdown closes every session with 1001 and a reason, and tells the upstream', async (t) => {
  const gw = await startGateway(t)
  const client = await openLive(gw.wsUrl, SETUP)
  const conn = gw.sim.connections[0]!
  const closing = gw.app.close()
  const closed = await client.closed
  t.equal(closed.code, 1001)
  t.match(closed.reason, /^LG_ERR_RELAY_SHUTDOWN/)
  t.equal((await conn.closed).code, 1001, 'the upstream is closed as going away')
  await closing
})
