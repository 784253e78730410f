import t, { type Test } from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { startGateway, CLIENT_TOKEN, LIVE_PATH, type Gateway } from '../helpers/gateway.js'
import { connect, hasKey, openLive, say, isTurnComplete, textOf, type TestClient } from '../helpers/ws-client.js'
import { valueOf } from '../helpers/prometheus.js'
import { checkResponse } from '../helpers/openapi.js'

const SETUP = { setup: { model: 'models/gemini-3.1-flash-live-preview', generation_config: { response_modalities: ['TEXT'] } } }
const OTHER_TOKEN = 'lg-client-token-test-2-other'
const TOKENS = `${CLIENT_TOKEN},${OTHER_TOKEN}`

function urlFor (gw: Gateway, token: string): string {
  return `${gw.httpUrl.replace('http', 'ws')}${LIVE_PATH}?key=${token}`
}

async function metrics (gw: Gateway): Promise<string> {
  return (await gw.app.inject({ method: 'GET', url: '/metrics' })).body
}

async function eventually<T> (what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (ok(value)) return value
    if (Date.now() > until) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`)
    await sleep(50)
  }
}

/** A refused client: the upgrade succeeds, then the close code and reason say which limit (code 0: it was admitted). */
async function refused (url: string): Promise<{ code: number, reason: string }> {
  const client = await connect(url)
  client.send(SETUP)
  const admitted = client.waitFor(hasKey('setupComplete'), 15_000).then(() => {
    client.ws.close()
    return { code: 0, reason: 'admitted: setupComplete arrived' }
  }, () => ({ code: 0, reason: 'neither closed nor admitted' }))
  return await Promise.race([client.closed, admitted])
}

/** A session that is open answers a turn, whatever was refused meanwhile. */
async function stillAnswers (t: Test, client: TestClient, what: string): Promise<void> {
  const mark = client.frames.length
  say(client, 'What are the last five Denis Villeneuve films?')
  await client.waitFor((f) => client.frames.indexOf(f) >= mark && isTurnComplete(f), 15_000)
  t.match(client.frames.slice(mark).map(textOf).join(''), /Dune/, what)
}

/** Fixed one-minute windows: start a per-minute test early in a minute, so its sessions share one window. */
async function earlyInAMinute (): Promise<void> {
  const second = new Date().getUTCSeconds()
  if (second > 40) await sleep((61 - second) * 1000)
}

t.test('LIVEGATE_MAX_SESSIONS_PER_CLIENT: the client\'s next session is refused with 1013; its open one and other clients carry on', async (t) => {
  const gw = await startGateway(t, { env: { LIVEGATE_CLIENT_TOKENS: TOKENS, LIVEGATE_MAX_SESSIONS_PER_CLIENT: '1' } })
  const first = await openLive(urlFor(gw, CLIENT_TOKEN), SETUP)
  const closed = await refused(urlFor(gw, CLIENT_TOKEN))
  t.equal(closed.code, 1013)
  t.match(closed.reason, /^LG_ERR_LIMIT_CLIENT_SESSIONS: at most 1 open sessions per client/)
  const other = await openLive(urlFor(gw, OTHER_TOKEN), SETUP)
  await stillAnswers(t, first, 'the open session still answers')
  await stillAnswers(t, other, 'another client is not affected')
  t.equal(valueOf(await metrics(gw), 'livegate_limit_refusals_total', { limit: 'client_sessions' }), 1, 'the refusal is counted')
  t.match(gw.logs.text(), /LG_ERR_LIMIT_CLIENT_SESSIONS/)

  first.ws.close()
  await first.closed
  await eventually('the first session released', () => metrics(gw), (m) => valueOf(m, 'livegate_sessions_active') === 1)
  const again = await openLive(urlFor(gw, CLIENT_TOKEN), SETUP)
  t.pass('a closed session frees its slot')
  again.ws.close()
  other.ws.close()
})

t.test('LIVEGATE_MAX_SESSIONS caps the process for every client; open sessions carry on', async (t) => {
  const gw = await startGateway(t, { env: { LIVEGATE_CLIENT_TOKENS: TOKENS, LIVEGATE_MAX_SESSIONS: '2' } })
  const a = await openLive(urlFor(gw, CLIENT_TOKEN), SETUP)
  const b = await openLive(urlFor(gw, OTHER_TOKEN), SETUP)
  for (const token of [CLIENT_TOKEN, OTHER_TOKEN]) {
    const closed = await refused(urlFor(gw, token))
    t.equal(closed.code, 1013)
    t.match(closed.reason, /^LG_ERR_LIMIT_SESSIONS: this gateway holds its maximum of 2 sessions/)
  }
  await stillAnswers(t, a, 'first session answers')
  await stillAnswers(t, b, 'second session answers')
  t.equal(valueOf(await metrics(gw), 'livegate_limit_refusals_total', { limit: 'sessions' }), 2)
  a.ws.close()
  await eventually('a slot is free', () => metrics(gw), (m) => valueOf(m, 'livegate_sessions_active') === 1)
  const c = await openLive(urlFor(gw, OTHER_TOKEN), SETUP)
  t.pass('admitted once a session ended')
  c.ws.close()
  b.ws.close()
})

t.test('LIVEGATE_SESSIONS_PER_MINUTE_PER_CLIENT: a new session over the rate is refused with 1013 and when to retry', async (t) => {
  await earlyInAMinute()
  const gw = await startGateway(t, { env: { LIVEGATE_CLIENT_TOKENS: TOKENS, LIVEGATE_SESSIONS_PER_MINUTE_PER_CLIENT: '2' } })
  const first = await openLive(urlFor(gw, CLIENT_TOKEN), SETUP)
  const second = await openLive(urlFor(gw, CLIENT_TOKEN), SETUP)
  second.ws.close()
  const closed = await refused(urlFor(gw, CLIENT_TOKEN))
  t.equal(closed.code, 1013)
  t.match(closed.reason, /^LG_ERR_LIMIT_SESSION_RATE: at most 2 new sessions per minute for this client; retry in \d+ s/)
  await stillAnswers(t, first, 'the open session still answers')
  const other = await openLive(urlFor(gw, OTHER_TOKEN), SETUP)
  t.pass('another client has its own rate')
  t.equal(valueOf(await metrics(gw), 'livegate_limit_refusals_total', { limit: 'session_rate' }), 1)
  other.ws.close()
  first.ws.close()
})

t.test('LIVEGATE_DAILY_TOKENS_PER_CLIENT: once usageMetadata shows the budget spent, new sessions are refused; the open one carries on', async (t) => {
  const gw = await startGateway(t, { env: { LIVEGATE_CLIENT_TOKENS: TOKENS, LIVEGATE_DAILY_TOKENS_PER_CLIENT: '10' } })
  const first = await openLive(urlFor(gw, CLIENT_TOKEN), SETUP)
  const early = await openLive(urlFor(gw, CLIENT_TOKEN), SETUP)
  t.pass('admitted while nothing is spent')
  early.ws.close()
  await stillAnswers(t, first, 'a turn that spends more than 10 tokens')
  const usage = first.frames.find((f) => f.json?.usageMetadata !== undefined)?.json?.usageMetadata as { totalTokenCount: number }
  t.ok(usage.totalTokenCount > 10, 'the turn cost more than the budget')
  const closed = await refused(urlFor(gw, CLIENT_TOKEN))
  t.equal(closed.code, 1013)
  t.match(closed.reason, /^LG_ERR_LIMIT_DAILY_TOKENS: this client used its 10 tokens for today/)
  await stillAnswers(t, first, 'the open session is not cut')
  const other = await openLive(urlFor(gw, OTHER_TOKEN), SETUP)
  t.pass('another client has its own budget')
  t.equal(valueOf(await metrics(gw), 'livegate_limit_refusals_total', { limit: 'daily_tokens' }), 1)
  other.ws.close()
  first.ws.close()
})

t.test('under memory pressure REST answers 503 problem+json with Retry-After and new sessions get 1013; health and metrics still answer', async (t) => {
  // Any heap is over 1 KiB: pressure starts with under-pressure's first sample.
  const gw = await startGateway(t, { env: { LIVEGATE_MAX_HEAP_USED_BYTES: '1024' } })
  const url = '/v1/charts/png/not-even-a-spec'
  const res = await eventually('REST refused under pressure', () => gw.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${CLIENT_TOKEN}` } }), (r) => r.statusCode === 503)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(res.json().code, 'LG_ERR_LIMIT_PRESSURE')
  t.equal(res.headers['retry-after'], '10')
  t.same(checkResponse('get', '/v1/charts/{format}/{encoded}', { statusCode: res.statusCode, headers: res.headers, body: res.body }), [])
  const closed = await refused(gw.wsUrl)
  t.equal(closed.code, 1013)
  t.match(closed.reason, /^LG_ERR_LIMIT_PRESSURE: /)
  t.equal((await gw.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, '/healthz is not refused')
  const text = await metrics(gw)
  t.ok((valueOf(text, 'livegate_limit_refusals_total', { limit: 'pressure' }) ?? 0) >= 2, '/metrics answers and counts the refusals')
})

