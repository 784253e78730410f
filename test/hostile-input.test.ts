/**
 * Hostile input across the gateway: a client-chosen string reaches the log clipped, so a refused connection costs a
 * few KB of log whatever it sent (run against the default offline setup: no Gemini key, the built-in simulator is the
 * upstream); and what the model is told when a provider is silent or a chart is huge.
 */
import { once } from 'node:events'
import t from 'tap'
import WebSocket from 'ws'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { truncateForLog } from '../src/logger.js'
import { createLogSink } from './helpers/log-sink.js'
import { startGateway } from './helpers/gateway.js'
import { connect, hasKey, isTurnComplete } from './helpers/ws-client.js'
import { startFakeGoogle } from './maps/fake-servers.js'
import type { Script } from '../src/simulator/script.js'

const MAPS_KEY = 'AIzaSy-hostile-input-maps-key-never-to-the-model'

const LIVE_PATH = '/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent'
/** "A few KB": what one refused connection may cost in log bytes, whatever it sent. */
const LOG_BUDGET_BYTES = 4096

async function offlineGateway (t: { teardown: (fn: () => Promise<void>) => void }, env: Record<string, string> = {}) {
  const logs = createLogSink()
  const app = await buildApp(loadConfig({ LIVEGATE_STORE: 'memory', LIVEGATE_PORT: '0', ...env }), { logStream: logs.stream })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => { await app.close() })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return { logs, url: `ws://127.0.0.1:${port}${LIVE_PATH}` }
}

async function closeOf (ws: WebSocket): Promise<{ code: number, reason: string }> {
  const [code, reason] = await once(ws, 'close') as [number, Buffer]
  return { code, reason: reason.toString() }
}

t.test('truncateForLog keeps short strings and clips long ones with their length', async (t) => {
  t.equal(truncateForLog('gemini-live-2.5-flash'), 'gemini-live-2.5-flash')
  t.equal(truncateForLog(undefined), undefined)
  const clipped = truncateForLog('x'.repeat(100_000))
  t.equal(clipped, `${'x'.repeat(200)}…(200 of 100000 chars)`)
})

t.test('a 100 KB model id in setup costs a few KB of log, not 200 KB', async (t) => {
  const { logs, url } = await offlineGateway(t)
  const before = logs.text().length
  const ws = new WebSocket(url)
  await once(ws, 'open')
  const model = `models/${'m'.repeat(100_000)}`
  const closed = closeOf(ws)
  ws.send(JSON.stringify({ setup: { model } }))
  const { code } = await closed
  t.ok(code >= 1000, `the session ended (${code})`)
  // The session's last line is written as the socket closes; give pino's sync stream a tick.
  await new Promise((resolve) => setImmediate(resolve))
  const spent = logs.text().slice(before)
  t.ok(spent.length > 0, 'the attempt was logged')
  t.ok(spent.length < LOG_BUDGET_BYTES, `${spent.length} log bytes for one refused 100 KB setup`)
  t.match(spent, /of 100007 chars\)/, 'the original length is noted')
  t.notMatch(spent, 'm'.repeat(201), 'no more than 200 characters of the model id')
})

t.test('a 6 KB Origin and a 6 KB query string cost a few KB of log', async (t) => {
  const { logs, url } = await offlineGateway(t, { LIVEGATE_ALLOWED_ORIGINS: 'https://app.example' })
  const before = logs.text().length
  const ws = new WebSocket(`${url}?junk=${'q'.repeat(6_000)}`, { headers: { origin: `https://${'o'.repeat(6_000)}.example` } })
  ws.on('error', () => {})
  const { code } = await closeOf(ws)
  t.equal(code, 1008, 'refused by the origin check')
  await new Promise((resolve) => setImmediate(resolve))
  const spent = logs.text().slice(before)
  t.ok(spent.length < LOG_BUDGET_BYTES, `${spent.length} log bytes for one refused connection`)
  t.notMatch(spent, 'o'.repeat(201))
  t.notMatch(spent, 'q'.repeat(201))
})

// Point 2 and point 1 as the model sees them: a tool call that hits a silent provider or a huge chart is answered
// with an error the model can act on (code, message naming the provider, what to do), and the session goes on.
t.test('the model hears a bounded, actionable error from draw_map (silent Google) and render_altair (a 1e9 px chart)', async (t) => {
  const google = await startFakeGoogle([{ status: 0, hang: true }])
  t.teardown(async () => { await google.close() })
  const hugeChart = JSON.stringify({ width: 1e9, height: 1e9, mark: 'point', data: { values: [{ a: 1 }] }, encoding: { x: { field: 'a', type: 'quantitative' } } })
  const script: Script = {
    rules: [
      { match: /map/, reply: [{ call: { name: 'draw_map', args: { center: '-33.86,151.21', zoom: 12 } } }, { say: 'done' }] },
      { match: /chart/, reply: [{ call: { name: 'render_altair', args: { altair_json: hugeChart } } }, { say: 'done' }] },
    ],
  }
  const gw = await startGateway(t, { sim: { script }, env: { MAPS_API_KEY: MAPS_KEY, LIVEGATE_MAPS_URL: google.url, LIVEGATE_OUTBOUND_TIMEOUT_MS: '500' } })
  const client = await connect(gw.wsUrl)
  // No tools declared: livegate adds its server tools (render_altair, draw_map) to the setup itself.
  client.send({ setup: { model: 'models/gemini-2.5-flash-native-audio-preview-09-2025' } })
  await client.waitFor(hasKey('setupComplete'))
  const conn = gw.sim.connections[0]
  if (conn === undefined) return t.fail('no upstream connection')
  const turn = async (text: string): Promise<void> => {
    const before = client.frames.length
    client.send({ clientContent: { turns: [{ role: 'user', parts: [{ text }] }], turnComplete: true } })
    await client.waitFor((f) => client.frames.indexOf(f) >= before && isTurnComplete(f), 60_000)
  }
  const responses = (): Array<{ name: string, response: { error?: { code: string, message: string, fix?: string } } }> =>
    conn.received.filter((f) => f.kind === 'toolResponse')
      .flatMap((f) => (f.message.toolResponse as { functionResponses: Array<{ name: string, response: { error?: { code: string, message: string } } }> }).functionResponses)
  await turn('a map please')
  const map = responses().find((r) => r.name === 'draw_map')?.response
  t.equal(map?.error?.code, 'LG_ERR_OUTBOUND_TIMEOUT')
  t.match(map?.error?.message, /^Google Static Maps did not answer within 500 ms$/)
  t.notMatch(JSON.stringify(conn.received.map((f) => f.message)), MAPS_KEY, 'the key never reaches the model')
  await turn('a chart please')
  const chart = responses().find((r) => r.name === 'render_altair')?.response
  t.equal(chart?.error?.code, 'LG_ERR_RENDER_TOO_MANY_PIXELS', 'refused as too large, not a crashed worker')
  t.match(chart?.error?.message, /1000000000 px/)
  client.ws.close()
})
