import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { createLogSink } from '../helpers/log-sink.js'
import { checkResponse } from '../helpers/openapi.js'
import { testRedisUrl } from '../helpers/redis-server.js'

const CLIENT_SECRET = 'backend-secret-0123456789'
const TOKEN_SECRET = 'token-secret-0123456789abcdefghijklmnop'
const BASE_ENV = {
  GEMINI_API_KEY: 'AIza-rest-test-key', LIVEGATE_UPSTREAM_URL: 'http://127.0.0.1:9', LIVEGATE_STORE: 'memory',
  LIVEGATE_RENDER_THREADS: '1', LIVEGATE_LOG_LEVEL: 'info',
}
const DOC_PATH = '/{apiVersion}/auth_tokens'

interface Teardown { teardown (fn: () => Promise<void> | void): void }

async function app (t: Teardown, env: Record<string, string> = {}): Promise<{ app: FastifyInstance, logs: () => string }> {
  const sink = createLogSink()
  const built = await buildApp(loadConfig({ ...BASE_ENV, LIVEGATE_CLIENT_TOKENS: `backend:${CLIENT_SECRET}`, LIVEGATE_TOKEN_SECRET: TOKEN_SECRET, ...env }), { logStream: sink.stream })
  t.teardown(() => built.close())
  return { app: built, logs: sink.text }
}

const mint = async (gw: FastifyInstance, body: unknown, headers: Record<string, string> = { 'x-goog-api-key': CLIENT_SECRET }, version = 'v1alpha') =>
  await gw.inject({ method: 'POST', url: `/${version}/auth_tokens`, payload: body as Record<string, unknown>, headers })

