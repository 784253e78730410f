import t from 'tap'
import { once } from 'node:events'
import WebSocket from 'ws'
import { KEY, MODEL, PATH, RawClient, has, isTurnComplete, openSession, shape, startTestSimulator, textOf } from './client.js'

const CONSTRAINED = '/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained'
const SETUP = { setup: { model: MODEL, generation_config: { response_modalities: ['TEXT'] } } }

t.test('setupComplete is the first frame: binary, pretty-printed camelCase JSON', async (t) => {
  const sim = await startTestSimulator(t)
  const client = await RawClient.open(sim.wsUrl())
  client.send(SETUP)
  const first = await client.waitFor(() => true)
  t.equal(first.binary, true, 'a binary frame, as Google sends')
  t.equal(first.data.toString(), '{\n  "setupComplete": {}\n}', 'the recorded 27 bytes')
  t.equal(client.frames.length, 1, 'nothing else before the first turn')
  client.ws.close()
})

t.test('accepts Google\'s paths and every credential form, and records what it was dialed with', async (t) => {
  const sim = await startTestSimulator(t, { apiKeys: [KEY, 'auth_tokens/eph'] })
  const base = sim.url.replace(/^http/, 'ws')
  const cases: Array<{ name: string, url: string, headers?: Record<string, string>, credential: string, apiVersion: string }> = [
    { name: '?key= on the documented path', url: `${base}${PATH}?key=${KEY}`, credential: KEY, apiVersion: 'v1beta' },
    { name: 'the JS SDK\'s double slash, v1', url: `${base}/${PATH.replace('v1beta', 'v1')}?key=${KEY}`, credential: KEY, apiVersion: 'v1' },
    { name: 'x-goog-api-key (Python SDK)', url: `${base}${PATH}`, headers: { 'x-goog-api-key': KEY }, credential: KEY, apiVersion: 'v1beta' },
    { name: '?access_token= on Constrained (JS SDK ephemeral)', url: `${base}/${CONSTRAINED}?access_token=auth_tokens/eph`, credential: 'auth_tokens/eph', apiVersion: 'v1alpha' },
    { name: 'Authorization: Token on Constrained (Python SDK ephemeral)', url: `${base}${CONSTRAINED}`, headers: { authorization: 'Token auth_tokens/eph' }, credential: 'auth_tokens/eph', apiVersion: 'v1alpha' },
  ]
  for (const c of cases) {
    const accepted = sim.nextConnection()
    const client = await RawClient.open(c.url, c.headers === undefined ? {} : { headers: c.headers })
    client.send(SETUP)
    await client.waitFor(has('setupComplete'))
    const conn = await accepted
    t.equal(conn.credential, c.credential, c.name)
    t.equal(conn.apiVersion, c.apiVersion, c.name)
    t.equal(conn.path, c.url.slice(base.length).split('?')[0], `${c.name}: path as dialed`)
    client.ws.close()
    t.equal((await conn.closed).code, 1005, 'a close without a code shows as 1005')
  }
})

t.test('any other path is a 404 before the upgrade', async (t) => {
  const sim = await startTestSimulator(t)
  const ws = new WebSocket(`${sim.url.replace(/^http/, 'ws')}/v1/live?key=${KEY}`)
  const [, response] = await once(ws, 'unexpected-response') as [unknown, { statusCode: number }]
  t.equal(response.statusCode, 404)
  ws.on('error', () => {})
  ws.terminate()
  const res = await fetch(`${sim.url}/`)
  t.equal(res.status, 404)
})

