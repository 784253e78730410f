/**
 * Issue 15, point 3: a client-chosen string reaches the log clipped, so a refused connection costs a few KB of log
 * whatever it sent. Run against the default offline setup (no Gemini key: the built-in simulator is the upstream).
 */
import { once } from 'node:events'
import t from 'tap'
import WebSocket from 'ws'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { truncateForLog } from '../src/logger.js'
import { createLogSink } from './helpers/log-sink.js'

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
