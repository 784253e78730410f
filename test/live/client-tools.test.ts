/**
 * A function the client declares is the client's (issue 12 §3): the live-api-web-console case, the operator
 * override, thin clients, the `/o/<options>` path prefix an SDK baseUrl can carry, and 404 for stray upgrades.
 */
import t from 'tap'
import WebSocket from 'ws'
import { startGateway, CLIENT_TOKEN, LIVE_PATH } from '../helpers/gateway.js'
import { connect, hasKey, isTurnComplete, openLive, say, textOf, type ClientFrame } from '../helpers/ws-client.js'
import type { Script } from '../../src/simulator/script.js'
import { SEED_ALTAIR_JSON } from '../../src/simulator/seed.js'
import type { SimulatorConnection } from '../../src/simulator/types.js'
import { createToolInterceptorFactory } from '../../src/live/tool-interceptor.js'
import { createToolRegistry } from '../../src/tools/registry.js'
import type { ArtifactStore } from '../../src/artifacts/store.js'

const MODEL = 'models/gemini-3.1-flash-live-preview'
const RENDER_WAIT_MS = 60000
/** The web console's own declaration (google-gemini/live-api-web-console src/components/altair/Altair.tsx). */
const CONSOLE_ALTAIR = {
  name: 'render_altair',
  description: 'Displays an altair graph in json format.',
  parameters: { type: 'OBJECT', properties: { json_graph: { type: 'STRING', description: 'JSON STRING representation of the graph to render. Must be a string, not a json object' } }, required: ['json_graph'] },
}
const script: Script = {
  rules: [
    { match: /graph/, reply: [{ call: { name: 'render_altair', args: { json_graph: SEED_ALTAIR_JSON } } }, { sayFrom: (r) => `rendered: ${JSON.stringify(r[0]?.response)}` }] },
    { match: /chart/, reply: [{ call: { name: 'render_altair', args: { altair_json: SEED_ALTAIR_JSON } } }, { sayFrom: (r) => `chart: ${JSON.stringify(r[0]?.response).slice(0, 60)}` }] },
    { match: /hello/, reply: [{ say: 'hello there' }] },
  ],
}

function declarationsUpstream (conn: SimulatorConnection): Array<{ name: string, description?: string, parameters?: { properties?: Record<string, unknown> } }> {
  return ((conn.setup?.tools ?? []) as Array<{ functionDeclarations?: Array<{ name: string }> }>).flatMap((entry) => entry.functionDeclarations ?? [])
}

const isLivegate = (key: string) => (frame: ClientFrame): boolean =>
  frame.json !== undefined && typeof frame.json.livegate === 'object' && frame.json.livegate !== null && key in frame.json.livegate

const setup = (tools: unknown): unknown => ({ setup: { model: MODEL, tools, generationConfig: { responseModalities: ['TEXT'] } } })

