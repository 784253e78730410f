/**
 * Transparent resumption (issue 10 §2): livegate moves a session to a new upstream connection after goAway or a drop
 * while the client socket stays open, replays what the new connection has not consumed, and hides what the client
 * did not ask for. Real sockets, the simulator as Gemini.
 */
import t from 'tap'
import { CLIENT_TOKEN, startGateway } from '../helpers/gateway.js'
import { connect, openLive, hasKey, isTurnComplete, say, textOf, type ClientFrame, type TestClient } from '../helpers/ws-client.js'
import type { Script } from '../../src/simulator/script.js'
import type { SimulatorConnection } from '../../src/simulator/index.js'

const MODEL = 'models/gemini-3.1-flash-live-preview'
const SETUP = { setup: { model: MODEL, generationConfig: { responseModalities: ['TEXT'] } } }
const SILENCE = Buffer.alloc(3200).toString('base64')

/** Every answer names the turn's index (which continues across resumption) and what the user said. */
const NUMBERED: Script = {
  rules: [],
  fallback: (turn) => [{ say: `answer ${turn.index}: ${turn.text}` }],
}

const hasAnyKey = (...keys: string[]) => (f: ClientFrame): boolean => keys.some((k) => f.json !== undefined && k in f.json)

/** The text of each model turn, split at turnComplete; an interrupted partial turn does not count. */
function answers (client: TestClient): string[] {
  const out: string[] = []
  let current = ''
  for (const frame of client.frames) {
    if ((frame.json?.serverContent as { interrupted?: boolean } | undefined)?.interrupted === true) current = ''
    current += textOf(frame)
    if (isTurnComplete(frame)) {
      out.push(current)
      current = ''
    }
  }
  return out
}