t.test('error closes carry Google\'s code and reason', async (t) => {
  const sim = await startTestSimulator(t)
  const base = sim.url.replace(/^http/, 'ws')
  const cases: Array<{ name: string, url?: string, send: Array<Record<string, unknown> | string>, code: number, reason: RegExp }> = [
    { name: 'bad key', url: `${base}${PATH}?key=wrong`, send: [], code: 1008, reason: /^API key not valid\. Please pass a valid API key\.$/ },
    { name: 'no credential', url: `${base}${PATH}`, send: [], code: 1008, reason: /^Method doesn't allow unregistered callers \(callers without established identity\)/ },
    { name: 'access_token on the key method', url: `${base}${PATH}?access_token=${KEY}`, send: [], code: 1008, reason: /unregistered callers/ },
    { name: 'not JSON', send: ['{"setup": '], code: 1007, reason: /^Invalid JSON payload received/ },
    { name: 'first message not setup', send: [{ clientContent: { turnComplete: true } }], code: 1007, reason: /^Request contains an invalid argument\.$/ },
    { name: 'a second setup', send: [SETUP, SETUP], code: 1007, reason: /^Request contains an invalid argument\.$/ },
    { name: 'more than one top-level key', send: [{ setup: { model: MODEL }, clientContent: {} }], code: 1007, reason: /Oneof field/ },
    { name: 'unknown field', send: [{ setup: { model: MODEL, foo: 1 } }], code: 1007, reason: /^Invalid JSON payload received\. Unknown name "foo" at 'setup': Cannot find field\.$/ },
    { name: 'unknown model', send: [{ setup: { model: 'models/gemini-0.1-nope' } }], code: 1008, reason: /^models\/gemini-0\.1-nope is not found for API version v1beta, or is not supported for bidiGenerateContent\. Call ListMo/ },
    { name: 'no model', send: [{ setup: {} }], code: 1007, reason: /invalid argument/ },
    { name: 'toolResponse for an unknown id', send: [SETUP, { tool_response: { function_responses: [{ id: 'function-call-1', name: 'f', response: {} }] } }], code: 1007, reason: /function-call-1/ },
    { name: 'toolResponse without id', send: [SETUP, { toolResponse: { functionResponses: [{ name: 'f', response: {} }] } }], code: 1007, reason: /must have an id/ },
    { name: 'an image in legacy mediaChunks', send: [SETUP, { realtimeInput: { mediaChunks: [{ mimeType: 'image/jpeg', data: '/9j/' }] } }], code: 1007, reason: /^Mime type 'image\/jpeg' is not supported/ },
    { name: 'activityStart with automatic activity detection', send: [SETUP, { realtimeInput: { activityStart: {} } }], code: 1007, reason: /automatic activity detection/ },
    { name: 'resumption with an unknown handle', send: [{ setup: { model: MODEL, sessionResumption: { handle: 'nope' } } }], code: 1007, reason: /resumption handle/ },
  ]
  for (const c of cases) {
    const client = await RawClient.open(c.url ?? sim.wsUrl())
    for (const message of c.send) client.send(message)
    const started = Date.now()
    const closed = await client.closed
    t.equal(closed.code, c.code, `${c.name}: code`)
    t.match(closed.reason, c.reason, `${c.name}: reason`)
    t.ok(Buffer.byteLength(closed.reason) <= 123, `${c.name}: reason fits 123 bytes`)
    t.ok(Date.now() - started < 1000, `${c.name}: at once`)
  }
  const conn = sim.connections.find((c) => c.received[0]?.kind === 'invalid')
  t.ok(conn !== undefined, 'a frame that is not JSON is recorded as invalid')
})

t.test('a text turn: several deltas, then generationComplete, then turnComplete with usageMetadata in one frame', async (t) => {
  const sim = await startTestSimulator(t, { script: { rules: [{ match: /.*/, reply: [{ say: 'The quick brown fox jumps over the lazy dog, twice.' }] }] } })
  const client = await openSession(sim)
  const from = client.mark()
  client.send({ clientContent: { turns: [{ role: 'user', parts: [{ text: 'go' }] }], turnComplete: true } })
  const frames = await client.turn(from)
  const shapes = frames.map(shape)
  const texts = shapes.filter((s) => s === 'text').length
  t.ok(texts >= 2, `${texts} text deltas`)
  t.same(shapes, [...Array(texts).fill('text'), 'generationComplete', 'turnComplete+usage'])
  t.equal(textOf(frames), 'The quick brown fox jumps over the lazy dog, twice.')
  const usage = frames.at(-1)!.json.usageMetadata
  t.match(usage, { promptTokenCount: Number, responseTokenCount: Number, totalTokenCount: Number, promptTokensDetails: [{ modality: 'TEXT' }], responseTokensDetails: [{ modality: 'TEXT' }] })
  t.equal(usage.totalTokenCount, usage.promptTokenCount + usage.responseTokenCount)
  t.ok(frames.every((f) => f.binary), 'all binary')
  client.ws.close()
})

t.test('snake_case input (the seed notebook) and binary client frames work; output is camelCase only', async (t) => {
  const sim = await startTestSimulator(t)
  const conn = sim.nextConnection()
  const client = await RawClient.open(sim.wsUrl())
  client.send({ setup: { model: 'gemini-3.1-flash-live-preview', generation_config: { response_modalities: ['TEXT'] } } }, true)
  await client.waitFor(has('setupComplete'))
  client.send({ client_content: { turns: [{ role: 'user', parts: [{ text: 'Please find the last 5 Denis Villeneuve movies.' }] }], turn_complete: true } }, true)
  const frames = await client.turn(0)
  t.match(textOf(frames), /Dune: Part Two/)
  const keys = JSON.stringify(frames.map((f) => f.json)).match(/"[a-z]+_[a-z_]+":/g)
  t.equal(keys, null, 'no snake_case key in any server frame')
  const received = (await conn).received
  t.same(received.map((f) => f.kind), ['setup', 'clientContent'], 'recorded with camelCase kinds')
  t.same(received.map((f) => f.binary), [true, true])
  t.match(received[1]?.message, { clientContent: { turns: [{ role: 'user' }], turnComplete: true } }, 'camelized message')
  t.equal((await conn).setup?.model, 'gemini-3.1-flash-live-preview', 'a model without models/ is accepted')
  client.ws.close()
})

t.test('tests can inspect and drive a connection: waitFor, send, close, terminate', async (t) => {
  const sim = await startTestSimulator(t)
  const accepted = sim.nextConnection()
  const client = await openSession(sim)
  const conn = await accepted
  t.equal(sim.connections.at(-1), conn)
  t.equal(conn.setup?.model, MODEL)
  t.match(conn.headers, { host: String })
  const waiting = conn.waitFor((f) => f.kind === 'realtimeInput')
  client.send({ realtimeInput: { text: 'hello' } })
  t.equal((await waiting).kind, 'realtimeInput')
  await t.rejects(conn.waitFor((f) => f.kind === 'toolResponse', 50), /no matching frame within 50 ms/)
  conn.send({ serverContent: { modelTurn: { parts: [{ text: 'injected' }] } } })
  const injected = await client.waitFor((f) => textOf([f]) === 'injected')
  t.equal(injected.binary, true)
  t.equal(conn.bufferedAmount, 0)
  conn.close(4003, 'scripted close')
  t.same(await client.closed, { code: 4003, reason: 'scripted close' })
  t.same(await conn.closed, { code: 4003, reason: 'scripted close' }, 'closed reports what the simulator sent')

  const second = sim.nextConnection()
  const other = await openSession(sim)
  ;(await second).terminate()
  t.equal((await other.closed).code, 1006, 'terminate drops the connection without a close frame')
  const third = sim.nextConnection()
  const leaver = await openSession(sim)
  leaver.ws.close(4001, 'user left')
  t.same(await (await third).closed, { code: 4001, reason: 'user left' }, 'the client\'s code and reason')
  t.notOk(isTurnComplete(client.frames[0]!))
})

t.test('close() shuts every session with 1001', async (t) => {
  const sim = await startTestSimulator(t)
  const client = await openSession(sim)
  await sim.close()
  t.equal((await client.closed).code, 1001)
})

t.test('closed connections stay inspectable, as many as keepClosedConnections allows (default 1,000; a load generator keeps none)', async (t) => {
  for (const [keep, expected] of [[undefined, 3], [2, 2], [0, 0]] as const) {
    const sim = await startTestSimulator(t, keep === undefined ? {} : { keepClosedConnections: keep })
    for (let i = 0; i < 3; i++) {
      const accepted = sim.nextConnection()
      const client = await openSession(sim)
      const conn = await accepted
      client.ws.close()
      await conn.closed
    }
    // The list is trimmed once the close has been handled, in the same turn as `closed` settles.
    await new Promise((resolve) => setImmediate(resolve))
    t.equal(sim.connections.length, expected, `keepClosedConnections ${String(keep)}`)
  }
})