t.test('the web console declares render_altair(json_graph): its calls reach it, the server tool stays out and says why', async (t) => {
  const gw = await startGateway(t, { sim: { script } })
  const client = await openLive(`${gw.wsUrl}&livegate_events=1`, setup([{ functionDeclarations: [CONSOLE_ALTAIR] }]))
  const conn = gw.sim.connections[0]!
  const upstream = declarationsUpstream(conn)
  t.same(upstream.filter((d) => d.name === 'render_altair').map((d) => Object.keys(d.parameters?.properties ?? {})), [['json_graph']],
    'the only render_altair upstream is the client\'s, with json_graph')
  t.ok(upstream.some((d) => d.name === 'draw_map'), 'the server tool the client did not declare is still offered')

  t.ok(hasKey('setupComplete')(client.frames[0]!), 'setupComplete is the first frame')
  const conflict = await client.waitFor(isLivegate('toolConflict'))
  t.ok(client.frames.indexOf(conflict) > 0, 'the conflict event comes after setupComplete')
  t.match(conflict.json, { livegate: { toolConflict: { name: 'render_altair', owner: 'client', detail: /declares render_altair itself/, override: 'LIVEGATE_SERVER_TOOLS_OVERRIDE=render_altair makes the server run it anyway' } } })
  t.equal(conflict.binary, true, 'event frames use the upstream\'s frame type')
  t.match(gw.logs.text(), /"level":40[^\n]*"tool":"render_altair"[^\n]*server tool left out: the client declares a function of the same name/, 'a warning in the log')

  say(client, 'draw the graph')
  const call = await client.waitFor(hasKey('toolCall'))
  const fc = (call.json?.toolCall as { functionCalls: Array<{ id: string, name: string, args: { json_graph?: string } }> }).functionCalls[0]!
  t.equal(fc.name, 'render_altair')
  t.equal(fc.args.json_graph, SEED_ALTAIR_JSON, 'the client receives the call with its own parameter')
  client.send({ toolResponse: { functionResponses: [{ id: fc.id, name: fc.name, response: { output: { success: true } } }] } })
  await client.waitFor(isTurnComplete)
  t.match(client.frames.map(textOf).join(''), /rendered: \{"output":\{"success":true\}\}/, 'the model read the client\'s answer')
  t.notOk(client.frames.some(isLivegate('toolRun')), 'the server ran nothing')
  client.ws.close()
})

t.test('LIVEGATE_SERVER_TOOLS_OVERRIDE makes the server run a tool the client declares too', async (t) => {
  const gw = await startGateway(t, { sim: { script }, env: { LIVEGATE_SERVER_TOOLS_OVERRIDE: 'render_altair' } })
  const client = await openLive(`${gw.wsUrl}&livegate_events=1`, setup([{ functionDeclarations: [CONSOLE_ALTAIR] }]))
  const conn = gw.sim.connections[0]!
  const altair = declarationsUpstream(conn).filter((d) => d.name === 'render_altair')
  t.equal(altair.length, 1)
  t.ok('altair_json' in (altair[0]?.parameters?.properties ?? {}), 'the server\'s declaration replaced the client\'s')
  const conflict = await client.waitFor(isLivegate('toolConflict'))
  t.match(conflict.json, { livegate: { toolConflict: { name: 'render_altair', owner: 'server', override: /remove render_altair from LIVEGATE_SERVER_TOOLS_OVERRIDE/ } } })
  t.match(gw.logs.text(), /client declaration replaced by the server tool \(LIVEGATE_SERVER_TOOLS_OVERRIDE\)/)
  say(client, 'a chart please')
  const run = await client.waitFor(isLivegate('toolRun'), RENDER_WAIT_MS)
  t.match(run.json, { livegate: { toolRun: { name: 'render_altair', status: 'ok' } } })
  await client.waitFor(isTurnComplete, RENDER_WAIT_MS)
  t.notOk(client.frames.some(hasKey('toolCall')), 'the client never saw the call')
  client.ws.close()
})

t.test('an override naming a tool that is not enabled fails at boot', async (t) => {
  const registry = createToolRegistry([{ declaration: { name: 'draw_map', description: 'd' }, run: async () => ({ response: {}, artifacts: [] }) }], undefined)
  t.throws(() => createToolInterceptorFactory({ registry, artifacts: {} as ArtifactStore, publicBaseUrl: () => 'http://gw', scheduling: 'WHEN_IDLE', timeoutMs: 1000, override: ['render_altair'] }),
    { code: 'LG_ERR_CONFIG_INVALID', message: /LIVEGATE_SERVER_TOOLS_OVERRIDE names render_altair, which is not an enabled server tool \(enabled: draw_map\)/ })
})

