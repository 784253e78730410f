import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { startGateway, CLIENT_TOKEN, SERVER_KEY, type Gateway } from '../helpers/gateway.js'
import { connect, hasKey, isTurnComplete, openLive, say, textOf } from '../helpers/ws-client.js'
import { startRedisServer, testRedisUrl } from '../helpers/redis-server.js'

const TOKEN_SECRET = 'live-token-secret-0123456789abcdefghij'
const MODEL = 'models/gemini-3.1-flash-live-preview'
const CONSTRAINED = '/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained'
const UNCONSTRAINED = '/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContent'
const SETUP = { setup: { model: MODEL, generation_config: { response_modalities: ['TEXT'] } } }

interface GenAi {
  GoogleGenAI: new (options: { apiKey: string, httpOptions?: { baseUrl?: string, apiVersion?: string } }) => {
    authTokens: { create (params: { config?: Record<string, unknown> }): Promise<{ name?: string }> }
    live: {
      connect (params: {
        model: string
        config?: Record<string, unknown>
        callbacks: { onmessage: (m: { serverContent?: { turnComplete?: boolean, modelTurn?: { parts?: Array<{ text?: string }> } } }) => void }
      }): Promise<{ sendClientContent (p: { turns: unknown, turnComplete?: boolean }): void, close (): void }>
    }
  }
}

const SDKS: Array<{ name: string, load: () => Promise<GenAi> }> = [
  { name: '@google/genai 3.x', load: async () => await import('@google/genai') as unknown as GenAi },
  { name: '@google/genai 2.x', load: async () => await import('genai2') as unknown as GenAi },
]

async function gateway (t: Parameters<typeof startGateway>[0], env: Record<string, string> = {}): Promise<Gateway> {
  return await startGateway(t, { env: { LIVEGATE_TOKEN_SECRET: TOKEN_SECRET, ...env } })
}

