import t from 'tap'
import type { Script } from '../../src/simulator/index.js'
import { MODEL, RawClient, has, isTurnComplete, openSession, shape, startTestSimulator, textOf } from './client.js'

t.test('goAway{timeLeft} comes before the connection age, then close 1011 "Deadline expired…" at the age', async (t) => {
  const sim = await startTestSimulator(t, { connectionAgeMs: 400, goAwayNoticeMs: 250 })
  const opened = Date.now()
  const client = await openSession(sim)
  const goAway = await client.waitFor(has('goAway'))
  const goAwayAt = Date.now() - opened
  t.same(goAway.json, { goAway: { timeLeft: '0.250s' } })
  t.equal(goAway.binary, true)
  t.ok(goAwayAt >= 140, `goAway after ${goAwayAt} ms (not before age 400 − notice 250)`)
  const closed = await client.closed
  const closedAt = Date.now() - opened
  t.same(closed, { code: 1011, reason: 'Deadline expired before operation could complete.' })
  t.ok(closedAt >= 390, `closed after ${closedAt} ms (not before the age)`)
  t.ok(closedAt - goAwayAt >= 240, 'timeLeft after the goAway')
})

t.test('the notice is capped to the age, and 10 minutes / 50 s are the defaults', async (t) => {
  const sim = await startTestSimulator(t, { connectionAgeMs: 100, goAwayNoticeMs: 5000 })
  const client = await openSession(sim)
  t.same((await client.waitFor(has('goAway'))).json, { goAway: { timeLeft: '0.100s' } })
  t.equal((await client.closed).code, 1011)
  const { DEFAULT_CONNECTION_AGE_MS, DEFAULT_GO_AWAY_NOTICE_MS } = await import('../../src/simulator/server.js')
  t.equal(DEFAULT_CONNECTION_AGE_MS, 600_000)
  t.equal(DEFAULT_GO_AWAY_NOTICE_MS, 50_000)
})

t.test('a script can send goAway itself', async (t) => {
  const sim = await startTestSimulator(t, { script: { rules: [{ match: /.*/, reply: [{ goAway: '0.1s' }] }] } })
  const client = await openSession(sim)
  client.say('anything')
  t.same((await client.waitFor(has('goAway'))).json, { goAway: { timeLeft: '0.100s' } })
  t.same(await client.closed, { code: 1011, reason: 'Deadline expired before operation could complete.' })
})

const RECALL: Script = {
  rules: [
    { match: /long/, reply: [{ wait: 100 }, { say: 'done waiting' }] },
    { match: /remember/, reply: (turn) => [{ say: `earlier: ${turn.history.filter((h) => h.role === 'user').map((h) => h.text).join(' / ')}` }] },
  ],
  fallback: [{ say: 'ok' }],
}

t.test('sessionResumptionUpdate: a handle when idle, resumable:false while busy; none without sessionResumption', async (t) => {
  const sim = await startTestSimulator(t, { script: RECALL })
  const plain = await openSession(sim)
  plain.say('hello')
  await plain.turn(1)
  t.notOk(plain.frames.some(has('sessionResumptionUpdate')), 'not asked for: never sent')
  plain.ws.close()

  const client = await openSession(sim, { session_resumption: {} })
  const first = await client.waitFor(has('sessionResumptionUpdate'))
  t.equal(client.frames.indexOf(first), 1, 'right after setupComplete')
  t.match(first.json.sessionResumptionUpdate, { newHandle: /^[\w-]{20,}$/, resumable: true })
  t.notOk('lastConsumedClientMessageIndex' in first.json.sessionResumptionUpdate, 'no index without transparent')
  const from = client.mark()
  client.say('a long one')
  const turn = await client.turn(from)
  t.same(turn[0]!.json, { sessionResumptionUpdate: { resumable: false } }, 'busy: not resumable, no handle')
  const after = await client.waitFor(has('sessionResumptionUpdate'), from + turn.length)
  t.match(after.json.sessionResumptionUpdate, { newHandle: String, resumable: true }, 'idle again: a new handle')
  t.not(after.json.sessionResumptionUpdate.newHandle, first.json.sessionResumptionUpdate.newHandle)
  client.ws.close()
})

t.test('transparent: lastConsumedClientMessageIndex, an int64 string counting setup as 0', async (t) => {
  const sim = await startTestSimulator(t, { script: RECALL })
  const client = await openSession(sim, { sessionResumption: { transparent: true } })
  const first = await client.waitFor(has('sessionResumptionUpdate'))
  t.same(first.json.sessionResumptionUpdate.lastConsumedClientMessageIndex, '0')
  const from = client.mark()
  client.send({ realtimeInput: { audio: { mimeType: 'audio/pcm;rate=16000', data: Buffer.alloc(640).toString('base64') } } })
  client.say('hi')
  await client.turn(from)
  const last = await client.waitFor((f) => f.json.sessionResumptionUpdate?.resumable === true, from)
  t.equal(last.json.sessionResumptionUpdate.lastConsumedClientMessageIndex, '2', 'setup, audio, clientContent')
  client.ws.close()
})

