/**
 * Vertex AI as the upstream (issue 12 §4): ADC tokens from a fake metadata server on loopback, the simulator playing
 * Vertex (its path, Bearer checks, model resource names). Clients keep the Gemini API's paths and model ids.
 */
import { once } from 'node:events'
import t from 'tap'
import { pino } from 'pino'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { VERTEX_LIVE_PATH, vertexModelName } from '../../src/live/vertex.js'
import { ToolInterceptor } from '../../src/live/tool-interceptor.js'
import type { SessionIO } from '../../src/live/session.js'
import type { ArtifactStore } from '../../src/artifacts/store.js'
import type { Script } from '../../src/simulator/script.js'
import { startFakeMetadata, useFakeMetadata } from '../helpers/fake-metadata.js'
import { startGateway, CLIENT_TOKEN, SERVER_KEY } from '../helpers/gateway.js'
import { createLogSink } from '../helpers/log-sink.js'
import { isTurnComplete, openLive, say, textOf } from '../helpers/ws-client.js'

const PROJECT = 'lg-test-project'
const LOCATION = 'us-central1'
const MODEL_ID = 'gemini-3.1-flash-live-preview'
const RESOURCE = `projects/${PROJECT}/locations/${LOCATION}/publishers/google/models/${MODEL_ID}`
const script: Script = { rules: [{ match: /hello/i, reply: [{ say: 'Hello from simulated Vertex.' }] }] }

const accessTokens = new Set<string>()
const metadata = await startFakeMetadata(t, (token) => accessTokens.add(token))
await useFakeMetadata(t, metadata)

const VERTEX_ENV = {
  GOOGLE_GENAI_USE_VERTEXAI: 'true',
  GOOGLE_CLOUD_PROJECT: PROJECT,
  GOOGLE_CLOUD_LOCATION: LOCATION,
}

async function vertexGateway (t: Parameters<typeof startGateway>[0], env: Record<string, string> = {}): Promise<Awaited<ReturnType<typeof startGateway>>> {
  return await startGateway(t, { sim: { script, vertex: { project: PROJECT, location: LOCATION, accessTokens } }, env: { ...VERTEX_ENV, ...env } })
}

const setup = { setup: { model: `models/${MODEL_ID}`, generationConfig: { responseModalities: ['TEXT'] } } }

t.test('a raw client on the Gemini API path talks to Vertex AI: Vertex path, Bearer token, model resource name', async (t) => {
  const gw = await vertexGateway(t)
  const client = await openLive(gw.wsUrl, setup)
  const conn = gw.sim.connections[0]!
  t.equal(conn.api, 'vertex')
  t.equal(conn.path, VERTEX_LIVE_PATH, 'livegate dialed Vertex\'s method path, without a query')
  t.ok(metadata.issued.includes(conn.credential ?? ''), 'with an access token from the metadata server')
  t.equal(conn.headers.authorization, `Bearer ${conn.credential ?? ''}`, 'as Authorization: Bearer')
  t.not(conn.credential, SERVER_KEY, 'the Gemini key set alongside never goes to Vertex')
  t.equal(conn.setup?.model, RESOURCE, 'models/X became the Vertex resource name')
  say(client, 'hello')
  await client.waitFor(isTurnComplete)
  t.match(client.frames.map(textOf).join(''), /Hello from simulated Vertex/)
  client.ws.close()
  await conn.closed
  const logs = gw.logs.text()
  for (const token of metadata.issued) {
    t.notOk(logs.includes(token), 'the access token is never logged')
    t.notOk(client.frames.some((f) => f.data.toString().includes(token)), 'nor sent to the client')
  }
  t.match(logs, /"api":"vertex"[^\n]*live relay upstream/)
  t.ok(metadata.requests.every((p) => p.startsWith('/computeMetadata/v1/')), 'only the fake metadata server was asked')
})

t.test('the JS SDK (Gemini API mode) talks to Vertex AI through livegate', async (t) => {
  const { GoogleGenAI } = await import('@google/genai')
  const gw = await vertexGateway(t)
  const ai = new GoogleGenAI({ apiKey: CLIENT_TOKEN, httpOptions: { baseUrl: gw.httpUrl, apiVersion: 'v1beta' } })
  let text = ''
  let done: () => void = () => {}
  const turnDone = new Promise<void>((resolve) => { done = resolve })
  const session = await ai.live.connect({
    model: MODEL_ID,
    config: { responseModalities: ['TEXT' as never] },
    callbacks: {
      onmessage (m) {
        for (const p of m.serverContent?.modelTurn?.parts ?? []) text += p.text ?? ''
        if (m.serverContent?.turnComplete === true) done()
      },
    },
  })
  session.sendClientContent({ turns: [{ role: 'user', parts: [{ text: 'hello' }] }], turnComplete: true })
  await turnDone
  session.close()
  t.match(text, /Hello from simulated Vertex/)
  t.equal(gw.sim.connections[0]?.setup?.model, RESOURCE)
})

t.test('tokens are refreshed before they expire: a session after the refresh uses the new token', async (t) => {
  // A token that expires in 2 s is inside google-auth-library's eager-refresh window at once: livegate refreshes it
  // within about a second. The next tokens live an hour.
  metadata.lifetimes = [2, 3600]
  const before = metadata.issued.length
  const gw = await vertexGateway(t)
  const first = metadata.issued[before]!
  while (metadata.issued.length < before + 2) await once(metadata.events, 'token')
  const second = metadata.issued[before + 1]!
  accessTokens.delete(first) // the simulator now refuses the expired token
  const client = await openLive(gw.wsUrl, setup)
  t.equal(gw.sim.connections.at(-1)?.credential, second, 'the refreshed token went upstream')
  say(client, 'hello')
  await client.waitFor(isTurnComplete)
  client.ws.close()
  metadata.lifetimes = [3600]
})

