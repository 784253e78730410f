/**
 * Graceful drain (issue 10 §3), as SIGTERM runs it (src/main.ts calls `drain` then `app.close()`): readiness 503 at
 * once, new sessions refused, open sessions get LIVEGATE_DRAIN_MS, then 1012; a client that manages resumption gets
 * goAway first and its newest handle just before the close, and resumes through another replica.
 */
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { drain } from '../../src/live/drain.js'
import { CLIENT_TOKEN, LIVE_PATH, SERVER_KEY, startGateway } from '../helpers/gateway.js'
import { createLogSink } from '../helpers/log-sink.js'
import { connect, hasKey, isTurnComplete, openLive, say, textOf } from '../helpers/ws-client.js'
import type { Script } from '../../src/simulator/script.js'

const MODEL = 'models/gemini-3.1-flash-live-preview'
const PLAIN = { setup: { model: MODEL, generationConfig: { responseModalities: ['TEXT'] } } }
const RESUMING = { setup: { ...PLAIN.setup, sessionResumption: {} } }
const RECALL: Script = { rules: [], fallback: (turn) => [{ say: `turn ${turn.index}, after ${turn.history.map((h) => h.text).filter((x) => x.startsWith('remember')).join('|') || 'nothing'}` }] }

t.test('drain: readyz 503 at once, new sessions refused, 1012 after LIVEGATE_DRAIN_MS, the newest handle delivered first', async (t) => {
  const gw = await startGateway(t, { sim: { script: RECALL }, env: { LIVEGATE_DRAIN_MS: '5000' } })
  const plain = await openLive(gw.wsUrl, PLAIN)
  const resuming = await openLive(gw.wsUrl, RESUMING)
  say(resuming, 'remember the lighthouse')
  await resuming.waitFor(isTurnComplete)
  const leaving = await openLive(gw.wsUrl, PLAIN)

  t.equal((await fetch(`${gw.httpUrl}/readyz`)).status, 200)
  const draining = drain(gw.app.livegate, gw.app.livegate.config.drainMs)
  t.equal((await fetch(`${gw.httpUrl}/readyz`)).status, 503, 'out of rotation at once')
  const refused = await connect(gw.wsUrl)
  const refusedClose = await refused.closed
  t.match(refusedClose.reason, /^LG_ERR_RELAY_SHUTDOWN/, 'a new session is refused')

  // Sessions still work during the drain; one ends on its own.
  leaving.ws.close()
  t.same(await leaving.closed, { code: 1005, reason: '' }, 'a session that ends on its own during the drain')
  await resuming.waitFor(hasKey('goAway'))
  t.notOk(plain.frames.some(hasKey('goAway')), 'only a client that manages resumption hears goAway')
  say(plain, 'still there?')
  await plain.waitFor(isTurnComplete)

  const [plainClosed, resumingClosed] = await Promise.all([plain.closed, resuming.closed, draining])
  t.equal(plainClosed.code, 1012)
  t.match(plainClosed.reason, /^LG_ERR_RELAY_DRAINED: /)
  t.equal(resumingClosed.code, 1012)
  const last = resuming.frames.at(-1)?.json?.sessionResumptionUpdate as { newHandle?: string, resumable?: boolean } | undefined
  t.match(last, { newHandle: /^[\w-]{20,}$/, resumable: true }, 'the last frame before the close is the newest handle')
  t.notOk(plain.frames.some(hasKey('sessionResumptionUpdate')), 'a client that did not ask gets no handle')
  t.equal(gw.app.livegate.sessions.size, 0)

  // Another replica in front of the same Gemini takes the session over with that handle.
  const config = loadConfig({
    GEMINI_API_KEY: SERVER_KEY, LIVEGATE_UPSTREAM_URL: gw.sim.url, LIVEGATE_CLIENT_TOKENS: CLIENT_TOKEN,
    LIVEGATE_STORE: 'memory', LIVEGATE_RENDER_THREADS: '1', LIVEGATE_LOG_LEVEL: 'warn',
  })
  const other = await buildApp(config, { logStream: createLogSink().stream })
  t.teardown(() => other.close())
  await other.listen({ host: '127.0.0.1', port: 0 })
  const port = (other.server.address() as { port: number }).port
  const again = await openLive(`ws://127.0.0.1:${port}${LIVE_PATH}?key=${CLIENT_TOKEN}`, { setup: { ...PLAIN.setup, sessionResumption: { handle: last?.newHandle } } })
  say(again, 'and now?')
  await again.waitFor(isTurnComplete)
  t.match(again.frames.map(textOf).join(''), /^turn 1, after remember the lighthouse$/, 'the conversation resumed on the other replica')
  again.ws.close()
})

t.test('drain with no sessions ends at once', async (t) => {
  const gw = await startGateway(t, { env: { LIVEGATE_DRAIN_MS: '60000' } })
  // Were it to wait the full minute, tap's 30 s test timeout would fail this test.
  await drain(gw.app.livegate, gw.app.livegate.config.drainMs)
  t.equal((await fetch(`${gw.httpUrl}/readyz`)).status, 503)
})
