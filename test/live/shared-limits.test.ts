import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { startGateway, LIVE_PATH, type Gateway } from '../helpers/gateway.js'
import { connect, hasKey, openLive, say, isTurnComplete, textOf, type TestClient } from '../helpers/ws-client.js'
import { deleteKeys, startRedisServer, testRedisUrl } from '../helpers/redis-server.js'
import { checkResponse } from '../helpers/openapi.js'
import { valueOf } from '../helpers/prometheus.js'
import { loadConfig } from '../../src/config.js'
import { LIMIT_KEY_PREFIX } from '../../src/live/limit-counters.js'

const SETUP = { setup: { model: 'models/gemini-3.1-flash-live-preview', generation_config: { response_modalities: ['TEXT'] } } }
const SPEC = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', data: { values: [{ a: 1 }, { a: 2 }] }, mark: 'bar', encoding: { y: { field: 'a', type: 'quantitative' } } }

/**
 * Two replicas on one Redis, with client tokens no other test (or earlier run) uses, so counters on a shared test
 * Redis start at zero; their keys are deleted in teardown.
 */
async function twoReplicas (t: Test, env: Record<string, string>): Promise<{ a: Gateway, b: Gateway, token: string, other: string }> {
  const redis = await testRedisUrl(t)
  const token = `lg-limits-${randomBytes(12).toString('hex')}`
  const other = `lg-limits-${randomBytes(12).toString('hex')}`
  const tokens = [token, other]
  t.teardown(async () => {
    for (const name of (loadConfig({ LIVEGATE_CLIENT_TOKENS: tokens.join(',') }).clients.tokens ?? []).map((c) => c.name)) {
      for (const kind of ['sessions', 'tokens', 'renders']) await deleteKeys(redis, `${LIMIT_KEY_PREFIX}${kind}:${name}`)
    }
  })
  const shared = { LIVEGATE_STORE: redis, LIVEGATE_CLIENT_TOKENS: tokens.join(','), ...env }
  return { a: await startGateway(t, { env: shared }), b: await startGateway(t, { env: shared }), token, other }
}

function urlFor (gw: Gateway, token: string): string {
  return `${gw.httpUrl.replace('http', 'ws')}${LIVE_PATH}?key=${token}`
}

async function refused (url: string): Promise<{ code: number, reason: string }> {
  const client = await connect(url)
  client.send(SETUP)
  const admitted = client.waitFor(hasKey('setupComplete'), 15_000).then(() => {
    client.ws.close()
    return { code: 0, reason: 'admitted: setupComplete arrived' }
  }, () => ({ code: 0, reason: 'neither closed nor admitted' }))
  return await Promise.race([client.closed, admitted])
}

async function stillAnswers (t: Test, client: TestClient, what: string): Promise<void> {
  const mark = client.frames.length
  say(client, 'What are the last five Denis Villeneuve films?')
  await client.waitFor((f) => client.frames.indexOf(f) >= mark && isTurnComplete(f), 15_000)
  t.match(client.frames.slice(mark).map(textOf).join(''), /Dune/, what)
}

async function render (gw: Gateway, token: string): Promise<{ status: number, headers: Record<string, string>, body: string }> {
  const res = await fetch(`${gw.httpUrl}/v1/charts`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(SPEC) })
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() }
}

t.test('two replicas on one Redis share the REST render rate limit: the third render of the minute gets 429 problem+json with Retry-After', async (t) => {
  const { a, b, token, other } = await twoReplicas(t, { LIVEGATE_RENDERS_PER_MINUTE_PER_CLIENT: '2' })
  t.equal((await render(a, token)).status, 201, 'first render, on replica A')
  t.equal((await render(b, token)).status, 201, 'second render, on replica B')
  const over = await render(a, token)
  t.equal(over.status, 429, 'the third, back on A, counts both')
  t.equal(over.headers['content-type'], 'application/problem+json; charset=utf-8')
  const problem = JSON.parse(over.body) as Record<string, unknown>
  t.match(problem, { code: 'LG_ERR_LIMIT_RENDER_RATE', status: 429, limitName: 'render_rate', detail: /at most 2 render requests per minute/ })
  t.ok(Number(over.headers['retry-after']) >= 1 && Number(over.headers['retry-after']) <= 60, 'Retry-After within the window')
  t.same(checkResponse('post', '/v1/charts', { statusCode: over.status, headers: over.headers, body: over.body }), [], 'as documented')
  t.equal((await render(b, other)).status, 201, 'another client has its own count')
  t.equal(valueOf((await a.app.inject({ method: 'GET', url: '/metrics' })).body, 'livegate_limit_refusals_total', { limit: 'render_rate' }), 1)
})

t.test('two replicas on one Redis share the daily token budget: usage on A refuses new sessions on B, the open session carries on', async (t) => {
  const { a, b, token, other } = await twoReplicas(t, { LIVEGATE_DAILY_TOKENS_PER_CLIENT: '10' })
  const session = await openLive(urlFor(a, token), SETUP)
  await stillAnswers(t, session, 'a turn on A that costs more than 10 tokens')
  const usage = session.frames.find((f) => f.json?.usageMetadata !== undefined)?.json?.usageMetadata as { totalTokenCount: number }
  t.ok(usage.totalTokenCount > 10)
  // A sends the INCRBY to Redis before it relays the turnComplete frame, so B's read comes after it.
  const closed = await refused(urlFor(b, token))
  t.equal(closed.code, 1013, 'B refuses the client')
  t.match(closed.reason, /^LG_ERR_LIMIT_DAILY_TOKENS: /)
  await stillAnswers(t, session, 'the session on A is not cut')
  const fresh = await openLive(urlFor(b, other), SETUP)
  t.pass('another client still gets sessions on B')
  fresh.ws.close()
  session.ws.close()
})

t.test('two replicas on one Redis share the new-sessions-per-minute limit', async (t) => {
  const second = new Date().getUTCSeconds()
  if (second > 40) await sleep((61 - second) * 1000)
  const { a, b, token } = await twoReplicas(t, { LIVEGATE_SESSIONS_PER_MINUTE_PER_CLIENT: '1' })
  const session = await openLive(urlFor(a, token), SETUP)
  const closed = await refused(urlFor(b, token))
  t.equal(closed.code, 1013)
  t.match(closed.reason, /^LG_ERR_LIMIT_SESSION_RATE: at most 1 new sessions per minute/)
  await stillAnswers(t, session, 'the session on A carries on')
  session.ws.close()
})

t.test('when Redis is down the shared session limits let clients in (and say so in the log) rather than refuse everyone', async (t) => {
  const redis = await startRedisServer(t)
  const token = `lg-limits-${randomBytes(12).toString('hex')}`
  const gw = await startGateway(t, { env: { LIVEGATE_STORE: redis.url, LIVEGATE_CLIENT_TOKENS: token, LIVEGATE_SESSIONS_PER_MINUTE_PER_CLIENT: '1', LIVEGATE_DAILY_TOKENS_PER_CLIENT: '1' } })
  await redis.kill()
  for (const n of [1, 2]) {
    const session = await openLive(urlFor(gw, token), SETUP)
    await stillAnswers(t, session, `session ${n} admitted and relaying without Redis`)
    session.ws.close()
    await session.closed
  }
  t.match(gw.logs.text(), /limit counters unavailable: admitting the session unchecked/)
  t.notMatch(gw.logs.text(), /LG_ERR_LIMIT_/, 'nothing was refused')
})
