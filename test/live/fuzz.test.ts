/**
 * Property-based fuzzing of what a peer can send, against one live gateway (one process) in front of the simulator.
 * Properties: the process stays up (/healthz answers after every session), every session ends with a close frame
 * that carries a code (never 1005 or 1006), and every server tool call id gets exactly one toolResponse upstream.
 *
 * Reproduce a failure with the seed it prints: `LIVEGATE_FUZZ_SEED=123 npx tap test/live/fuzz.test.ts`.
 * `LIVEGATE_FUZZ_SCALE=4` multiplies the number of runs (a longer local soak).
 */
import t, { type Test } from 'tap'
import { isUtf8 } from 'node:buffer'
import fc from 'fast-check'
import { startGateway, type Gateway } from '../helpers/gateway.js'
import { connect, hasKey, isTurnComplete, say, textOf, type TestClient } from '../helpers/ws-client.js'
import type { CallSpec, Script } from '../../src/simulator/script.js'
import type { ReceivedFrame, SimulatorConnection } from '../../src/simulator/types.js'

// A fixed default keeps CI reproducible; set LIVEGATE_FUZZ_SEED to explore others.
const SEED = Number(process.env.LIVEGATE_FUZZ_SEED ?? 20261201)
const SCALE = Number(process.env.LIVEGATE_FUZZ_SCALE ?? 1)
/** fast-check's replay path of a failure (printed with it), to rerun just the failing case. */
const PATH = process.env.LIVEGATE_FUZZ_PATH
const MIN_FRAMES = 10_000
const MODEL = 'models/gemini-3.1-flash-live-preview'
const SERVER_TOOLS = ['render_altair', 'draw_map'] as const
const CLIENT_TOOL = 'get_weather'
const WEATHER = { name: CLIENT_TOOL, description: 'Weather in a city', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } } } }
/** Deadlines, not speed targets: the machine is shared. */
const VERDICT_MS = 60_000

t.comment(`fuzz seed ${SEED} (LIVEGATE_FUZZ_SEED=${SEED} reproduces this run)`)

interface Frame {
  readonly data: string | Buffer
  readonly binary: boolean
}

let framesSent = 0

// Generators --------------------------------------------------------------------------------------------------

const anyJson = fc.jsonValue({ maxDepth: 3 })
/** A value of any JSON type, weighted towards the types a field is most often wrong with. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null), fc.constant([]), fc.constant({}), fc.constant(''), fc.integer(), fc.boolean(), fc.string({ maxLength: 8 }),
  fc.array(fc.constant(null), { maxLength: 3 }), anyJson,
)

const text = fc.string({ maxLength: 40 })
const clientContent = fc.record({
  turns: fc.array(fc.record({ role: fc.constant('user'), parts: fc.array(fc.record({ text }), { minLength: 1, maxLength: 2 }) }), { maxLength: 2 }),
  turnComplete: fc.boolean(),
})
const realtimeInput = fc.oneof(
  fc.record({ text }),
  fc.record({ audio: fc.record({ mimeType: fc.constant('audio/pcm;rate=16000'), data: fc.base64String({ maxLength: 64 }) }) }),
  fc.constant({ activityStart: {} }), fc.constant({ audioStreamEnd: true }),
)
const unknownIdResponse = fc.record({
  functionResponses: fc.array(fc.record({ id: fc.oneof(fc.constant('function-call-0'), fc.string({ maxLength: 12 })), name: fc.constantFrom(CLIENT_TOOL, ...SERVER_TOOLS), response: fc.dictionary(fc.string({ maxLength: 6 }), anyJson, { maxKeys: 2 }) }), { maxLength: 3 }),
})
const declaration = fc.oneof(
  fc.constant(WEATHER),
  fc.record({ name: fc.constantFrom(CLIENT_TOOL, 'lookup', ...SERVER_TOOLS), description: text }),
)
const setupBody = fc.record({
  model: fc.constant(MODEL),
  generationConfig: fc.constant({ responseModalities: ['TEXT'] }),
  tools: fc.array(fc.oneof(fc.record({ functionDeclarations: fc.array(declaration, { maxLength: 3 }) }), fc.constant({ googleSearch: {} })), { maxLength: 2 }),
}, { requiredKeys: ['model'] })

/** Every path into a JSON value, so a mutation can reach any level. */
function paths (value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out = [prefix]
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])))
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]))
  return out
}

function snake (key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}

type Mutation = 'replace' | 'snake' | 'unknown-key' | 'delete' | 'none'

