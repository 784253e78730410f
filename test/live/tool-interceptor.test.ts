import t from 'tap'
import { startGateway, SERVER_KEY } from '../helpers/gateway.js'
import { connect, openLive, say, hasKey, isTurnComplete, textOf, type TestClient, type ClientFrame } from '../helpers/ws-client.js'
import { encodeServerMessage } from '../../src/live/protocol.js'
import type { Script } from '../../src/simulator/script.js'
import { SEED_ALTAIR_JSON, SEED_PROMPTS, SEED_TOOLS, RENDER_ALTAIR_DECLARATION } from '../../src/simulator/seed.js'
import type { ReceivedFrame } from '../../src/simulator/types.js'

const MODEL = 'models/gemini-3.1-flash-live-preview'
/** A deadline, not a speed target: the first render of a fresh pool loads vega in a new worker, slow on a busy CI box. */
const RENDER_WAIT_MS = 60000
/** The seed notebook declares render_altair itself; its operator lets the server run it (issue 12 §3). */
const SEED_ENV = { LIVEGATE_SERVER_TOOLS_OVERRIDE: 'render_altair' }
const WEATHER = { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } } } }

function pngSize (bytes: Buffer): { width: number, height: number } {
  if (bytes.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG')
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) }
}


/** The seed notebook's handler: answer every call the client sees with `{'string_value': 'ok'}`. */
function answerEveryCallWithOk (client: TestClient): void {
  client.ws.on('message', (data: Buffer) => {
    const msg = JSON.parse(data.toString()) as { toolCall?: { functionCalls: Array<{ id: string, name: string }> } }
    for (const fc of msg.toolCall?.functionCalls ?? []) {
      client.send({ tool_response: { function_responses: [{ id: fc.id, name: fc.name, response: { result: { string_value: 'ok' } } }] } })
    }
  })
}

const toolResponses = (frames: readonly ReceivedFrame[]): Array<{ id: string, name: string, response: Record<string, unknown> }> =>
  frames.filter((f) => f.kind === 'toolResponse')
    .flatMap((f) => (f.message.toolResponse as { functionResponses: Array<{ id: string, name: string, response: Record<string, unknown> }> }).functionResponses)

const isToolRun = (frame: ClientFrame): boolean => (frame.json?.livegate as { toolRun?: unknown } | undefined)?.toolRun !== undefined
const toolRunOf = (frame: ClientFrame): Record<string, unknown> => (frame.json?.livegate as { toolRun: Record<string, unknown> }).toolRun

async function openSeedSession (url: string, tools: unknown = SEED_TOOLS.plotting): Promise<TestClient> {
  const client = await connect(url)
  client.send({ setup: { model: MODEL, tools, generation_config: { response_modalities: ['TEXT'] } } })
  await client.waitFor(hasKey('setupComplete'))
  return client
}

t.test('the seed\'s plotting conversation: the chart renders on the server and the model gets one toolResponse', async (t) => {
  const gw = await startGateway(t, { env: SEED_ENV })
  const client = await openSeedSession(gw.wsUrl)
  answerEveryCallWithOk(client)
  const conn = gw.sim.connections[0]!
  const declared = ((conn.setup?.tools ?? []) as Array<{ functionDeclarations?: Array<{ name: string, description: string }> }>)
    .flatMap((entry) => entry.functionDeclarations ?? [])
  t.same(declared.filter((d) => d.name === 'render_altair').length, 1, 'one render_altair declaration upstream: the server\'s')
  t.match(gw.logs.text(), /client declaration replaced by the server tool \(LIVEGATE_SERVER_TOOLS_OVERRIDE\)/)

  say(client, SEED_PROMPTS.films)
  await client.waitFor(isTurnComplete, RENDER_WAIT_MS)
  const before = client.frames.length
  say(client, SEED_PROMPTS.plot)
  await client.waitFor((f) => client.frames.indexOf(f) >= before && isTurnComplete(f), RENDER_WAIT_MS)

  const responses = toolResponses(conn.received)
  t.equal(responses.length, 1, 'exactly one toolResponse upstream')
  const call = conn.received.length > 0 ? await conn.waitFor((f) => f.kind === 'toolResponse') : undefined
  t.ok(call)
  const response = responses[0]!
  t.equal(response.name, 'render_altair')
  t.match(response.id, /^function-call-\d+$/, 'the id of the model\'s call')
  const image = response.response.image as { png: string, svg: string, width: number, height: number }
  t.equal(response.response.result, 'ok', 'the seed\'s contract: the model reads ok')
  t.match(image.png, new RegExp(`^${gw.httpUrl}/v1/artifacts/[A-Za-z0-9_-]+\\.png$`))
  t.notMatch(JSON.stringify(response), SERVER_KEY)
  t.notOk(client.frames.some((f) => f.json !== undefined && 'toolCall' in f.json), 'the client never saw the server call')
  t.notOk(client.frames.some(isToolRun), 'no event frames for a client that did not ask')

  const res = await fetch(image.png)
  t.equal(res.status, 200)
  t.equal(res.headers.get('content-type'), 'image/png')
  const size = pngSize(Buffer.from(await res.arrayBuffer()))
  t.same(size, { width: image.width, height: image.height }, 'a real PNG of the size the model was told')
  const svg = await fetch(image.svg)
  t.equal(svg.status, 200)
  t.match(await svg.text(), /<svg/)
  client.ws.close()
})