t.test('a thin client that declares nothing gets every server tool; without events it gets no conflict frames', async (t) => {
  const gw = await startGateway(t, { sim: { script } })
  const thin = await openLive(gw.wsUrl, setup(undefined))
  t.same(declarationsUpstream(gw.sim.connections[0]!).map((d) => d.name).sort(), ['draw_map', 'render_altair'])
  say(thin, 'a chart please')
  await thin.waitFor(isTurnComplete, RENDER_WAIT_MS)
  t.match(thin.frames.map(textOf).join(''), /chart: \{"result":"ok"/, 'the server ran the call')
  thin.ws.close()

  const quiet = await openLive(gw.wsUrl, setup([{ functionDeclarations: [CONSOLE_ALTAIR] }]))
  say(quiet, 'hello')
  await quiet.waitFor(isTurnComplete)
  t.notOk(quiet.frames.some((f) => f.json !== undefined && 'livegate' in f.json), 'no livegate frames for a client that did not ask')
  quiet.ws.close()
})

t.test('a client that declares every server tool itself gets its setup forwarded byte for byte', async (t) => {
  // Without transparent resumption, which adds sessionResumption to every setup.
  const gw = await startGateway(t, { sim: { script }, env: { LIVEGATE_RESUME_BUFFER_MESSAGES: '0' } })
  const mapDecl = { name: 'draw_map', description: 'mine' }
  const raw = JSON.stringify(setup([{ functionDeclarations: [CONSOLE_ALTAIR, mapDecl] }]))
  const client = await connect(gw.wsUrl)
  client.send(raw)
  await client.waitFor(hasKey('setupComplete'))
  const conn = gw.sim.connections[0]!
  t.equal(conn.received[0]?.bytes, Buffer.byteLength(raw), 'not re-serialised')
  t.same(declarationsUpstream(conn).map((d) => d.description), [CONSOLE_ALTAIR.description, 'mine'])
  client.ws.close()
})

t.test('connection options as a /o/ path prefix, as a raw client dials them', async (t) => {
  const gw = await startGateway(t, { sim: { script } })
  const base = gw.httpUrl.replace('http:', 'ws:')
  const rows = [
    { path: `/o/server_tools=none${LIVE_PATH}`, names: [] as string[] },
    { path: `/o/server_tools=draw_map//${LIVE_PATH.slice(1)}`, names: ['draw_map'] },
    { path: `//o/server_tools=none;livegate_events=1/${LIVE_PATH}`, names: [] },
    { path: '/o/server_tools=render_altair/v1/live', names: ['render_altair'] },
  ]
  for (const row of rows) {
    const client = await openLive(`${base}${row.path}?key=${CLIENT_TOKEN}`, setup(undefined))
    const conn = gw.sim.connections.at(-1)!
    t.same(declarationsUpstream(conn).map((d) => d.name), row.names, row.path)
    client.ws.close()
    await conn.closed
  }
  const queryWins = await openLive(`${base}/o/server_tools=none${LIVE_PATH}?key=${CLIENT_TOKEN}&server_tools=draw_map`, setup(undefined))
  t.same(declarationsUpstream(gw.sim.connections.at(-1)!).map((d) => d.name), ['draw_map'], 'the query wins over the prefix')
  queryWins.ws.close()
})

t.test('a bad /o/ prefix is refused after the upgrade with 1008 and the reason', async (t) => {
  const gw = await startGateway(t)
  const base = gw.httpUrl.replace('http:', 'ws:')
  const rows = [
    { options: 'livegate_event=1', reason: /^LG_ERR_RELAY_BAD_OPTION: unknown option "livegate_event"/ },
    { options: `key=${CLIENT_TOKEN}`, reason: /^LG_ERR_RELAY_BAD_OPTION: key does not belong in the \/o\/ path prefix/ },
    { options: 'server_tools=nope', reason: /^LG_ERR_TOOL_UNKNOWN: / },
  ]
  for (const row of rows) {
    const client = await connect(`${base}/o/${row.options}${LIVE_PATH}?key=${CLIENT_TOKEN}`)
    const closed = await client.closed
    t.equal(closed.code, 1008, row.options)
    t.match(closed.reason, row.reason, row.options)
  }
})

/** The HTTP answer to a WebSocket upgrade that is refused before it happens. */
async function refusedUpgrade (url: string): Promise<{ status: number, type: string | undefined, body: Record<string, unknown> }> {
  return await new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false })
    ws.on('open', () => { ws.close(); reject(new Error(`${url}: upgraded`)) })
    ws.on('error', () => {})
    ws.on('unexpected-response', (req, res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        req.destroy()
        const text = Buffer.concat(chunks).toString()
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: JSON.parse(text) as Record<string, unknown> })
      })
    })
  })
}