async function mintToken (gw: Gateway, body: Record<string, unknown> = {}): Promise<string> {
  const res = await fetch(`${gw.httpUrl}/v1alpha/auth_tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': CLIENT_TOKEN }, body: JSON.stringify(body),
  })
  if (res.status !== 200) throw new Error(`minting answered ${res.status}: ${await res.text()}`)
  return ((await res.json()) as { name: string }).name
}

const wsUrl = (gw: Gateway, token: string, path = CONSTRAINED): string => `${gw.httpUrl.replace('http', 'ws')}${path}?access_token=${token}`

const upstreamSetup = (gw: Gateway, index: number): Record<string, unknown> =>
  (gw.sim.connections[index]?.received.find((f) => f.kind === 'setup')?.message as { setup: Record<string, unknown> }).setup

for (const sdk of SDKS) {
  t.test(`${sdk.name}: authTokens.create() against livegate, then live.connect() with the token, constraints applied`, async (t) => {
    const { GoogleGenAI } = await sdk.load()
    const gw = await gateway(t)
    const backend = new GoogleGenAI({ apiKey: CLIENT_TOKEN, httpOptions: { baseUrl: gw.httpUrl, apiVersion: 'v1alpha' } })
    const token = await backend.authTokens.create({
      config: {
        uses: 1,
        liveConnectConstraints: { model: 'gemini-3.1-flash-live-preview', config: { temperature: 0.2, systemInstruction: 'Answer briefly.' } },
        lockAdditionalFields: [],
      },
    })
    t.match(token.name, /^auth_tokens\//)
    const warn = console.warn
    console.warn = () => {} // the SDK warns that ephemeral tokens are experimental
    t.teardown(() => { console.warn = warn })
    const browser = new GoogleGenAI({ apiKey: token.name ?? '', httpOptions: { baseUrl: gw.httpUrl, apiVersion: 'v1alpha' } })
    let text = ''
    let done!: () => void
    const turnComplete = new Promise<void>((resolve) => { done = resolve })
    const session = await browser.live.connect({
      model: 'gemini-3.1-flash-live-preview',
      config: { responseModalities: ['TEXT'], temperature: 1.5, systemInstruction: 'Answer at length.' },
      callbacks: {
        onmessage (m) {
          text += (m.serverContent?.modelTurn?.parts ?? []).map((p) => p.text ?? '').join('')
          if (m.serverContent?.turnComplete === true) done()
        },
      },
    })
    session.sendClientContent({ turns: [{ role: 'user', parts: [{ text: 'hello' }] }], turnComplete: true })
    await turnComplete
    t.ok(text.length > 0, 'the model answered')
    const conn = gw.sim.connections[0]!
    t.equal(conn.credential, SERVER_KEY, 'upstream got the server key, never the token')
    const setup = upstreamSetup(gw, 0) as { generationConfig?: Record<string, unknown>, systemInstruction?: unknown }
    t.equal(setup.generationConfig?.temperature, 0.2, 'the locked temperature overwrote the client\'s')
    t.same(setup.generationConfig?.responseModalities, ['TEXT'], 'a field the token did not lock stays the client\'s')
    t.match(JSON.stringify(setup.systemInstruction), /Answer briefly/, 'the locked system instruction')
    session.close()
    const started = gw.logs.entries().find((e) => e.msg === 'session started')
    t.match(started, { client: /^client-[0-9a-f]{8}$/, clientKind: 'ephemeral', clientAddress: '127.0.0.1' }, 'the session log names the minting client, and keeps the address')
    const logs = gw.logs.text()
    t.notMatch(logs, CLIENT_TOKEN, 'no client secret in the logs')
    t.notMatch(logs, token.name ?? '(none)', 'no ephemeral token in the logs')
    t.notMatch(logs, TOKEN_SECRET)
  })
}

t.test('a token with one use opens one session; the next is refused with 1008 USED_UP; resuming is not a use', async (t) => {
  const gw = await gateway(t)
  const token = await mintToken(gw, { uses: 1 })
  const first = await openLive(wsUrl(gw, token), { setup: { ...SETUP.setup, sessionResumption: {} } })
  const handle = ((await first.waitFor(hasKey('sessionResumptionUpdate'))).json?.sessionResumptionUpdate as { newHandle: string }).newHandle
  say(first, 'hello')
  await first.waitFor(isTurnComplete)
  first.ws.close()
  await first.closed
  const resumed = await openLive(wsUrl(gw, token), { setup: { ...SETUP.setup, sessionResumption: { handle } } })
  t.ok(resumed.frames.some(hasKey('setupComplete')), 'resuming with the used token works')
  resumed.ws.close()
  const second = await connect(wsUrl(gw, token))
  second.send(SETUP)
  const closed = await second.closed
  t.equal(closed.code, 1008)
  t.match(closed.reason, /^LG_ERR_AUTH_TOKEN_USED_UP: /)
  t.equal(gw.sim.connections.filter((c) => c.received.some((f) => f.kind === 'setup')).length, 2, 'the refused session never reached upstream with its setup')
})

t.test('the Python SDK\'s way: Authorization: Token on the Constrained method; uses 0 is unlimited', async (t) => {
  const gw = await gateway(t)
  const token = await mintToken(gw, { uses: 0 })
  for (let i = 0; i < 3; i++) {
    const client = await openLive(`${gw.httpUrl.replace('http', 'ws')}${CONSTRAINED}`, SETUP, { headers: { authorization: `Token ${token}` } })
    say(client, 'hello')
    await client.waitFor(isTurnComplete)
    t.ok(client.frames.map(textOf).join('').length > 0, `session ${i + 1}`)
    client.ws.close()
  }
})

t.test('refusals: wrong method, forged token, new session too late, and the session closed at expireTime', async (t) => {
  const gw = await gateway(t)
  const token = await mintToken(gw, { uses: 0 })
  const cases: Array<[string, RegExp]> = [
    [wsUrl(gw, token, UNCONSTRAINED), /^LG_ERR_AUTH_TOKEN_CONSTRAINT: ephemeral tokens open sessions on BidiGenerateContentConstrained only/],
    [wsUrl(gw, `${token.slice(0, -4)}AAAA`), /^LG_ERR_AUTH_TOKEN_SIGNATURE: /],
  ]
  for (const [url, reason] of cases) {
    const client = await connect(url)
    const closed = await client.closed
    t.equal(closed.code, 1008)
    t.match(closed.reason, reason)
  }
  const late = await mintToken(gw, { newSessionExpireTime: new Date(Date.now() + 1500).toISOString() })
  await sleep(2000)
  const tooLate = await connect(wsUrl(gw, late))
  tooLate.send(SETUP)
  const lateClose = await tooLate.closed
  t.equal(lateClose.code, 1008)
  t.match(lateClose.reason, /^LG_ERR_AUTH_TOKEN_EXPIRED: the token opens no new session after/)

  const short = await mintToken(gw, { expireTime: new Date(Date.now() + 2500).toISOString() })
  const client = await openLive(wsUrl(gw, short), SETUP)
  const closed = await client.closed
  t.equal(closed.code, 1008, 'the session ends when the token expires')
  t.match(closed.reason, /^LG_ERR_AUTH_TOKEN_EXPIRED: /)
  const after = await connect(wsUrl(gw, short))
  t.match((await after.closed).reason, /^LG_ERR_AUTH_TOKEN_EXPIRED: the token expired at/)
})

t.test('a locked setup without a field mask locks every field: the client\'s own choices are ignored', async (t) => {
  const gw = await gateway(t, { LIVEGATE_SERVER_TOOLS: 'none' })
  const token = await mintToken(gw, { bidiGenerateContentSetup: { model: MODEL, generationConfig: { responseModalities: ['TEXT'] } } })
  const client = await openLive(wsUrl(gw, token), {
    setup: { model: 'models/gemini-2.5-flash-native-audio-preview-09-2025', tools: [{ functionDeclarations: [{ name: 'get_weather' }] }], output_audio_transcription: {} },
  })
  // sessionResumption is livegate's own (transparent resumption), not a client choice the lock would refuse.
  t.same(upstreamSetup(gw, 0), { model: MODEL, generationConfig: { responseModalities: ['TEXT'] }, sessionResumption: {} })
  client.ws.close()
})

t.test('two gateways on one Redis share the token secret and its use count', async (t) => {
  const redis = await testRedisUrl(t)
  const a = await gateway(t, { LIVEGATE_STORE: redis })
  const b = await gateway(t, { LIVEGATE_STORE: redis })
  const token = await mintToken(a, { uses: 2 })
  const onA = await openLive(wsUrl(a, token), SETUP)
  const onB = await openLive(wsUrl(b, token), SETUP)
  t.ok(onA && onB, 'a token minted on one replica opens sessions on both')
  const third = await connect(wsUrl(b, token))
  third.send(SETUP)
  const closed = await third.closed
  t.equal(closed.code, 1008)
  t.match(closed.reason, /^LG_ERR_AUTH_TOKEN_USED_UP: /, 'the third use is refused, counted across replicas')
  onA.ws.close()
  onB.ws.close()
})

t.test('secure by default on the relay: remote clients behind a trusted proxy get 1008, local ones and ephemeral tokens get in', async (t) => {
  const gw = await gateway(t, { LIVEGATE_CLIENT_TOKENS: '', LIVEGATE_TRUST_PROXY: 'true' })
  const path = '/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent'
  const base = gw.httpUrl.replace('http', 'ws')
  const remote = await connect(`${base}${path}?key=whatever`, { headers: { 'x-forwarded-for': '203.0.113.7' } })
  const closed = await remote.closed
  t.equal(closed.code, 1008)
  t.equal(closed.reason, 'LG_ERR_AUTH_LOOPBACK_ONLY: only local clients are served: set LIVEGATE_CLIENT_TOKENS (or LIVEGATE_ALLOW_ANONYMOUS=true)')
  const local = await openLive(`${base}${path}?key=whatever`, SETUP)
  t.ok(local.frames.some(hasKey('setupComplete')), 'a local client needs no token')
  local.ws.close()
  const res = await fetch(`${gw.httpUrl}/v1alpha/auth_tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  const token = ((await res.json()) as { name: string }).name
  const viaToken = await openLive(wsUrl(gw, token), SETUP, { headers: { 'x-forwarded-for': '203.0.113.7' } })
  t.ok(viaToken.frames.some(hasKey('setupComplete')), 'a token minted by a local backend lets a remote browser in')
  viaToken.ws.close()
  const started = gw.logs.entries().filter((e) => e.msg === 'session started')
  t.match(started.at(-1), { client: 'anonymous', clientKind: 'ephemeral', clientAddress: '203.0.113.7' })
})

t.test('when Redis cannot count a use, the new session is refused with 1013 (try again), not let through uncounted', async (t) => {
  const redis = await startRedisServer(t)
  const gw = await gateway(t, { LIVEGATE_STORE: redis.url })
  const token = await mintToken(gw, { uses: 1 })
  await redis.kill()
  const client = await connect(wsUrl(gw, token))
  client.send(SETUP)
  const closed = await client.closed
  t.equal(closed.code, 1013)
  t.match(closed.reason, /^LG_ERR_AUTH_STORE_UNAVAILABLE: /)
  t.notMatch(gw.logs.text(), token)
})