t.test('anonymous clients (LIVEGATE_ALLOW_ANONYMOUS) are limited per IP address and all labelled anonymous', async (t) => {
  const gw = await startGateway(t, { env: { LIVEGATE_CLIENT_TOKENS: '', LIVEGATE_ALLOW_ANONYMOUS: 'true', LIVEGATE_TRUST_PROXY: 'true', LIVEGATE_MAX_SESSIONS_PER_CLIENT: '1' } })
  const url = `${gw.httpUrl.replace('http', 'ws')}${LIVE_PATH}`
  const from = (ip: string): { headers: Record<string, string> } => ({ headers: { 'x-forwarded-for': ip } })
  const first = await openLive(url, SETUP, from('203.0.113.5'))
  const neighbour = await openLive(url, SETUP, from('203.0.113.6'))
  t.pass('two addresses, one session each')
  const client = await connect(url, from('203.0.113.5'))
  client.send(SETUP)
  const closed = await client.closed
  t.equal(closed.code, 1013)
  t.match(closed.reason, /^LG_ERR_LIMIT_CLIENT_SESSIONS: /)
  await stillAnswers(t, first, 'the open session of that address carries on')
  t.equal(valueOf(await metrics(gw), 'livegate_sessions_total', { client: 'anonymous' }), 2)
  neighbour.ws.close()
  first.ws.close()
})

t.test('an ephemeral token\'s sessions count against the client that minted it; the refusal does not spend a use', async (t) => {
  const gw = await startGateway(t, { env: { LIVEGATE_TOKEN_SECRET: 'limits-token-secret-0123456789abcdefghij', LIVEGATE_MAX_SESSIONS_PER_CLIENT: '1' } })
  const minted = await fetch(`${gw.httpUrl}/v1alpha/auth_tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': CLIENT_TOKEN }, body: JSON.stringify({ uses: 1 }),
  })
  t.equal(minted.status, 200)
  const token = ((await minted.json()) as { name: string }).name
  const constrained = `${gw.httpUrl.replace('http', 'ws')}/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained?access_token=${token}`
  const own = await openLive(gw.wsUrl, SETUP)
  const closed = await refused(constrained)
  t.equal(closed.code, 1013, 'the minting client already holds its one session')
  t.match(closed.reason, /^LG_ERR_LIMIT_CLIENT_SESSIONS: /)
  own.ws.close()
  await eventually('the slot is free', () => metrics(gw), (m) => valueOf(m, 'livegate_sessions_active') === 0)
  const browser = await openLive(constrained, SETUP)
  await stillAnswers(t, browser, 'the token\'s one use was still there')
  browser.ws.close()
})