/** `value` with the node at path number `pick` replaced by `replacement`, renamed, deleted or left alone. */
function mutate (value: unknown, pick: number, how: Mutation, replacement: unknown): unknown {
  if (how === 'none') return value
  const copy = structuredClone(value) as Record<string | number, unknown>
  const all = paths(copy)
  const path = all[pick % all.length]!
  if (path.length === 0) return how === 'replace' ? replacement : copy
  const parent = path.slice(0, -1).reduce<Record<string | number, unknown>>((node, key) => node[key] as Record<string | number, unknown>, copy)
  const key = path.at(-1)!
  if (how === 'replace') parent[key] = replacement
  else if (how === 'delete' && !Array.isArray(parent)) delete parent[key]
  else if (how === 'snake' && typeof key === 'string') {
    const child = parent[key]
    delete parent[key]
    parent[snake(key)] = child
  } else if (how === 'unknown-key' && !Array.isArray(parent)) parent.futureField = replacement
  return copy
}

const mutation = fc.constantFrom<Mutation>('replace', 'replace', 'snake', 'unknown-key', 'delete', 'none')

function mutated (message: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.tuple(message, fc.nat(), mutation, wrongValue).map(([m, pick, how, replacement]) => mutate(m, pick, how, replacement))
}

const clientMessage: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: mutated(clientContent.map((clientContent) => ({ clientContent }))) },
  { weight: 2, arbitrary: mutated(realtimeInput.map((realtimeInput) => ({ realtimeInput }))) },
  { weight: 3, arbitrary: mutated(unknownIdResponse.map((toolResponse) => ({ toolResponse }))) },
  { weight: 1, arbitrary: mutated(setupBody.map((setup) => ({ setup }))) },
  { weight: 1, arbitrary: fc.tuple(clientContent, unknownIdResponse).map(([clientContent, toolResponse]) => ({ clientContent, toolResponse })) },
  { weight: 1, arbitrary: anyJson },
)

const asText = (message: unknown): Frame => ({ data: JSON.stringify(message) ?? 'null', binary: false })

/** A frame as bytes on the wire: JSON as text or binary, garbage, invalid UTF-8, deep nesting, huge strings. */
const clientFrame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(clientMessage, fc.boolean()).map(([m, binary]) => ({ data: JSON.stringify(m) ?? 'null', binary })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 48 }).map((bytes) => ({ data: Buffer.from(bytes), binary: true })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 24 }).map((s) => ({ data: s, binary: false })) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.boolean()).map(([junk, binary]) => ({
      // 0xff never appears in UTF-8: as a text frame this is invalid UTF-8 (ws answers 1007).
      data: Buffer.concat([Buffer.from('{"toolResponse":{"functionResponses":[{"id":"'), Buffer.from([0xff, ...junk]), Buffer.from('"}]}}')]),
      binary,
    })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.oneof(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 200_000 })), fc.constantFrom('[', '{"a":'), fc.boolean()).map(([depth, open, binary]) => {
      const close = open === '[' ? ']' : '}'
      return { data: `{"toolResponse":{"functionResponses":${open.repeat(depth)}${open === '[' ? '' : '1'}${close.repeat(depth)}}}`, binary }
    }),
  },
  {
    weight: 1,
    // Brackets and escaped quotes inside strings must not count as nesting.
    arbitrary: fc.integer({ min: 1, max: 5_000 }).map((n) => asText({ toolResponse: { functionResponses: [{ id: `${'[{'.repeat(n)}\\"${'\\'.repeat(n % 3)}`, response: {} }] } })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 64 * 1024, max: 512 * 1024 }).map((n) => asText({ clientContent: { turns: [{ role: 'user', parts: [{ text: 'x'.repeat(n) }] }], turnComplete: false } })),
  },
)

/** A first frame: a setup mutated at any level, or any frame at all. */
const firstFrame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(mutated(setupBody.map((setup) => ({ setup }))), fc.boolean()).map(([m, binary]) => ({ data: JSON.stringify(m) ?? 'null', binary })) },
  { weight: 1, arbitrary: fc.tuple(setupBody, fc.integer({ min: 90, max: 100_000 })).map(([setup, depth]) => asText({ setup: { ...setup, generationConfig: JSON.parse(`${'['.repeat(Math.min(depth, 3000))}${']'.repeat(Math.min(depth, 3000))}`) as unknown } })) },
  { weight: 2, arbitrary: clientFrame },
)

