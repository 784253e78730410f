import t, { type Test } from 'tap'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import { pino } from 'pino'
import { WebSocketServer } from 'ws'
import { ANONYMOUS } from '../../src/auth/identity.js'
import { passThrough, type Interceptor } from '../../src/live/interceptor.js'
import { LiveSession } from '../../src/live/session.js'
import { createLogSink } from '../helpers/log-sink.js'
import { startGateway, type Gateway } from '../helpers/gateway.js'
import { connect, hasKey, isTurnComplete, openLive, say, textOf, type TestClient } from '../helpers/ws-client.js'
import type { CallSpec, Script } from '../../src/simulator/script.js'
import type { ReceivedFrame } from '../../src/simulator/types.js'

const MODEL = 'models/gemini-3.1-flash-live-preview'
const TEXT_SETUP = { setup: { model: MODEL, generation_config: { response_modalities: ['TEXT'] } } }

async function healthy (gw: Gateway): Promise<boolean> {
  const res = await fetch(`${gw.httpUrl}/healthz`)
  return res.status === 200
}

/** Open a session whose first frame is `frame` (a string, sent as is) and wait for the gateway to close it. */
async function firstFrameCloses (gw: Gateway, frame: string, binary = false): Promise<{ code: number, reason: string }> {
  const client = await connect(gw.wsUrl)
  client.ws.send(binary ? Buffer.from(frame) : frame, { binary })
  return await client.closed
}

/** After a fault, another session still talks to the model: the process and the relay are fine. */
async function stillServes (t: Test, gw: Gateway): Promise<void> {
  t.ok(await healthy(gw), '/healthz answers')
  const other = await openLive(gw.wsUrl, TEXT_SETUP)
  other.send({ clientContent: { turns: [{ role: 'user', parts: [{ text: 'hello' }] }], turnComplete: true } })
  await other.waitFor((f) => (f.json?.serverContent as { turnComplete?: boolean } | undefined)?.turnComplete === true)
  other.ws.close()
}

t.test('regression: a setup with a null function declaration closes that session with 1007 naming the field', async (t) => {
  const gw = await startGateway(t)
  const bystander = await openLive(gw.wsUrl, TEXT_SETUP)
  const closed = await firstFrameCloses(gw, JSON.stringify({ setup: { model: MODEL, tools: [{ functionDeclarations: [null] }] } }))
  t.same(closed, { code: 1007, reason: 'LG_ERR_RELAY_BAD_FRAME: setup.tools[0].functionDeclarations[0] must be an object' })
  t.equal(bystander.ws.readyState, bystander.ws.OPEN, 'another session is untouched')
  await stillServes(t, gw)
  bystander.ws.close()
})

t.test('regression: a setup nested 100,000 deep is refused before parsing, and the process stays up', async (t) => {
  const gw = await startGateway(t)
  const deep = `{"setup":{"model":"${MODEL}","generationConfig":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`
  const closed = await firstFrameCloses(gw, deep)
  t.equal(closed.code, 1007)
  t.match(closed.reason, /^LG_ERR_RELAY_BAD_FRAME: first frame: .*deeper than 100/)
  await stillServes(t, gw)
})

t.test('a setup over LIVEGATE_MAX_SETUP_BYTES is refused unparsed with 1009; a larger limit lets it through', async (t) => {
  const big = JSON.stringify({ setup: { model: MODEL, generationConfig: { responseModalities: ['TEXT'] }, systemInstruction: { parts: [{ text: 'x'.repeat(2 * 1024 * 1024) }] } } })
  const gw = await startGateway(t)
  const closed = await firstFrameCloses(gw, big)
  t.equal(closed.code, 1009)
  t.match(closed.reason, /^LG_ERR_RELAY_FRAME_TOO_LARGE: first frame: Frame of \d+ bytes is larger than 1048576/)
  t.ok(gw.sim.connections.every((conn) => conn.received.length === 0), 'no frame reached the upstream')
  await stillServes(t, gw)
  const roomy = await startGateway(t, { env: { LIVEGATE_MAX_SETUP_BYTES: String(4 * 1024 * 1024) } })
  const client = await connect(roomy.wsUrl)
  client.ws.send(big)
  await client.waitFor((f) => f.json?.setupComplete !== undefined)
  t.pass('a 2 MiB setup is accepted under a 4 MiB limit')
  client.ws.close()
})