t.test('the simulator playing Vertex refuses what Vertex refuses, and livegate relays the reason', async (t) => {
  const gw = await vertexGateway(t)
  const stale = await openLive(gw.wsUrl, setup)
  stale.ws.close()
  for (const token of [...accessTokens]) accessTokens.delete(token) // every token revoked upstream
  const client = await (await import('../helpers/ws-client.js')).connect(gw.wsUrl)
  client.send(setup)
  const closed = await client.closed
  t.equal(closed.code, 1008)
  t.match(closed.reason, /^Request had invalid authentication credentials/)
  for (const token of metadata.issued) accessTokens.add(token)
})

t.test('no Application Default Credentials: the gateway refuses to start, naming the cause, never a token', async (t) => {
  metadata.failing = true
  t.teardown(() => { metadata.failing = false })
  const logs = createLogSink()
  const config = loadConfig({ ...VERTEX_ENV, LIVEGATE_STORE: 'memory', LIVEGATE_RENDER_THREADS: '1', LIVEGATE_LOG_LEVEL: 'debug' })
  await t.rejects(buildApp(config, { logStream: logs.stream }), { code: 'LG_ERR_UPSTREAM_AUTH', message: /Application Default Credentials/ })
  t.match(logs.text(), /Vertex AI access token refresh failed/)
})

t.test('config: Vertex needs a project and a location; the host follows the location', async (t) => {
  t.throws(() => loadConfig({ GOOGLE_GENAI_USE_VERTEXAI: 'true' }), {
    code: 'LG_ERR_CONFIG_INVALID',
    message: /GOOGLE_CLOUD_PROJECT must be set[\s\S]*GOOGLE_CLOUD_LOCATION must be set/,
  })
  t.throws(() => loadConfig({ ...VERTEX_ENV, GOOGLE_CLOUD_LOCATION: 'US Central' }), { message: /GOOGLE_CLOUD_LOCATION="US Central": not a location/ })
  const regional = loadConfig(VERTEX_ENV)
  t.equal(regional.upstream.baseUrl, 'https://us-central1-aiplatform.googleapis.com')
  t.same(regional.upstream.vertex, { project: PROJECT, location: LOCATION, credentialsFile: undefined })
  t.equal(loadConfig({ ...VERTEX_ENV, GOOGLE_CLOUD_LOCATION: 'global' }).upstream.baseUrl, 'https://aiplatform.googleapis.com')
  t.equal(loadConfig({ ...VERTEX_ENV, LIVEGATE_UPSTREAM_URL: 'http://127.0.0.1:9' }).upstream.baseUrl, 'http://127.0.0.1:9', 'LIVEGATE_UPSTREAM_URL still overrides the host')
  t.equal(loadConfig({ ...VERTEX_ENV, GEMINI_API_KEY: 'k' }).upstream.apiKey, undefined, 'a Gemini key is not used with Vertex')
  t.equal(loadConfig({ GEMINI_API_KEY: 'k' }).upstream.vertex, undefined)
})

t.test('vertexModelName names models as Vertex does', async (t) => {
  t.equal(vertexModelName('models/gemini-3.8-live', 'p', 'global'), 'projects/p/locations/global/publishers/google/models/gemini-3.8-live')
  t.equal(vertexModelName('gemini-3.8-live', 'p', 'l'), 'projects/p/locations/l/publishers/google/models/gemini-3.8-live')
  t.equal(vertexModelName('publishers/google/models/x', 'p', 'l'), 'projects/p/locations/l/publishers/google/models/x')
  t.equal(vertexModelName('projects/o/locations/m/publishers/google/models/x', 'p', 'l'), 'projects/o/locations/m/publishers/google/models/x')
})

t.test('a Vertex function call without an id is run and answered by name, with no invented id', async (t) => {
  const sent: Array<Record<string, unknown>> = []
  let answered: () => void = () => {}
  const answer = new Promise<void>((resolve) => { answered = resolve })
  const interceptor = new ToolInterceptor({
    tools: new Map([['render_altair', { declaration: { name: 'render_altair', description: 'd' }, run: async () => ({ result: 'ok' }) }]]),
    artifacts: {} as ArtifactStore,
    publicBaseUrl: 'http://gw',
    events: false,
    scheduling: 'WHEN_IDLE',
    timeoutMs: 5000,
    idlessCalls: true,
    clientName: 'anonymous',
  })
  const log = pino({ level: 'silent' })
  interceptor.attach({ id: 's', log, sendClient () {}, sendUpstream (m: Record<string, unknown>) { sent.push(m); answered() } } as unknown as SessionIO)
  t.equal(interceptor.onUpstreamMessage({ toolCall: { functionCalls: [{ name: 'render_altair', args: {} }] } }), false, 'taken out of the client\'s stream')
  await answer
  const response = JSON.parse(JSON.stringify(sent[0])) as { toolResponse: { functionResponses: Array<Record<string, unknown>> } }
  t.same(response.toolResponse.functionResponses, [{ name: 'render_altair', response: { result: 'ok' } }])
  t.equal(interceptor.wantsClientFrame(Buffer.from('{"toolResponse":{}}')), false, 'no id remembered')
})