const badId = fc.oneof(fc.constant(undefined), fc.constant(null), fc.constant(''), fc.integer(), fc.constant({}), fc.constant(['x']))
/** A function call livegate cannot answer: not an object, a client function, or a server tool without a usable id. */
const unanswerableCall = fc.oneof(
  wrongValue,
  fc.record({ id: fc.string({ maxLength: 8 }).map((s) => `fz-${s}`), name: fc.constantFrom(CLIENT_TOOL, 'unknown_fn'), args: wrongValue }),
  fc.tuple(fc.constantFrom(...SERVER_TOOLS), badId, wrongValue).map(([name, id, args]) => (id === undefined ? { name, args } : { id, name, args })),
)
/** Upstream frames the gateway reads (or might, after the byte check) but has nothing to answer for. */
const upstreamFrame: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  wrongValue.map((toolCall) => ({ toolCall })),
  wrongValue.map((functionCalls) => ({ toolCall: { functionCalls } })),
  fc.array(unanswerableCall, { maxLength: 4 }).map((functionCalls) => ({ toolCall: { functionCalls } })),
  fc.array(unanswerableCall, { maxLength: 3 }).map((calls) => ({ tool_call: { function_calls: calls } })),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }).map((s) => `unknown-${s}`), wrongValue), { maxLength: 4 }).map((ids) => ({ toolCallCancellation: { ids } })),
  wrongValue.map((toolCallCancellation) => ({ toolCallCancellation })),
  text.map((s) => ({ serverContent: { modelTurn: { parts: [{ text: `"toolCall": ${s}` }] } } })),
)

/** Args of every JSON type for a server tool: its own fields with values of any type, or not an object at all. */
function argsFor (name: typeof SERVER_TOOLS[number]): fc.Arbitrary<unknown> {
  const fields = name === 'render_altair' ? ['altair_json', 'json_graph', 'theme'] : ['center', 'zoom', 'markers', 'path', 'size', 'maptype']
  return fc.oneof(
    wrongValue,
    fc.dictionary(fc.constantFrom(...fields), wrongValue, { maxKeys: 3 }),
    fc.dictionary(fc.string({ maxLength: 6 }), anyJson, { maxKeys: 3 }),
  )
}
const callSpec: fc.Arbitrary<CallSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SERVER_TOOLS).chain((name) => argsFor(name).map((args) => ({ name, args: args as Record<string, unknown> }))) },
  { weight: 1, arbitrary: fc.constant({ name: CLIENT_TOOL, args: { city: 'Paris' } }) },
)
const turnPlan = fc.record({
  calls: fc.array(callSpec, { minLength: 1, maxLength: 3 }),
  noise: fc.array(upstreamFrame, { maxLength: 4 }),
})

// Driving sessions --------------------------------------------------------------------------------------------

/** The model calls what the test put under `plans[n]` when the user says `call n`. */
function fuzzScript (plans: Map<number, readonly CallSpec[]>): Script {
  return {
    rules: [{
      match: /^call \d+$/,
      reply: (turn) => {
        const n = Number(turn.text.slice(5))
        return [{ call: plans.get(n) ?? [] }, { sayFrom: (responses) => `done ${n} (${responses.length})` }]
      },
    }],
  }
}

function send (client: TestClient, frame: Frame): void {
  if (client.ws.readyState !== client.ws.OPEN) return
  framesSent++
  client.ws.send(frame.data, { binary: frame.binary })
}

/** The code a session ended with, or a failure if it did not end in time. */
async function verdict (client: TestClient, what: string): Promise<{ code: number, reason: string }> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no close within ${VERDICT_MS} ms`)), VERDICT_MS)
  })
  try {
    return await Promise.race([client.closed, late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * A text frame that is not UTF-8 breaks the WebSocket protocol itself: ws closes 1007 and ends the TCP connection
 * at once, and when the client is still sending, the unread bytes make the kernel reset the connection, which can
 * discard the close frame before the client reads it (1006). Only those sessions may end without a code.
 */
function breaksFraming (frames: readonly Frame[]): boolean {
  return frames.some((f) => !f.binary && Buffer.isBuffer(f.data) && !isUtf8(f.data))
}

function assertClosedWithCode (closed: { code: number, reason: string }, what: string, frames: readonly Frame[]): void {
  if (closed.code === 1006 && breaksFraming(frames)) return
  if (closed.code === 1005 || closed.code === 1006 || closed.code < 1000) {
    throw new Error(`${what}: session ended without a close code (${closed.code} ${closed.reason})`)
  }
}

async function assertHealthy (gw: Gateway): Promise<void> {
  const res = await fetch(`${gw.httpUrl}/healthz`)
  if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`)
}