t.test('setup fields livegate reads are checked in both spellings; fields it does not read pass to Gemini', async (t) => {
  const gw = await startGateway(t)
  const cases: Array<[unknown, string]> = [
    [{ setup: { model: 42 } }, 'setup.model must be a string'],
    [{ setup: { model: MODEL, tools: [null] } }, 'setup.tools[0] must be an object'],
    [{ setup: { model: MODEL, tools: 'all' } }, 'setup.tools must be a list'],
    [{ setup: { model: MODEL, tools: [{ function_declarations: [{ name: 7 }] }] } }, 'setup.tools[0].function_declarations[0].name must be a string'],
    [{ setup: { model: MODEL, tools: [{ functionDeclarations: true }] } }, 'setup.tools[0].functionDeclarations must be a list'],
    [{ setup: [] }, 'setup must be an object'],
    [{ setup: null }, 'setup must be an object'],
  ]
  for (const [frame, reason] of cases) {
    const closed = await firstFrameCloses(gw, JSON.stringify(frame))
    t.same(closed, { code: 1007, reason: `LG_ERR_RELAY_BAD_FRAME: ${reason}` }, JSON.stringify(frame))
  }
  // One tool given as an object rather than a list (proto JSON allows it), with a field livegate does not read.
  const client = await openLive(gw.wsUrl, { setup: { model: MODEL, tools: { functionDeclarations: { name: 'get_time', description: 'now' } }, proactivity: { proactiveAudio: false } } })
  const upstream = gw.sim.connections.at(-1)!
  const names = ((upstream.setup?.tools ?? []) as Array<{ functionDeclarations?: Array<{ name: string }> }>)
    .flatMap((entry) => entry.functionDeclarations ?? []).map((d) => d.name)
  t.ok(names.includes('get_time'), 'the client\'s single declaration reaches Gemini')
  t.ok(names.includes('render_altair'), 'merged with the server tools')
  client.ws.close()
})

/** A model that calls what the test put under `calls[n]` when the user says `call n`, then reports the responses. */
function callingScript (calls: Map<number, CallSpec[]>): Script {
  return {
    rules: [{
      match: /^call \d+$/,
      reply: (turn) => {
        const n = Number(turn.text.slice(5))
        return [{ call: calls.get(n) ?? [] }, { sayFrom: (responses) => `done ${n}: ${JSON.stringify(responses.map((r) => r.response))}` }]
      },
    }, { match: /^wait$/, reply: [{ call: { name: 'draw_map', args: { center: 'Sydney' } } }, { wait: 600_000 }] }],
  }
}

/** Say `text` and resolve with everything the model says until its turn is complete. */
async function turn (client: TestClient, text: string): Promise<string> {
  const from = client.frames.length
  say(client, text)
  await client.waitFor((f) => client.frames.indexOf(f) >= from && isTurnComplete(f), 60_000)
  return client.frames.slice(from).map(textOf).join('')
}

function toolResponseIds (received: readonly ReceivedFrame[]): string[] {
  return received.filter((f) => f.kind === 'toolResponse')
    .flatMap((f) => (f.message.toolResponse as { functionResponses: Array<{ id: string }> }).functionResponses)
    .map((r) => r.id)
}

t.test('a toolResponse Gemini would refuse is refused with 1007 once server calls are in flight', async (t) => {
  const gw = await startGateway(t, { sim: { script: callingScript(new Map()) } })
  const client = await openLive(gw.wsUrl, TEXT_SETUP)
  const conn = gw.sim.connections.at(-1)!
  say(client, 'wait')
  await conn.waitFor((f) => f.kind === 'toolResponse', 60_000)
  client.send({ toolResponse: { functionResponses: [null, { id: toolResponseIds(conn.received)[0], response: {} }] } })
  const closed = await client.closed
  t.same(closed, { code: 1007, reason: 'LG_ERR_RELAY_BAD_FRAME: toolResponse.functionResponses[0] must be an object' })
  t.equal(toolResponseIds(conn.received).length, 1, 'the server call was answered once, by the server')
  t.ok(await healthy(gw))
})

t.test('malformed toolCall frames from upstream never crash; each server call id is answered exactly once', async (t) => {
  const calls = new Map<number, CallSpec[]>()
  const gw = await startGateway(t, { sim: { script: callingScript(calls) } })
  const client: TestClient = await openLive(gw.wsUrl, TEXT_SETUP)
  const conn = gw.sim.connections.at(-1)!
  // Frames with nothing livegate can answer: relayed to the client as they came, or dropped when a server call has no id.
  const unreadable: Array<Record<string, unknown>> = [
    { toolCall: null },
    { toolCall: 'x' },
    { toolCall: { functionCalls: 'not a list' } },
    { toolCall: { functionCalls: [null, 3, 'x', [], { name: null }] } },
    { toolCall: { functionCalls: [{ name: 'render_altair' }] } },
    { toolCall: { functionCalls: [{ id: 7, name: 'draw_map', args: {} }, { id: '', name: 'draw_map' }] } },
    { toolCallCancellation: { ids: 'x' } },
    { toolCallCancellation: { ids: [null, 5, 'unknown-id'] } },
    { toolCallCancellation: null },
  ]
  for (const frame of unreadable) conn.send(frame)
  const argsOfEveryType: unknown[] = [null, 1, 'text', true, [1, 2], { markers: 7 }, { altair_json: 5 }, { center: null, zoom: 'x' }]
  let n = 0
  for (const args of argsOfEveryType) {
    calls.set(n, [{ name: 'render_altair', args: args as Record<string, unknown> }, { name: 'draw_map', args: args as Record<string, unknown> }])
    const before = conn.received.length
    const text = await turn(client, `call ${n}`)
    t.match(text, `done ${n}:`)
    const ids = toolResponseIds(conn.received.slice(before))
    t.equal(ids.length, 2, `call ${n}: two responses`)
    t.equal(new Set(ids).size, 2, `call ${n}: one per id`)
    if (args !== null && (typeof args !== 'object' || Array.isArray(args))) {
      t.match(text, /LG_ERR_TOOL_INVALID_ARGS.*args must be an object, got/, `call ${n}: an error the model can act on`)
    }
    n++
  }
  t.equal(new Set(toolResponseIds(conn.received)).size, toolResponseIds(conn.received).length, 'no id answered twice')
  t.equal(client.ws.readyState, client.ws.OPEN, 'the session is still open')
  t.ok(client.frames.filter(hasKey('toolCall')).length >= 3, 'frames livegate cannot read reach the client as they came')
  t.ok(await healthy(gw))
  client.ws.close()
  t.equal((await client.closed).code, 1005)
})