async function turnsDone (client: TestClient, count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (client.frames.filter(isTurnComplete).length < count) {
    if (Date.now() > deadline) throw new Error(`only ${client.frames.filter(isTurnComplete).length} of ${count} turns`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

function kinds (conn: SimulatorConnection, kind: string): number {
  return conn.received.filter((f) => f.kind === kind).length
}

t.test('goAway every few hundred ms: text turns cross several upstream connections, each answered once, and the client sees none of it', async (t) => {
  const gw = await startGateway(t, { sim: { script: NUMBERED, connectionAgeMs: 700, goAwayNoticeMs: 400 } })
  const client = await openLive(gw.wsUrl, SETUP)
  const expected: string[] = []
  for (let i = 0; (i < 6 || gw.sim.connections.length < 4) && i < 200; i++) {
    say(client, `line ${i}`)
    expected.push(`answer ${i}: line ${i}`)
    await turnsDone(client, i + 1)
    await new Promise((resolve) => setTimeout(resolve, 30))
  }
  t.ok(gw.sim.connections.length >= 4, `${gw.sim.connections.length} upstream connections (at least three resumptions)`)
  t.same(answers(client), expected, 'every turn answered exactly once, in order, with the conversation carried over')
  t.equal(client.frames.filter(hasKey('setupComplete')).length, 1, 'one setupComplete: the resumed ones are not shown')
  t.notOk(client.frames.some(hasAnyKey('goAway', 'sessionResumptionUpdate')), 'no goAway, no sessionResumptionUpdate: the client did not ask')
  const resumed = gw.sim.connections.slice(1)
  await Promise.all(resumed.map(async (c) => await c.waitFor((f) => f.kind === 'setup')))
  t.ok(resumed.every((c) => typeof (c.setup?.sessionResumption as { handle?: unknown } | undefined)?.handle === 'string'), 'each new connection resumed with a handle')
  t.same(gw.sim.connections[0]?.setup?.sessionResumption, {}, 'livegate asked for resumption without transparent (Gemini API default)')
  const users = gw.sim.connections.reduce((n, c) => n + kinds(c, 'clientContent'), 0)
  t.ok(users >= expected.length, 'every user turn reached an upstream')
  t.equal(client.ws.readyState, client.ws.OPEN, 'the client socket stayed open')
  t.match(gw.logs.text(), /"msg":"upstream resumed"/)
  client.ws.close()
})

t.test('the upstream killed mid-turn (TCP drop): the partial turn is marked interrupted and answered once in full', async (t) => {
  const script: Script = {
    rules: [{ match: /story/, reply: [{ say: 'Once upon a time,' }, { wait: 400 }, { say: 'they lived happily.' }] }],
    fallback: NUMBERED.fallback,
  }
  const gw = await startGateway(t, { sim: { script } })
  const client = await openLive(gw.wsUrl, SETUP)
  say(client, 'hello')
  await turnsDone(client, 1)
  say(client, 'tell me a story')
  await client.waitFor((f) => /Once/.test(textOf(f)))
  gw.sim.connections[0]!.terminate()
  await turnsDone(client, 2)
  const all = answers(client)
  t.equal(all.length, 2, 'two turnCompletes for two user turns')
  t.match(all[1], /they lived happily\.$/)
  const interrupted = client.frames.findIndex((f) => (f.json?.serverContent as { interrupted?: boolean } | undefined)?.interrupted === true)
  t.ok(interrupted > 0, 'the partial turn was marked interrupted')
  const afterInterrupt = client.frames.slice(interrupted).map(textOf).join('')
  t.match(afterInterrupt, /^Once upon a time,\s+they lived happily\.$/, 'then the whole answer, once')
  t.equal(gw.sim.connections.length, 2)
  t.equal(kinds(gw.sim.connections[1]!, 'clientContent'), 1, 'only the unanswered turn was replayed')
  t.equal(client.ws.readyState, client.ws.OPEN)
  say(client, 'and now?')
  await turnsDone(client, 3)
  t.equal(answers(client)[2], 'answer 2: and now?', 'the conversation goes on, counting from the restored state')
  client.ws.close()
})

t.test('a 1011 mid-turn is resumed; the same failure three times in a row reaches the client with Google\'s code and reason', async (t) => {
  let crashes = 0
  const script: Script = {
    rules: [
      { match: /once/, reply: () => crashes++ === 0 ? [{ say: 'about to' }, { close: [1011, 'Internal error encountered.'] }] : [{ say: 'recovered' }] },
      { match: /always/, reply: [{ say: 'about to' }, { close: [1011, 'Internal error encountered.'] }] },
    ],
  }
  const gw = await startGateway(t, { sim: { script } })
  const client = await openLive(gw.wsUrl, SETUP)
  say(client, 'crash once')
  await turnsDone(client, 1)
  t.same(answers(client), ['recovered'])
  t.equal(gw.sim.connections.length, 2)
  say(client, 'crash always')
  const closed = await client.closed
  t.same(closed, { code: 1011, reason: 'Internal error encountered.' })
  t.equal(gw.sim.connections.length, 5, 'three resumptions without progress, then the client is told')
})

t.test('goAway while a server render (render_altair) runs: the dead call is cancelled, the new upstream gets one answer to its own call', async (t) => {
  let goAways = 0
  const spec = JSON.stringify({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { sequence: { start: 0, stop: 5000, as: 'x' } },
    transform: [{ calculate: 'sin(datum.x / 100)', as: 'y' }],
    mark: 'point',
    encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
  })
  const script: Script = {
    rules: [{
      match: /plot/,
      reply: () => [
        { say: 'Plotting.' },
        ...(goAways++ === 0 ? [{ goAway: '0.02s' }] : []),
        { call: { name: 'render_altair', args: { json_graph: spec } }, behavior: 'BLOCKING' },
        { sayFrom: (r) => `rendered: ${r[0]?.response.error === undefined ? 'ok' : 'error'}` },
      ],
    }],
  }
  // A loaded machine must not turn the render into a timeout: this is about ids, not speed.
  const gw = await startGateway(t, { sim: { script }, env: { LIVEGATE_TOOL_TIMEOUT_MS: '120000', LIVEGATE_RENDER_TIMEOUT_MS: '120000' } })
  const client = await openLive(`${gw.wsUrl}&livegate_events=1`, SETUP)
  say(client, 'plot it')
  await turnsDone(client, 1, 150_000)
  t.equal(gw.sim.connections.length, 2, 'one resumption')
  const [old, resumed] = gw.sim.connections as [SimulatorConnection, SimulatorConnection]
  t.equal(kinds(old, 'toolResponse'), 0, 'the old upstream, gone, got no answer')
  t.equal(kinds(resumed, 'toolResponse'), 1, 'the new upstream got exactly one answer')
  const runs = client.frames.map((f) => (f.json?.livegate as { toolRun?: { id: string, status: string } } | undefined)?.toolRun).filter((r) => r !== undefined)
  const answered = (resumed.received.find((f) => f.kind === 'toolResponse')?.message as { toolResponse: { functionResponses: Array<{ id: string }> } }).toolResponse.functionResponses[0]!.id
  t.same(runs.map((r) => r.status).sort(), ['cancelled', 'ok'], 'the dead call\'s run was cancelled, the new one ran')
  t.equal(runs.find((r) => r.status === 'ok')?.id, answered, 'the answer carries the new upstream\'s call id')
  t.not(runs.find((r) => r.status === 'cancelled')?.id, answered)
  t.notOk(client.frames.some(hasKey('toolCall')), 'server calls are never shown to the client')
  t.match(answers(client).at(-1), /rendered: ok$/)
  t.equal(client.frames.filter(isTurnComplete).length, 1, 'one turn for one question')
  t.equal(client.ws.readyState, client.ws.OPEN)
  client.ws.close()
})

t.test('a client that asked for resumption itself keeps its handles and goAway, and resumes on its own', async (t) => {
  const gw = await startGateway(t, { sim: { script: NUMBERED, connectionAgeMs: 1500, goAwayNoticeMs: 1000 } })
  const setup = { setup: { ...SETUP.setup, sessionResumption: {} } }
  const client = await openLive(gw.wsUrl, setup)
  say(client, 'first')
  await turnsDone(client, 1)
  t.ok(client.frames.some(hasKey('sessionResumptionUpdate')), 'handles reach the client')

  // An unplanned drop is still resumed by livegate: the client sees no close, and handles keep coming.
  const before = client.frames.filter(hasKey('sessionResumptionUpdate')).length
  gw.sim.connections[0]!.terminate()
  await new Promise((resolve) => setTimeout(resolve, 100))
  say(client, 'second')
  await turnsDone(client, 2)
  t.equal(answers(client)[1], 'answer 1: second')
  t.ok(client.frames.filter(hasKey('sessionResumptionUpdate')).length > before, 'new handles from the new upstream')
  t.equal(gw.sim.connections.length, 2)

  // goAway is the client's: it is forwarded, livegate does not move, and the client resumes with its newest handle.
  await client.waitFor(hasKey('goAway'), 10_000)
  const handle = [...client.frames].reverse()
    .map((f) => (f.json?.sessionResumptionUpdate as { newHandle?: string } | undefined)?.newHandle)
    .find((h) => typeof h === 'string' && h !== '')!
  client.ws.close()
  await client.closed
  const again = await openLive(gw.wsUrl, { setup: { ...SETUP.setup, sessionResumption: { handle } } })
  say(again, 'third')
  await turnsDone(again, 1)
  t.equal(answers(again)[0], 'answer 2: third', 'the client resumed the conversation itself')
  t.equal(gw.sim.connections.length, 3, 'livegate did not resume on the goAway it forwarded')
  again.ws.close()
})

t.test('replay buffer overflow: the session goes on, and a resumption it then needs ends it with LG_ERR_RELAY_RESUME_BUFFER_FULL', async (t) => {
  const gw = await startGateway(t, { sim: { script: NUMBERED }, env: { LIVEGATE_RESUME_BUFFER_MESSAGES: '4' } })
  const client = await openLive(gw.wsUrl, SETUP)
  const audio = { realtimeInput: { audio: { mimeType: 'audio/pcm;rate=16000', data: SILENCE } } }

  // Overflow, then a handle that covers everything again: a drop is resumed.
  for (let i = 0; i < 6; i++) client.send(audio)
  say(client, 'covered')
  await turnsDone(client, 1)
  await new Promise((resolve) => setTimeout(resolve, 100))
  gw.sim.connections[0]!.terminate()
  say(client, 'after the drop')
  await turnsDone(client, 2)
  t.same(answers(client), ['answer 0: covered', 'answer 1: after the drop'])

  // Overflow with no handle since: the drop cannot be resumed.
  for (let i = 0; i < 6; i++) client.send(audio)
  await gw.sim.connections[1]!.waitFor(() => kinds(gw.sim.connections[1]!, 'realtimeInput') >= 6)
  gw.sim.connections[1]!.terminate()
  const closed = await client.closed
  t.equal(closed.code, 1011)
  t.match(closed.reason, /^LG_ERR_RELAY_RESUME_BUFFER_FULL: /)
  t.equal(gw.sim.connections.length, 2, 'no resumption was attempted')
})

t.test('a refused resumption (expired handle) closes the client with the upstream\'s code and reason', async (t) => {
  const gw = await startGateway(t, { sim: { script: NUMBERED, handleTtlMs: 50 } })
  const client = await openLive(gw.wsUrl, SETUP)
  say(client, 'hello')
  await turnsDone(client, 1)
  await new Promise((resolve) => setTimeout(resolve, 200))
  gw.sim.connections[0]!.terminate()
  const closed = await client.closed
  t.same(closed, { code: 1007, reason: 'Invalid session resumption handle.' })
  t.equal(gw.sim.connections.length, 2, 'one attempt')
})

t.test('transparent mode: livegate asks for the index, and only what it did not cover is replayed', async (t) => {
  const gw = await startGateway(t, { sim: { script: NUMBERED }, env: { LIVEGATE_RESUME_TRANSPARENT: 'true' } })
  const client = await openLive(gw.wsUrl, SETUP)
  t.same(gw.sim.connections[0]?.setup?.sessionResumption, { transparent: true })
  say(client, 'one')
  await turnsDone(client, 1)
  client.send({ realtimeInput: { audio: { mimeType: 'audio/pcm;rate=16000', data: SILENCE } } })
  await gw.sim.connections[0]!.waitFor((f) => f.kind === 'realtimeInput')
  gw.sim.connections[0]!.terminate()
  say(client, 'two')
  await turnsDone(client, 2)
  const resumed = gw.sim.connections[1]!
  t.same(resumed.received.map((f) => f.kind), ['setup', 'realtimeInput', 'clientContent'], 'only what the handle did not cover was replayed, then the new turn')
  t.same(answers(client), ['answer 0: one', 'answer 1: two'])
  client.ws.close()
})

t.test('a client that never sent setup is not resumed (nothing to resume) and a plain close still propagates', async (t) => {
  const gw = await startGateway(t)
  const client = await connect(gw.wsUrl)
  await new Promise((resolve) => setTimeout(resolve, 50))
  client.send(SETUP)
  await client.waitFor(hasKey('setupComplete'))
  gw.sim.connections[0]!.close(1008, 'Operation is not implemented, or supported, or enabled.')
  t.same(await client.closed, { code: 1008, reason: 'Operation is not implemented, or supported, or enabled.' }, '1008 is not resumed')
})

// The JS SDK -------------------------------------------------------------------------------------------------------

interface SdkMessage {
  setupComplete?: unknown
  goAway?: unknown
  sessionResumptionUpdate?: unknown
  serverContent?: { turnComplete?: boolean, interrupted?: boolean, modelTurn?: { parts?: Array<{ text?: string }> } }
}
interface SdkSession {
  sendClientContent (params: { turns: unknown, turnComplete?: boolean }): void
  sendRealtimeInput (params: { audio: { data: string, mimeType: string } }): void
  close (): void
}
interface SdkModule {
  GoogleGenAI: new (options: { apiKey: string, httpOptions?: { baseUrl?: string } }) => {
    live: { connect (params: { model: string, config?: Record<string, unknown>, callbacks: { onmessage: (m: SdkMessage) => void, onclose?: (e: { code: number, reason: string }) => void } }): Promise<SdkSession> }
  }
}

const CHUNK_SAMPLES = 1600 // 100 ms at 16 kHz
/** 100 ms of 16 kHz PCM: a loud tone or silence; the first sample carries the chunk's number (inaudible to the VAD). */
function chunk (seq: number, loud: boolean): string {
  const pcm = Buffer.alloc(CHUNK_SAMPLES * 2)
  if (loud) for (let i = 0; i < CHUNK_SAMPLES; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin(i / 4)), i * 2)
  pcm.writeInt16LE(seq, 0)
  return pcm.toString('base64')
}

/**
 * The client messages the final conversation state is made of: each connection's messages up to the index the handle
 * it was resumed from covered, then the last connection's. Every message the client sent must be in it exactly once.
 */
function effectiveStream (connections: readonly SimulatorConnection[]): Array<Record<string, unknown>> {
  const byId = new Map(connections.map((c) => [c.id, c]))
  const upTo = (conn: SimulatorConnection, index: number): Array<Record<string, unknown>> => {
    const from = conn.resumedFrom
    const before = from === undefined ? [] : upTo(byId.get(from.connectionId)!, from.clientIndex)
    return [...before, ...conn.received.slice(1, index + 1).map((f) => f.message)]
  }
  const last = connections.at(-1)!
  return upTo(last, last.received.length - 1)
}

t.test('@google/genai: a session with streaming audio and text turns crosses at least three resumptions; every frame consumed once, every turn answered once', async (t) => {
  const { GoogleGenAI } = await import('@google/genai') as unknown as SdkModule
  const script: Script = { ...NUMBERED, transcribe: ({ durationMs }) => `audio of ${durationMs} ms` }
  const gw = await startGateway(t, {
    sim: { script, connectionAgeMs: 900, goAwayNoticeMs: 600 },
    env: { LIVEGATE_RESUME_TRANSPARENT: 'true' },
  })
  const ai = new GoogleGenAI({ apiKey: CLIENT_TOKEN, httpOptions: { baseUrl: gw.httpUrl } })
  const messages: SdkMessage[] = []
  let closedBy: { code: number, reason: string } | undefined
  const session = await ai.live.connect({
    model: 'gemini-3.1-flash-live-preview',
    config: { responseModalities: ['TEXT'] },
    callbacks: { onmessage: (m) => { messages.push(m) }, onclose: (e) => { closedBy = { code: e.code, reason: e.reason } } },
  })
  const completed = (): number => messages.filter((m) => m.serverContent?.turnComplete === true).length
  const waitTurns = async (n: number): Promise<void> => {
    const deadline = Date.now() + 30_000
    while (completed() < n) {
      if (Date.now() > deadline || closedBy !== undefined) throw new Error(`turn ${n} not answered (closed: ${JSON.stringify(closedBy)})`)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }
  const expected: string[] = []
  const sentTexts: string[] = []
  let seq = 0
  let turn = 0
  for (let round = 0; (round < 4 || gw.sim.connections.length < 4) && round < 60; round++) {
    const text = `text turn ${round}`
    session.sendClientContent({ turns: [{ role: 'user', parts: [{ text }] }], turnComplete: true })
    sentTexts.push(text)
    expected.push(`answer ${turn++}: ${text}`)
    await waitTurns(turn)
    // 600 ms of speech, then 700 ms of silence: one audio turn; the stream goes on while the switches happen.
    for (let i = 0; i < 13; i++) {
      session.sendRealtimeInput({ audio: { data: chunk(seq++, i < 6), mimeType: 'audio/pcm;rate=16000' } })
      await new Promise((resolve) => setTimeout(resolve, 8))
    }
    expected.push(`answer ${turn++}: audio of 600 ms`)
    await waitTurns(turn)
  }
  t.ok(gw.sim.connections.length >= 4, `${gw.sim.connections.length} upstream connections`)
  t.equal(closedBy, undefined, 'the client socket was never closed')

  const said: string[] = []
  let current = ''
  for (const m of messages) {
    if (m.serverContent?.interrupted === true) current = ''
    current += (m.serverContent?.modelTurn?.parts ?? []).map((p) => p.text ?? '').join('')
    if (m.serverContent?.turnComplete === true) { said.push(current); current = '' }
  }
  t.same(said, expected, 'every turn answered exactly once, in order')
  t.equal(messages.filter((m) => m.setupComplete !== undefined).length, 1)
  t.notOk(messages.some((m) => m.goAway !== undefined || m.sessionResumptionUpdate !== undefined))

  const stream = effectiveStream(gw.sim.connections)
  const audio = stream.flatMap((m) => {
    const data = (m.realtimeInput as { audio?: { data: string } } | undefined)?.audio?.data
    return data === undefined ? [] : [Buffer.from(data, 'base64').readInt16LE(0)]
  })
  const texts = stream.flatMap((m) => {
    const turns = (m.clientContent as { turns?: Array<{ parts: Array<{ text: string }> }> } | undefined)?.turns
    return turns === undefined ? [] : [turns[0]!.parts[0]!.text]
  })
  t.same(audio, Array.from({ length: seq }, (_, i) => i), `all ${seq} audio frames consumed exactly once, in order`)
  t.same(texts, sentTexts, 'every text turn consumed exactly once')
  session.close()
})

/** Audio frames of silence with a sequence number in their first bytes, and the numbers echoed back to a client. */
function stampedAudio (seq: number): unknown {
  const pcm = Buffer.alloc(640)
  pcm.writeUInt32BE(seq, 0)
  return { realtimeInput: { audio: { mimeType: 'audio/pcm;rate=16000', data: pcm.toString('base64') } } }
}
function echoedSeqs (client: TestClient): number[] {
  return client.frames.flatMap((f) => {
    const parts = ((f.json?.serverContent as { modelTurn?: { parts?: Array<{ inlineData?: { data: string } }> } } | undefined)?.modelTurn?.parts) ?? []
    return parts.flatMap((p) => p.inlineData === undefined ? [] : [Buffer.from(p.inlineData.data, 'base64').readUInt32BE(0)])
  })
}

interface EchoMode {
  name: string
  env: Record<string, string>
  sim?: { pongDelayMs: number }
  burst: number
  everyMs: number
  /** Whether the gateway fences the old upstream before a switch (without an index) or never (with one). */
  fences: 'yes' | 'no'
}
const echoModes: EchoMode[] = [
  { name: 'handles with index', env: { LIVEGATE_RESUME_TRANSPARENT: 'true' }, burst: 1, everyMs: 20, fences: 'no' },
  { name: 'handles without index (Gemini API), frames in flight at every handle: the switch fences the old upstream', env: { LIVEGATE_RESUME_BUFFER_MESSAGES: '20000' }, burst: 2, everyMs: 1, fences: 'yes' },
  // Gemini's pongs have been measured at 8–30 s: no pong can pass a fence, holding back for several round trips does.
  { name: 'handles without index, pongs later than the fence lasts: the fence passes by holding back', env: { LIVEGATE_RESUME_BUFFER_MESSAGES: '20000', LIVEGATE_RESUME_FENCE_MS: '600' }, sim: { pongDelayMs: 1_000 }, burst: 2, everyMs: 1, fences: 'yes' },
]
for (const mode of echoModes) {
  t.test(`echo mode, a continuous audio stream across goAways (${mode.name}): every frame echoed exactly once, in order, where a handle proves what the upstream read`, async (t) => {
    // goAway 0.5 s into each connection, the deadline 3.5 s later: livegate waits for the next handle (the simulator
    // issues one per second of echoed audio) instead of moving between two, which would echo the frames since the
    // last handle a second time. Without an index, the frames in flight when a handle arrives are its uncertain
    // part: the switch holds new frames back and moves with a handle that came after the old upstream's pong.
    const gw = await startGateway(t, { sim: { echo: true, connectionAgeMs: 4000, goAwayNoticeMs: 3500, ...mode.sim }, env: mode.env })
    const client = await openLive(gw.wsUrl, { setup: { model: 'models/gemini-3.8-live', generationConfig: { responseModalities: ['AUDIO'] } } })
    let seq = 0
    // A dense stream keeps frames in flight when a handle arrives: the case a coverage rule without the index gets wrong.
    const started = Date.now()
    while ((gw.sim.connections.length < 4 || seq < 100) && Date.now() - started < 20_000) {
      for (let i = 0; i < mode.burst; i++) client.send(stampedAudio(seq++))
      await new Promise((resolve) => setTimeout(resolve, mode.everyMs))
    }
    const deadline = Date.now() + 30_000
    while (new Set(echoedSeqs(client)).size < seq && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    await new Promise((resolve) => setTimeout(resolve, 200))
    t.ok(gw.sim.connections.length >= 4, `${gw.sim.connections.length} upstream connections (at least three switches)`)
    const switches = gw.logs.entries().filter((e) => e.msg === 'resuming upstream')
    const estimated = switches.filter((e) => e.estimatedCoverage === true).length
    const fenced = gw.logs.entries().filter((e) => e.msg === 'fencing the old upstream').length
    const echoed = echoedSeqs(client)
    const all = Array.from({ length: seq }, (_, i) => i)
    if (estimated === 0) {
      t.same(echoed, all, `all ${seq} frames echoed once, none lost, none twice (${switches.length} switches, none estimated)`)
    } else {
      // A switch no handle proved (the fence timed out: no handle came after its pong; or pongs come too late for a
      // fence) splits the frames sent within a round trip of the handle by the shortest one measured: a few of those
      // may be echoed twice or not at all, nothing else.
      const unique = new Set(echoed)
      const repeated = echoed.length - unique.size
      const missing = seq - unique.size
      t.ok(repeated + missing <= 50 * estimated, `${repeated} repeated, ${missing} missing of ${seq} over ${estimated} of ${switches.length} switches that had to estimate (at most 50 each)`)
      t.same([...unique].sort((x, y) => x - y), all.filter((n) => unique.has(n)), 'nothing echoed that was not sent')
      const stepsBack = echoed.filter((n, i) => i > 0 && n <= (echoed[i - 1] as number)).length
      t.ok(stepsBack <= estimated, `in order, apart from a repeat at a switch that estimated (${stepsBack} steps back)`)
    }
    if (mode.env.LIVEGATE_RESUME_TRANSPARENT === 'true') t.equal(estimated, 0, 'with an index no switch estimates')
    if (mode.fences === 'yes') t.ok(fenced >= 1, `the old upstream was fenced (${fenced} times)`)
    else t.equal(fenced, 0, 'no fence')
    if (mode.sim?.pongDelayMs !== undefined) {
      const inferred = switches.filter((e) => e.coverage === 'inferred').length
      t.notOk(switches.some((e) => e.coverage === 'exact'), 'no switch is called exact: no pong proved one')
      t.ok(inferred >= 1, `${inferred} of ${switches.length} switches moved with a handle after the quiet hold`)
    }
    t.equal(client.ws.readyState, client.ws.OPEN, 'the client socket stayed open')
    t.notOk(client.frames.some(hasAnyKey('goAway', 'sessionResumptionUpdate')), 'the client saw no goAway or handle')
    t.same(gw.sim.connections[0]?.setup?.sessionResumption, mode.env.LIVEGATE_RESUME_TRANSPARENT === 'true' ? { transparent: true } : {})
    client.ws.close()
  })
}