function toolResponseIds (received: readonly ReceivedFrame[], from: number, names: ReadonlySet<string>): string[] {
  return received.slice(from).filter((f) => f.kind === 'toolResponse')
    .flatMap((f) => (f.message.toolResponse as { functionResponses?: Array<{ id: string, name: string }> }).functionResponses ?? [])
    .filter((r) => names.has(r.name)).map((r) => r.id)
}

const SERVER_NAMES: ReadonlySet<string> = new Set(SERVER_TOOLS)

/** The server tools a session keeps: a function the client declares itself is the client's, even a server tool's name. */
function serverOwned (setup: { tools?: readonly object[] }): ReadonlySet<string> {
  const declared = new Set((setup.tools ?? []).flatMap((tool) => ('functionDeclarations' in tool ? tool.functionDeclarations as Array<{ name: string }> : []).map((d) => d.name)))
  return new Set(SERVER_TOOLS.filter((name) => !declared.has(name)))
}

/** The seed notebook's thin client: answer every call it sees from the model (ids the simulator issued) with ok. */
function answerClientCalls (client: TestClient): void {
  client.ws.on('message', (data: Buffer) => {
    let msg: { toolCall?: { functionCalls?: unknown } }
    try { msg = JSON.parse(data.toString()) as typeof msg } catch { return }
    const calls = msg.toolCall?.functionCalls
    if (!Array.isArray(calls)) return
    for (const call of calls as Array<{ id?: unknown, name?: unknown }>) {
      if (typeof call?.id !== 'string' || !call.id.startsWith('function-call-')) continue
      client.send({ toolResponse: { functionResponses: [{ id: call.id, name: call.name, response: { output: 'ok' } }] } })
    }
  })
}

/**
 * One `call n` turn: the model calls `calls`, noise frames go upstream meanwhile; every server call id must get exactly
 * one toolResponse before the model's turn completes.
 */
async function callTurn (client: TestClient, conn: SimulatorConnection, plans: Map<number, readonly CallSpec[]>, n: number, plan: { calls: readonly CallSpec[], noise: ReadonlyArray<Record<string, unknown>> }, owned: ReadonlySet<string> = SERVER_NAMES): Promise<void> {
  plans.set(n, plan.calls)
  const from = conn.received.length
  const framesFrom = client.frames.length
  for (const frame of plan.noise) {
    conn.send(frame)
    framesSent++
  }
  say(client, `call ${n}`)
  framesSent += 1 + plan.calls.length
  await client.waitFor((f) => client.frames.indexOf(f) >= framesFrom && isTurnComplete(f) && client.frames.slice(framesFrom).map(textOf).join('').includes(`done ${n} `), VERDICT_MS)
  const ids = toolResponseIds(conn.received, from, owned)
  const expected = plan.calls.filter((c) => owned.has(c.name)).length
  if (ids.length !== expected || new Set(ids).size !== ids.length) {
    throw new Error(`call ${n}: ${expected} server calls got ${ids.length} responses (${ids.join(', ')}) for ${JSON.stringify(plan.calls).slice(0, 300)}`)
  }
}

async function open (gw: Gateway, setup: unknown): Promise<{ client: TestClient, conn: SimulatorConnection }> {
  const next = gw.sim.nextConnection()
  const client = await connect(gw.wsUrl)
  answerClientCalls(client)
  client.send(setup)
  await client.waitFor(hasKey('setupComplete'), VERDICT_MS)
  return { client, conn: await next }
}

async function check<Ts extends [unknown, ...unknown[]]> (t: Test, gw: Gateway, name: string, property: fc.IAsyncProperty<Ts>, numRuns: number): Promise<void> {
  const started = Date.now()
  const runs = Math.max(1, Math.round(numRuns * SCALE))
  try {
    await fc.assert(property, { seed: SEED, numRuns: runs, endOnFailure: true, ...(PATH === undefined ? {} : { path: PATH }) })
    t.pass(`${name}: ${runs} runs`)
  } catch (err) {
    // fast-check's message holds the whole counterexample (megabytes with huge frames): print its head and the cause.
    const message = (err as Error).message
    const cause = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : ''
    const path = /path: "([^"]*)"/.exec(message)?.[1]
    t.fail(`${name} failed; reproduce with LIVEGATE_FUZZ_SEED=${SEED} LIVEGATE_FUZZ_PATH=${path ?? '?'}: ${cause.slice(0, 600)} | ${message.slice(0, 600)}`)
    const warnings = gw.logs.text().split('\n').filter((line) => /"level":(40|50|60)/.test(line)).slice(-20)
    t.comment(`last gateway warnings:\n${warnings.map((line) => line.slice(0, 400)).join('\n')}`)
  }
  t.comment(`${name}: ${framesSent} frames so far, ${Math.round((Date.now() - started) / 1000)} s`)
}