/**
 * The boundary itself, over real sockets: a LiveSession whose interceptor has a bug (a TypeError in one of its
 * hooks) ends that session with 1011 LG_ERR_INTERNAL, logs the stack once, and leaves the process and the server
 * serving. No upstream is needed: the faults happen before any frame would leave.
 */
t.test('a handler that throws ends only its session: 1011 LG_ERR_INTERNAL, stack logged once', async (t) => {
  const logs = createLogSink()
  const log = pino({ level: 'info' }, logs.stream) as unknown as FastifyBaseLogger
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(server, 'listening')
  t.teardown(() => { server.close() })
  const hooks: Array<keyof Interceptor> = ['onSetup', 'onClientMessage']
  let hook: keyof Interceptor = 'onSetup'
  server.on('connection', (socket) => {
    const faulty: Interceptor = {
      ...passThrough,
      inspectsClient: true,
      wantsClientFrame () { return true },
      [hook]: () => { throw new TypeError('Cannot read properties of null (reading \'name\')') },
    }
    new LiveSession(socket, log, { clientAddress: '127.0.0.1', identity: ANONYMOUS, apiVersion: 'v1beta' }, { highWaterBytes: 1 << 20, maxSetupBytes: 1 << 20, models: undefined, resumption: { bufferBytes: 1 << 20, bufferMessages: 0, transparent: false, fenceMs: 2000 } }, faulty)
  })
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
  for (const which of hooks) {
    hook = which
    const client = await connect(url)
    client.send(TEXT_SETUP)
    if (which === 'onClientMessage') client.send({ clientContent: { turns: [], turnComplete: true } })
    const closed = await client.closed
    t.equal(closed.code, 1011, `${which}: 1011`)
    t.match(closed.reason, /^LG_ERR_INTERNAL: unexpected failure in the client message handler of session [0-9a-f-]{36}$/, `${which}: the reason names the code and the session`)
  }
  const faults = logs.entries().filter((e) => e.msg === 'session handler threw; ending this session')
  t.equal(faults.length, hooks.length, 'one log line per faulted session')
  t.match((faults[0]?.err as { stack?: string } | undefined)?.stack, /TypeError: Cannot read properties of null/, 'with the stack')
  const again = await connect(url)
  t.equal(again.ws.readyState, again.ws.OPEN, 'the process still accepts sessions')
  again.ws.close()
})

t.test('malformed sessionResumptionUpdate and goAway frames from upstream change nothing they should not; the session goes on', async (t) => {
  const gw = await startGateway(t)
  const client = await openLive(gw.wsUrl, TEXT_SETUP)
  const conn = gw.sim.connections.at(-1)!
  // Wrong types everywhere: not a handle livegate may keep, and never shown to a client that did not ask for resumption.
  conn.send({ sessionResumptionUpdate: { newHandle: 5, resumable: 'yes', lastConsumedClientMessageIndex: {} } })
  conn.send({ sessionResumptionUpdate: null })
  t.ok((await turn(client, 'hello')).length > 0, 'a turn after malformed updates is answered')
  t.notOk(client.frames.some(hasKey('sessionResumptionUpdate')), 'no update reached the client')
  // A goAway whose timeLeft cannot be read still ends the connection: livegate moves the session at once.
  const next = gw.sim.nextConnection()
  conn.send({ goAway: { timeLeft: 7 } })
  const resumed = await next
  await resumed.waitFor((f) => f.kind === 'setup', 60_000)
  t.ok((await turn(client, 'hello again')).length > 0, 'a turn on the new upstream connection is answered')
  t.notOk(client.frames.some(hasKey('goAway')), 'no goAway reached the client')
  t.equal(client.ws.readyState, client.ws.OPEN)
  t.ok(await healthy(gw))
  client.ws.close()
})