t.test('resumption by handle restores the conversation on a new connection', async (t) => {
  const sim = await startTestSimulator(t, { script: RECALL })
  const client = await openSession(sim, { sessionResumption: {} })
  client.say('the first thing')
  await client.turn(2)
  client.say('the second thing')
  await client.turn(client.mark())
  const handle = (await client.waitFor((f) => f.json.sessionResumptionUpdate?.resumable === true && client.frames.indexOf(f) > 3)).json
  const latest = [...client.frames].reverse().find((f) => f.json.sessionResumptionUpdate?.newHandle !== undefined)!.json.sessionResumptionUpdate.newHandle as string
  t.ok(handle)

  // While the session's socket is still open, resuming it is refused (aicc2025/sip-to-ai PR #14).
  const early = await RawClient.open(sim.wsUrl())
  early.send({ setup: { model: MODEL, sessionResumption: { handle: latest } } })
  t.equal((await early.closed).code, 1011, 'the old socket must be closed first')

  client.ws.close()
  await client.closed
  const resumed = await RawClient.open(sim.wsUrl())
  resumed.send({ setup: { model: MODEL, generationConfig: { responseModalities: ['TEXT'] }, sessionResumption: { handle: latest } } })
  await resumed.waitFor(has('setupComplete'))
  resumed.say('do you remember?')
  const frames = await resumed.turn(1)
  t.equal(textOf(frames), 'earlier: the first thing / the second thing', 'the model knows the earlier turns')
  t.ok(resumed.frames.some(has('sessionResumptionUpdate')), 'and keeps issuing handles')
  resumed.ws.close()
})

t.test('echo mode answers each audio frame at once with the same data, without recording it', async (t) => {
  const sim = await startTestSimulator(t, { echo: true })
  const accepted = sim.nextConnection()
  const client = await openSession(sim)
  const conn = await accepted
  const data = Buffer.alloc(640, 7).toString('base64')
  const from = client.mark()
  for (let i = 0; i < 50; i++) client.send({ realtimeInput: { audio: { mimeType: 'audio/pcm;rate=16000', data } } })
  client.send({ realtime_input: { media_chunks: [{ mime_type: 'audio/pcm;rate=16000', data }] } })
  await client.waitFor(() => client.frames.length - from === 51)
  const echoes = client.frames.slice(from)
  t.ok(echoes.every((f) => f.binary), 'binary frames')
  t.same(echoes[0]!.json, { serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: 'audio/pcm;rate=16000', data } }] } } })
  t.ok(echoes.every((f) => f.json.serverContent.modelTurn.parts[0].inlineData.data === data))
  t.equal(echoes[0]!.data.toString(), JSON.stringify(echoes[0]!.json, null, 2), 'pretty-printed like every Gemini frame')
  t.same(conn.received.map((f) => f.kind), ['setup'], 'audio frames are not kept')
  // Anything else still goes through the session.
  client.say('hello')
  t.match(textOf(await client.turn(client.mark())), /simulator/)
  client.ws.close()
})

t.test('an audio turn in the default shape sequence: the VAD turn, then the model\'s audio', async (t) => {
  const sim = await startTestSimulator(t, { script: { rules: [], fallback: [{ say: 'Yes.' }] } })
  const client = await RawClient.open(sim.wsUrl())
  client.send({ setup: { model: MODEL, generationConfig: { responseModalities: ['AUDIO'] } } })
  await client.waitFor(has('setupComplete'))
  client.send({ realtimeInput: { text: 'hi' } })
  const frames = await client.turn(1)
  t.same([...new Set(frames.map(shape))], ['audio', 'generationComplete', 'turnComplete+usage'])
  client.ws.close()
})

async function pingRoundTrip (client: RawClient, payload: string): Promise<{ ms: number, payload: string }> {
  const sent = performance.now()
  const pong = new Promise<Buffer>((resolve) => { client.ws.once('pong', resolve) })
  client.ws.ping(payload)
  const data = await pong
  return { ms: performance.now() - sent, payload: data.toString('utf8') }
}

t.test('pings are answered at once by default, and pongDelayMs late with the same payload (Gemini pongs late)', async (t) => {
  const prompt = await openSession(await startTestSimulator(t))
  const atOnce = await pingRoundTrip(prompt, 'p1')
  t.equal(atOnce.payload, 'p1')
  t.ok(atOnce.ms < 250, `default pong after ${atOnce.ms.toFixed(1)} ms`)

  const slow = await openSession(await startTestSimulator(t, { pongDelayMs: 300 }))
  const late = await pingRoundTrip(slow, 'p2')
  t.equal(late.payload, 'p2', 'the pong echoes the ping payload')
  t.ok(late.ms >= 295, `delayed pong after ${late.ms.toFixed(1)} ms (not before 300)`)
  slow.say('still there?')
  await slow.waitFor(isTurnComplete)
  t.pass('the session works while a pong is pending')
})