// The properties ----------------------------------------------------------------------------------------------

t.test('fuzz: nothing a peer sends ends the process, every session closes with a code, every server call is answered once', async (t) => {
  const plans = new Map<number, readonly CallSpec[]>()
  // warn: thousands of sessions at debug level would fill the in-memory log sink.
  const gw = await startGateway(t, { sim: { script: fuzzScript(plans) }, env: { LIVEGATE_LOG_LEVEL: 'warn' } })
  let turn = 0

  await check(t, gw, 'first frames', fc.asyncProperty(firstFrame, async (frame) => {
    const client = await connect(gw.wsUrl)
    send(client, frame)
    const opened = client.waitFor(hasKey('setupComplete'), VERDICT_MS).then(() => 'open' as const, () => 'no verdict' as const)
    const first = await Promise.race([opened, client.closed.then(() => 'closed' as const)])
    if (first === 'no verdict') throw new Error(`first frame ${String(frame.data).slice(0, 200)}: neither setupComplete nor a close`)
    if (first === 'open') client.ws.close(1000)
    assertClosedWithCode(await verdict(client, 'first frame'), `first frame ${String(frame.data).slice(0, 200)}`, [frame])
    await assertHealthy(gw)
  }), 200)

  await check(t, gw, 'client frames after setup, with server calls in flight', fc.asyncProperty(
    setupBody, fc.array(clientFrame, { minLength: 100, maxLength: 160 }), fc.nat(),
    async (setup, frames, at) => {
      // TEXT, so the first turn's answer can be read; the client's own get_weather, so its calls reach the client.
      const { client, conn } = await open(gw, { setup: { ...setup, generationConfig: { responseModalities: ['TEXT'] }, tools: [...setup.tools ?? [], { functionDeclarations: [WEATHER] }] } })
      // A first turn leaves server call ids behind, so the gateway reads the client's toolResponses from then on.
      // (Arguments that are not an object: answered at once with an error, so the turn costs no render.)
      const from = conn.received.length
      const owned = serverOwned(setup)
      const [serverTool] = owned
      let serverId: string | undefined
      if (serverTool !== undefined) {
        await callTurn(client, conn, plans, turn++, { calls: [{ name: serverTool, args: 1 as unknown as Record<string, unknown> }], noise: [] }, owned)
        serverId = toolResponseIds(conn.received, from, owned)[0]
        // A thin client answering the server's call as well: the gateway must drop that answer.
        const answer = asText({ tool_response: { function_responses: [{ id: serverId, name: serverTool, response: { result: 'ok' } }] } })
        frames.splice(at % (frames.length + 1), 0, answer)
      }
      for (const frame of frames) send(client, frame)
      // A second setup always ends a Gemini session (1007), so every session comes to a verdict.
      send(client, asText({ setup: { model: MODEL } }))
      assertClosedWithCode(await verdict(client, 'client frames'), 'client frames', frames)
      const answers = toolResponseIds(conn.received, from, owned).filter((id) => id === serverId).length
      if (serverId !== undefined && answers !== 1) throw new Error(`server call ${String(serverId)} got ${answers} toolResponses upstream`)
      await assertHealthy(gw)
    },
  ), 80)

  await check(t, gw, 'upstream toolCall and cancellation frames', fc.asyncProperty(
    fc.array(turnPlan, { minLength: 10, maxLength: 25 }),
    async (plansForSession) => {
      const { client, conn } = await open(gw, { setup: { model: MODEL, generationConfig: { responseModalities: ['TEXT'] }, tools: [{ functionDeclarations: [WEATHER] }] } })
      for (const plan of plansForSession) await callTurn(client, conn, plans, turn++, plan)
      if (client.ws.readyState !== client.ws.OPEN) throw new Error('the session closed during well-formed tool traffic')
      client.ws.close(1000)
      assertClosedWithCode(await verdict(client, 'upstream frames'), 'upstream frames', [])
      await assertHealthy(gw)
    },
  ), 10)

  t.ok(framesSent >= MIN_FRAMES * Math.min(1, SCALE), `${framesSent} generated frames (at least ${MIN_FRAMES})`)
  await assertHealthy(gw)
})