t.test('a WebSocket upgrade on a path that is not a Live endpoint gets 404 problem+json, not the page', async (t) => {
  const gw = await startGateway(t)
  const base = gw.httpUrl.replace('http:', 'ws:')
  for (const path of [
    `/?server_tools=none/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent?key=${CLIENT_TOKEN}`,
    '/index.html', '/healthz', '/v1/artifacts/x.png', `/nope${LIVE_PATH}`, `/o/a/b${LIVE_PATH}`,
  ]) {
    const res = await refusedUpgrade(`${base}${path}`)
    t.equal(res.status, 404, path)
    t.match(res.type, /^application\/problem\+json/, path)
    t.match(res.body, { code: 'LG_ERR_HTTP_NOT_FOUND', status: 404, detail: /no Live endpoint at this path/ }, path)
    t.notMatch(JSON.stringify(res.body), CLIENT_TOKEN, 'the token is not echoed')
  }
  const page = await fetch(`${gw.httpUrl}/`)
  t.equal(page.status, 200, 'a plain GET still gets the page')
})

t.test('the JS SDK with the options in its baseUrl: events arrive, and a trailing slash (//ws) works too', async (t) => {
  const { GoogleGenAI } = await import('@google/genai')
  const gw = await startGateway(t, { sim: { script } })
  for (const baseUrl of [`${gw.httpUrl}/o/livegate_events=1`, `${gw.httpUrl}/o/livegate_events=1/`]) {
    const ai = new GoogleGenAI({ apiKey: CLIENT_TOKEN, httpOptions: { baseUrl, apiVersion: 'v1beta' } })
    const messages: Array<Record<string, unknown>> = []
    let done: () => void = () => {}
    const turnDone = new Promise<void>((resolve) => { done = resolve })
    const session = await ai.live.connect({
      model: 'gemini-3.1-flash-live-preview',
      config: { responseModalities: ['TEXT' as never], tools: [{ functionDeclarations: [CONSOLE_ALTAIR as never] }] },
      callbacks: {
        onmessage: (m) => {
          messages.push(m as unknown as Record<string, unknown>)
          for (const fc of m.toolCall?.functionCalls ?? []) session.sendToolResponse({ functionResponses: [{ id: fc.id, name: fc.name, response: { output: { success: true } } }] })
          if (m.serverContent?.turnComplete === true) done()
        },
      },
    })
    session.sendClientContent({ turns: [{ role: 'user', parts: [{ text: 'draw the graph' }] }], turnComplete: true })
    await turnDone
    session.close()
    const conn = gw.sim.connections.at(-1)!
    t.match(conn.path, /\/ws\/google\.ai\.generativelanguage\.v1beta/, 'upstream gets Google\'s path, not the prefix')
    t.ok(messages.some((m) => (m.livegate as { toolConflict?: { name?: string } } | undefined)?.toolConflict?.name === 'render_altair'),
      `${baseUrl}: the SDK delivered the toolConflict event`)
    t.ok(messages.some((m) => m.toolCall !== undefined), `${baseUrl}: the SDK app received its own render_altair call`)
  }
  const dialed = gw.logs.entries().map((e) => (e.req as { url?: string } | undefined)?.url ?? '').filter((u) => u.includes('/o/'))
  t.ok(dialed.some((u) => u.startsWith('/o/livegate_events=1/ws/')), 'the SDK dialed /o/livegate_events=1/ws/…')
  t.ok(dialed.some((u) => u.startsWith('/o/livegate_events=1//ws/')), 'and /o/livegate_events=1//ws/… with the trailing slash')
})