t.test('mints a token with Google\'s defaults, in the shape the SDKs read, on every API version', async (t) => {
  const { app: gw, logs } = await app(t)
  for (const version of ['v1alpha', 'v1beta', 'v1']) {
    const before = Date.now()
    const res = await mint(gw, {}, { 'x-goog-api-key': CLIENT_SECRET }, version)
    t.equal(res.statusCode, 200, version)
    t.same(checkResponse('post', DOC_PATH, res), [], 'matches openapi.yaml')
    const token = res.json() as { name: string, expireTime: string, newSessionExpireTime: string, uses: number }
    t.match(token.name, /^auth_tokens\//)
    t.equal(token.uses, 1, 'uses defaults to 1')
    const expireIn = Date.parse(token.expireTime) - before
    const newSessionIn = Date.parse(token.newSessionExpireTime) - before
    t.ok(expireIn >= 30 * 60_000 - 1000 && expireIn <= 30 * 60_000 + 60_000, 'expireTime defaults to 30 min ahead')
    t.ok(newSessionIn >= 59_000 && newSessionIn <= 120_000, 'newSessionExpireTime defaults to 60 s ahead')
  }
  const bearer = await mint(gw, { uses: 0, expireTime: new Date(Date.now() + 3600_000).toISOString() }, { authorization: `Bearer ${CLIENT_SECRET}` })
  t.equal(bearer.statusCode, 200, 'Bearer works too')
  t.equal(bearer.json().uses, 0, '0 = unlimited is kept')
  t.match(logs(), /"client":"backend"[^\n]*"msg":"auth token minted"/, 'the log names the client that minted')
  t.match(logs(), /"client":"backend"[^\n]*"msg":"request completed"/, 'so does the request\'s own log line')
  t.notMatch(logs(), CLIENT_SECRET)
  t.notMatch(logs(), bearer.json().name, 'the token itself is never logged')
})

t.test('refuses malformed requests with 400 problem+json naming the field', async (t) => {
  const { app: gw } = await app(t, { LIVEGATE_MODELS: 'gemini-3.8-live' })
  const soon = new Date(Date.now() + 60_000).toISOString()
  const cases: Array<[unknown, number, string, RegExp]> = [
    [{ liveConnectConstraints: {} }, 400, 'LG_ERR_AUTH_TOKEN_REQUEST', /unknown field "liveConnectConstraints"/],
    [{ uses: -1 }, 400, 'LG_ERR_AUTH_TOKEN_REQUEST', /uses/],
    [{ expireTime: 'tomorrow' }, 400, 'LG_ERR_AUTH_TOKEN_REQUEST', /expireTime/],
    [{ expireTime: '2020-01-01T00:00:00Z' }, 400, 'LG_ERR_AUTH_TOKEN_REQUEST', /expireTime: must be in the future/],
    [{ expireTime: new Date(Date.now() + 21 * 3600_000).toISOString() }, 400, 'LG_ERR_AUTH_TOKEN_REQUEST', /less than 20 hours/],
    [{ newSessionExpireTime: '2030-01-01T00:00:00' }, 400, 'LG_ERR_AUTH_TOKEN_REQUEST', /newSessionExpireTime/],
    [{ fieldMask: 'tools[0].name' }, 400, 'LG_ERR_AUTH_TOKEN_REQUEST', /fieldMask/],
    [{ bidiGenerateContentSetup: { model: 'models/other-model' }, expireTime: soon }, 403, 'LG_ERR_RELAY_MODEL_NOT_ALLOWED', /other-model/],
  ]
  for (const [body, status, code, detail] of cases) {
    const res = await mint(gw, body)
    t.equal(res.statusCode, status, JSON.stringify(body))
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.match(res.json(), { code, detail })
    t.same(checkResponse('post', DOC_PATH, res), [])
  }
  const ok = await mint(gw, { bidiGenerateContentSetup: { model: 'models/gemini-3.8-live' }, fieldMask: 'model', newSessionExpireTime: new Date(Date.now() + 5000).toISOString().replace('Z', '123+00:00') })
  t.equal(ok.statusCode, 200, 'an allowed model, a mask, and a Python-style timestamp with microseconds and an offset')
})

t.test('minting needs a client token; an ephemeral token can neither mint nor call the REST API', async (t) => {
  const { app: gw } = await app(t)
  const none = await mint(gw, {}, {})
  t.equal(none.statusCode, 401)
  t.equal(none.json().code, 'LG_ERR_AUTH_MISSING')
  t.same(checkResponse('post', DOC_PATH, none), [])
  const wrong = await mint(gw, {}, { 'x-goog-api-key': 'not-the-secret-0123456789' })
  t.equal(wrong.json().code, 'LG_ERR_AUTH_INVALID')
  const token = (await mint(gw, { uses: 0 })).json().name as string
  const again = await mint(gw, {}, { 'x-goog-api-key': token })
  t.equal(again.statusCode, 403)
  t.equal(again.json().code, 'LG_ERR_AUTH_TOKEN_CONSTRAINT')
  t.same(checkResponse('post', DOC_PATH, again), [])
  const chart = await gw.inject({ method: 'POST', url: '/v1/charts', payload: { mark: 'bar' }, headers: { authorization: `Bearer ${token}` } })
  t.equal(chart.statusCode, 403)
  t.same(checkResponse('post', '/v1/charts', chart), [])
  const forged = await mint(gw, {}, { 'x-goog-api-key': `${token.slice(0, -3)}abc` })
  t.equal(forged.statusCode, 401)
  t.equal(forged.json().code, 'LG_ERR_AUTH_TOKEN_SIGNATURE')
})

t.test('without LIVEGATE_TOKEN_SECRET: a per-process key when alone, a clear 503 with a shared Redis store', async (t) => {
  const alone = await app(t, { LIVEGATE_TOKEN_SECRET: '' })
  t.equal((await mint(alone.app, {})).statusCode, 200)
  t.match(alone.logs(), /LIVEGATE_TOKEN_SECRET is not set: ephemeral tokens are signed with a per-process key/)
  const shared = await app(t, { LIVEGATE_TOKEN_SECRET: '', LIVEGATE_STORE: await testRedisUrl(t) })
  const refused = await mint(shared.app, {})
  t.equal(refused.statusCode, 503)
  t.equal(refused.json().code, 'LG_ERR_AUTH_TOKEN_SECRET_MISSING')
  t.same(checkResponse('post', DOC_PATH, refused), [])
  t.match(shared.logs(), /minting ephemeral tokens is refused/)
})

t.test('secure by default: with a Gemini key and no client tokens only loopback clients are served', async (t) => {
  const { app: gw, logs } = await app(t, { LIVEGATE_CLIENT_TOKENS: '' })
  t.match(logs(), /"authMode":"loopback"[^\n]*serving LOCAL \(loopback\) clients only/, 'the start-up log says so')
  const local = await mint(gw, {}, {})
  t.equal(local.statusCode, 200, 'a local backend mints without a token')
  const remote = await gw.inject({ method: 'POST', url: '/v1/charts', payload: { mark: 'bar' }, remoteAddress: '203.0.113.7' })
  t.equal(remote.statusCode, 401)
  t.equal(remote.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(remote.json(), { code: 'LG_ERR_AUTH_LOOPBACK_ONLY', detail: /set LIVEGATE_CLIENT_TOKENS \(or LIVEGATE_ALLOW_ANONYMOUS=true\)/ })
  t.same(checkResponse('post', '/v1/charts', remote), [])
  const viaForwarded = await mint(gw, {}, { 'x-forwarded-for': '203.0.113.7' })
  t.equal(viaForwarded.statusCode, 200, 'X-Forwarded-For is ignored unless LIVEGATE_TRUST_PROXY')
  const health = await gw.inject({ method: 'GET', url: '/healthz', remoteAddress: '203.0.113.7' })
  t.equal(health.statusCode, 200, 'health stays public')
})

t.test('behind a trusted proxy the forwarded client address decides', async (t) => {
  const { app: gw } = await app(t, { LIVEGATE_CLIENT_TOKENS: '', LIVEGATE_TRUST_PROXY: 'true' })
  const remote = await mint(gw, {}, { 'x-forwarded-for': '203.0.113.7' })
  t.equal(remote.statusCode, 401)
  t.equal(remote.json().code, 'LG_ERR_AUTH_LOOPBACK_ONLY')
  t.equal((await mint(gw, {}, { 'x-forwarded-for': '127.0.0.1' })).statusCode, 200)
  const forged = await mint(gw, {}, { 'x-forwarded-for': '127.0.0.1, 203.0.113.7' })
  t.equal(forged.statusCode, 401, 'a client that writes 127.0.0.1 in front of the chain its proxy appended to stays remote')
  t.equal(forged.json().code, 'LG_ERR_AUTH_LOOPBACK_ONLY')
})

t.test('LIVEGATE_ALLOW_ANONYMOUS opens the gateway on purpose, loudly; the simulator is open without asking', async (t) => {
  const open = await app(t, { LIVEGATE_CLIENT_TOKENS: '', LIVEGATE_ALLOW_ANONYMOUS: 'true' })
  t.match(open.logs(), /"authMode":"anonymous"[^\n]*ANY client/)
  t.equal((await open.app.inject({ method: 'POST', url: '/v1alpha/auth_tokens', payload: {}, remoteAddress: '203.0.113.7' })).statusCode, 200)
  const sim = await app(t, { LIVEGATE_CLIENT_TOKENS: '', GEMINI_API_KEY: '', LIVEGATE_UPSTREAM_URL: '' })
  t.match(sim.logs(), /"authMode":"open"/)
  t.equal((await sim.app.inject({ method: 'POST', url: '/v1alpha/auth_tokens', payload: {}, remoteAddress: '203.0.113.7' })).statusCode, 200)
})