t.test('one toolCall with a server and a client function: the client sees only its own call, ids unchanged', async (t) => {
  const script: Script = {
    rules: [{
      match: /both/,
      reply: [
        { call: [{ name: 'render_altair', args: { altair_json: SEED_ALTAIR_JSON, theme: 'dark' } }, { name: 'get_weather', args: { city: 'Paris' } }] },
        { sayFrom: (responses) => responses.map((r) => `${r.name}:${JSON.stringify(r.response).slice(0, 40)}`).join(' | ') },
      ],
    }],
  }
  const gw = await startGateway(t, { sim: { script } })
  const client = await openSeedSession(`${gw.wsUrl}&livegate_events=1`, [{ functionDeclarations: [WEATHER] }])
  const conn = gw.sim.connections[0]!
  say(client, 'do both')
  const callFrame = await client.waitFor(hasKey('toolCall'))
  const calls = (callFrame.json?.toolCall as { functionCalls: Array<{ id: string, name: string }> }).functionCalls
  t.same(calls.map((c) => c.name), ['get_weather'], 'only the client\'s call')
  t.equal(callFrame.binary, true, 'rewritten frame keeps the upstream frame type')
  client.send({ toolResponse: { functionResponses: [{ id: calls[0]!.id, name: 'get_weather', response: { output: 'sunny' } }] } })
  const turnEnd = await client.waitFor(isTurnComplete, RENDER_WAIT_MS)
  t.ok(turnEnd)
  const answer = client.frames.map(textOf).join('')
  t.match(answer, /render_altair:\{"result":"ok"/, 'the model got the server result')
  t.match(answer, /get_weather:\{"output":"sunny"\}/, 'and the client result')
  const responses = toolResponses(conn.received)
  t.equal(responses.length, 2)
  t.equal(new Set(responses.map((r) => r.id)).size, 2)
  t.ok(responses.some((r) => r.id === calls[0]!.id), 'the client answered its call under the model\'s id')
  const run = toolRunOf(client.frames.find(isToolRun)!)
  t.equal(run.name, 'render_altair')
  t.equal(run.status, 'ok')
  t.match(run, { args: { theme: 'dark' }, artifacts: [{ mimeType: 'image/png' }, { mimeType: 'image/svg+xml' }] })
  t.type(run.durationMs, 'number')
  client.ws.close()
})

t.test('an invalid spec gets an error response the model can act on, and the next turn still works', async (t) => {
  const script: Script = {
    rules: [
      { match: /broken/, reply: [{ call: { name: 'render_altair', args: { altair_json: '{"mark": "line", "encoding": {"x": {"field": 1' } } }, { sayFrom: (r) => `failed with ${JSON.stringify(r[0]?.response)}` }] },
      { match: /refused/, reply: [{ call: { name: 'render_altair', args: { altair_json: JSON.stringify({ data: { url: 'file:///etc/passwd' }, mark: 'point' }) } } }, { sayFrom: (r) => `failed with ${JSON.stringify(r[0]?.response)}` }] },
      { match: /hello/, reply: [{ say: 'hello again' }] },
    ],
  }
  const gw = await startGateway(t, { sim: { script }, env: SEED_ENV })
  const client = await openSeedSession(`${gw.wsUrl}&livegate_events=1`)
  const conn = gw.sim.connections[0]!
  say(client, 'broken chart')
  await client.waitFor(isTurnComplete, RENDER_WAIT_MS)
  const [bad] = toolResponses(conn.received)
  t.match(bad?.response, { error: { code: 'LG_ERR_RENDER_BAD_JSON', message: String } }, 'a JSON error with its code')
  const run = toolRunOf(client.frames.find(isToolRun)!)
  t.equal(run.status, 'error')
  t.match(run.error, { code: 'LG_ERR_RENDER_BAD_JSON' })

  const before = client.frames.length
  say(client, 'refused load')
  await client.waitFor((f) => client.frames.indexOf(f) >= before && isTurnComplete(f), RENDER_WAIT_MS)
  const refused = toolResponses(conn.received)[1]
  t.match(refused?.response, { error: { code: 'LG_ERR_RENDER_LOAD_REFUSED' } })
  t.match(JSON.stringify(refused?.response), /values/, 'tells the model to inline its data')

  const mark = client.frames.length
  say(client, 'hello')
  await client.waitFor((f) => client.frames.indexOf(f) >= mark && isTurnComplete(f), RENDER_WAIT_MS)
  t.match(client.frames.slice(mark).map(textOf).join(''), /hello again/)
  client.ws.close()
})

t.test('a client answering the server call\'s id itself is dropped: the model gets one response', async (t) => {
  const script: Script = { rules: [{ match: /plot/, reply: [{ call: { name: 'render_altair', args: { altair_json: SEED_ALTAIR_JSON } } }, { say: 'done' }] }] }
  const gw = await startGateway(t, { sim: { script }, env: SEED_ENV })
  const client = await openSeedSession(`${gw.wsUrl}&livegate_events=1`)
  const conn = gw.sim.connections[0]!
  say(client, 'plot it')
  const event = await client.waitFor(isToolRun, RENDER_WAIT_MS)
  const id = toolRunOf(event).id as string
  // A client that learnt the id from the event and answers it anyway, in snake case, like the seed handler.
  client.send({ tool_response: { function_responses: [{ id, name: 'render_altair', response: { result: { string_value: 'ok' } } }] } })
  await client.waitFor(isTurnComplete, RENDER_WAIT_MS)
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(toolResponses(conn.received).filter((r) => r.id === id).length, 1, 'only the server\'s response reached the model')
  t.equal(conn.received.filter((f) => f.kind === 'toolResponse').length, 1)
  t.match(gw.logs.text(), /dropped client toolResponse for server-run calls/)
  client.ws.close()
})

t.test('a client that opted out with ?server_tools=none sees and answers the raw call', async (t) => {
  const gw = await startGateway(t)
  const client = await openSeedSession(`${gw.wsUrl}&server_tools=none&livegate_events=1`)
  answerEveryCallWithOk(client)
  const conn = gw.sim.connections[0]!
  const declared = ((conn.setup?.tools ?? []) as Array<{ functionDeclarations?: Array<{ name: string, description: string }> }>)
    .flatMap((entry) => entry.functionDeclarations ?? [])
  t.equal(declared.find((d) => d.name === 'render_altair')?.description, RENDER_ALTAIR_DECLARATION.description, 'the client\'s own declaration went upstream')
  say(client, SEED_PROMPTS.plot)
  const callFrame = await client.waitFor(hasKey('toolCall'), RENDER_WAIT_MS)
  t.match(callFrame.json, { toolCall: { functionCalls: [{ name: 'render_altair' }] } })
  await client.waitFor(isTurnComplete, RENDER_WAIT_MS)
  t.match(toolResponses(conn.received)[0]?.response, { result: { string_value: 'ok' } }, 'the client\'s answer reached the model')
  t.notOk(client.frames.some(isToolRun), 'no server runs, no events')
  client.ws.close()
})

t.test('an unknown ?server_tools name is refused with 1008 and the valid names', async (t) => {
  const gw = await startGateway(t)
  const client = await connect(`${gw.wsUrl}&server_tools=render_altair,nope`)
  const closed = await client.closed
  t.equal(closed.code, 1008)
  t.match(closed.reason, /^LG_ERR_TOOL_UNKNOWN: .*nope/)
})

t.test('toolCallCancellation aborts a slow server render: no response for it, only client ids forwarded', async (t) => {
  // A chart with many rows and a heavy transform keeps the one render worker busy long enough to barge in.
  const slowSpec = JSON.stringify({
    data: { sequence: { start: 0, stop: 90000, as: 'i' } },
    transform: [{ calculate: 'sin(datum.i) * cos(datum.i / 7)', as: 'y' }, { window: [{ op: 'rank', as: 'r' }], sort: [{ field: 'y' }] }],
    mark: 'point',
    encoding: { x: { field: 'i', type: 'quantitative' }, y: { field: 'r', type: 'quantitative' } },
    width: 1200,
    height: 800,
  })
  const script: Script = {
    rules: [
      { match: /slow/, reply: [{ call: [{ name: 'render_altair', args: { altair_json: slowSpec } }, { name: 'get_weather', args: { city: 'Oslo' } }] }, { say: 'rendered' }] },
      { match: /stop/, reply: [{ say: 'ok, stopped' }] },
    ],
  }
  const gw = await startGateway(t, { sim: { script } })
  const client = await openSeedSession(`${gw.wsUrl}&livegate_events=1`, [{ functionDeclarations: [WEATHER] }])
  const conn = gw.sim.connections[0]!
  say(client, 'slow chart please')
  const callFrame = await client.waitFor(hasKey('toolCall'), RENDER_WAIT_MS)
  const clientId = (callFrame.json?.toolCall as { functionCalls: Array<{ id: string }> }).functionCalls[0]!.id
  say(client, 'stop') // barge in while the render runs
  const cancel = await client.waitFor(hasKey('toolCallCancellation'), RENDER_WAIT_MS)
  t.same(cancel.json?.toolCallCancellation, { ids: [clientId] }, 'only the client\'s id is forwarded')
  const event = await client.waitFor((f) => isToolRun(f) && toolRunOf(f).status === 'cancelled', RENDER_WAIT_MS)
  t.equal(toolRunOf(event).name, 'render_altair')
  const afterCancel = client.frames.indexOf(cancel)
  await client.waitFor((f) => client.frames.indexOf(f) > afterCancel + 1 && isTurnComplete(f), RENDER_WAIT_MS)
  t.match(client.frames.slice(afterCancel).map(textOf).join(''), /ok, stopped/, 'the barge-in turn was answered')
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(toolResponses(conn.received).filter((r) => r.name === 'render_altair').length, 0, 'no response for the cancelled call')
  t.match(gw.logs.text(), /"status":"cancelled"/)
  client.ws.close()
})

t.test('the same scenario through the official @google/genai SDK', async (t) => {
  const { GoogleGenAI, Modality } = await import('@google/genai')
  const script: Script = { rules: [{ match: /plot/, reply: [{ call: { name: 'render_altair', args: { altair_json: SEED_ALTAIR_JSON } } }, { sayFrom: (r) => `chart at ${String((r[0]?.response.image as { png?: string } | undefined)?.png ?? JSON.stringify(r[0]?.response))}` }] }] }
  const gw = await startGateway(t, { sim: { script } })
  const ai = new GoogleGenAI({ apiKey: 'lg-client-token-test-1', httpOptions: { baseUrl: gw.httpUrl, apiVersion: 'v1beta' } })
  const messages: Array<Record<string, unknown>> = []
  let done: () => void = () => {}
  const turnDone = new Promise<void>((resolve) => { done = resolve })
  const session = await ai.live.connect({
    model: 'gemini-3.1-flash-live-preview',
    config: { responseModalities: [Modality.TEXT] },
    callbacks: {
      onmessage: (m) => {
        messages.push(m as unknown as Record<string, unknown>)
        if (m.serverContent?.turnComplete === true) done()
      },
    },
  })
  session.sendClientContent({ turns: [{ role: 'user', parts: [{ text: 'plot them' }] }], turnComplete: true })
  await turnDone
  session.close()
  const text = messages.map((m) => ((m.serverContent as { modelTurn?: { parts?: Array<{ text?: string }> } } | undefined)?.modelTurn?.parts ?? []).map((p) => p.text ?? '').join('')).join('')
  t.match(text, new RegExp(`chart at ${gw.httpUrl}/v1/artifacts/`))
  t.notOk(messages.some((m) => m.toolCall !== undefined), 'the SDK saw no server call')
  t.equal(toolResponses(gw.sim.connections[0]!.received).length, 1)
})

t.test('NON_BLOCKING server tools answer with the configured scheduling', async (t) => {
  const script: Script = { rules: [{ match: /plot/, reply: [{ call: { name: 'render_altair', args: { altair_json: SEED_ALTAIR_JSON } }, behavior: 'NON_BLOCKING', meanwhile: [{ say: 'working on it' }] }, { say: 'there it is' }] }] }
  const gw = await startGateway(t, { sim: { script }, env: { LIVEGATE_TOOL_BEHAVIOR: 'NON_BLOCKING', LIVEGATE_TOOL_SCHEDULING: 'INTERRUPT' } })
  // A model that runs both behaviours and defaults to BLOCKING: the declaration decides.
  const client = await openLive(gw.wsUrl, { setup: { model: 'models/gemini-2.5-flash-native-audio-preview-12-2025' } })
  const conn = gw.sim.connections[0]!
  const declared = ((conn.setup?.tools ?? []) as Array<{ functionDeclarations?: Array<{ name: string, behavior?: string }> }>)
    .flatMap((entry) => entry.functionDeclarations ?? [])
  t.equal(declared.find((d) => d.name === 'render_altair')?.behavior, 'NON_BLOCKING', 'declared NON_BLOCKING upstream')
  say(client, 'plot it')
  const frame = await conn.waitFor((f) => f.kind === 'toolResponse', RENDER_WAIT_MS)
  t.match(frame.message, { toolResponse: { functionResponses: [{ name: 'render_altair', scheduling: 'INTERRUPT', response: { result: 'ok' } }] } })
  client.ws.close()
})

const GA_SETUP = { setup: { model: 'models/gemini-3.8-live', generationConfig: { responseModalities: ['AUDIO'] }, outputAudioTranscription: {} } }
const spoken = (frames: readonly ClientFrame[]): string =>
  frames.map((f) => (f.json?.serverContent as { outputTranscription?: { text?: string } } | undefined)?.outputTranscription?.text ?? '').join('')

t.test('gemini-3.8-live: a server tool declared without behavior is NON_BLOCKING, so its response carries scheduling; a result that lands mid-speech does not break the turn', async (t) => {
  const script: Script = {
    rules: [{
      match: /plot/,
      reply: [
        { say: 'Let me draw that.' },
        // The model keeps talking until the result has landed, then finishes its sentence.
        { call: { name: 'render_altair', args: { altair_json: SEED_ALTAIR_JSON } }, meanwhile: [{ say: 'Drawing it now.' }, { untilAnswered: RENDER_WAIT_MS }, { say: 'Almost done.' }] },
        { sayFrom: (r) => `The chart is drawn: ${String(r[0]?.response.result)}.` },
      ],
    }],
  }
  const cases: Array<{ name: string, env: Record<string, string>, scheduling: string }> = [
    { name: 'default', env: {}, scheduling: 'WHEN_IDLE' },
    { name: 'LIVEGATE_TOOL_SCHEDULING=SILENT', env: { LIVEGATE_TOOL_SCHEDULING: 'SILENT' }, scheduling: 'SILENT' },
  ]
  for (const c of cases) {
    const gw = await startGateway(t, { sim: { script }, env: c.env })
    const client = await openLive(gw.wsUrl, GA_SETUP)
    const conn = gw.sim.connections[0]!
    const declared = ((conn.setup?.tools ?? []) as Array<{ functionDeclarations?: Array<{ name: string, behavior?: string }> }>)
      .flatMap((entry) => entry.functionDeclarations ?? [])
    t.equal(declared.find((d) => d.name === 'render_altair')?.behavior, undefined, `${c.name}: no behavior declared: the model's default applies`)
    say(client, 'plot it')
    const response = await conn.waitFor((f) => f.kind === 'toolResponse', RENDER_WAIT_MS)
    // The model's turn is still open (it waits in `untilAnswered` for this very response).
    t.notOk(client.frames.some(isTurnComplete), `${c.name}: the result landed while the model was speaking`)
    t.match(response.message, { toolResponse: { functionResponses: [{ name: 'render_altair', scheduling: c.scheduling, response: { result: 'ok' } }] } },
      `${c.name}: scheduling ${c.scheduling}`)
    const first = await client.waitFor(isTurnComplete, RENDER_WAIT_MS)
    const turn = client.frames.slice(0, client.frames.indexOf(first) + 1)
    t.equal(spoken(turn), 'Let me draw that. Drawing it now. Almost done.', `${c.name}: the model finished what it was saying after the result landed`)
    t.notOk(turn.some((f) => (f.json?.serverContent as { interrupted?: boolean } | undefined)?.interrupted === true), `${c.name}: not interrupted`)
    t.notOk(client.frames.some(hasKey('toolCall')), `${c.name}: the client never sees the server call`)
    t.match(first.json, { serverContent: { turnComplete: true, interactionStatus: c.scheduling === 'SILENT' ? 'IDLE' : 'IN_PROGRESS' } })
    if (c.scheduling === 'WHEN_IDLE') {
      const next = await client.waitFor((f) => client.frames.indexOf(f) > client.frames.indexOf(first) && isTurnComplete(f), RENDER_WAIT_MS)
      t.equal(spoken(client.frames.slice(client.frames.indexOf(first) + 1, client.frames.indexOf(next) + 1)), 'The chart is drawn: ok.',
        'WHEN_IDLE: the result is spoken in the next turn')
    }
    t.equal(toolResponses(conn.received).length, 1, `${c.name}: one toolResponse upstream`)
    client.ws.close()
  }
})

t.test('on the sync-only 3.1 preview a server tool is BLOCKING: no scheduling in its response', async (t) => {
  const gw = await startGateway(t)
  const client = await openLive(gw.wsUrl, { setup: { model: MODEL, generation_config: { response_modalities: ['TEXT'] } } })
  const conn = gw.sim.connections[0]!
  say(client, SEED_PROMPTS.plot)
  const response = await conn.waitFor((f) => f.kind === 'toolResponse', RENDER_WAIT_MS)
  const [fr] = toolResponses([response])
  t.equal(fr?.name, 'render_altair')
  t.notOk('scheduling' in (fr ?? {}), 'no scheduling for a BLOCKING call')
  client.ws.close()
})

t.test('interactionStatus, turnCompleteReason, waitingForInput and setupComplete.sessionId pass through untouched', async (t) => {
  const gw = await startGateway(t)
  const client = await openLive(gw.wsUrl, GA_SETUP)
  const conn = gw.sim.connections[0]!
  t.match(client.frames[0]?.json, { setupComplete: { sessionId: /\S+/ } }, 'the simulator\'s sessionId reached the client')
  t.ok(client.frames[0]?.binary, 'as the binary frame Gemini sent')
  const plain = { serverContent: { turnComplete: true, turnCompleteReason: 'NEED_MORE_INPUT', waitingForInput: true, interactionStatus: 'IDLE' }, usageMetadata: { totalTokenCount: 3 } }
  const before = client.frames.length
  conn.send(plain)
  const got = await client.waitFor((f) => client.frames.indexOf(f) >= before && isTurnComplete(f))
  t.same(got.data, encodeServerMessage(plain), 'byte for byte')
  // A frame the tool interceptor rewrites (it carries a server call) keeps the fields it does not own.
  const mixed = {
    serverContent: { interactionStatus: 'IN_PROGRESS', waitingForInput: false },
    toolCall: { functionCalls: [{ id: 'function-call-77', name: 'render_altair', args: { altair_json: SEED_ALTAIR_JSON } }] },
  }
  const mark = client.frames.length
  conn.send(mixed)
  const rest = await client.waitFor((f) => client.frames.indexOf(f) >= mark && hasKey('serverContent')(f))
  t.same(rest.json, { serverContent: mixed.serverContent }, 'the server call is taken out, the rest is as Gemini sent it')
  await conn.waitFor((f) => f.kind === 'toolResponse', RENDER_WAIT_MS)
  client.ws.close()
})
