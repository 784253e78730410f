import t from 'tap'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { startGateway, CLIENT_TOKEN } from '../helpers/gateway.js'
import { openLive, say, isTurnComplete, type ClientFrame } from '../helpers/ws-client.js'
import { valueOf } from '../helpers/prometheus.js'
import { checkResponse } from '../helpers/openapi.js'
import { loadConfig } from '../../src/config.js'
import type { Script } from '../../src/simulator/script.js'
import { SEED_ALTAIR_JSON } from '../../src/simulator/seed.js'

const SETUP = { setup: { model: 'models/gemini-3.1-flash-live-preview', generation_config: { response_modalities: ['TEXT'] } } }
/** A deadline, not a speed target: the first render loads vega in a fresh worker. */
const RENDER_WAIT_MS = 60_000
/** The name livegate gives the bare test token (`client-<short hash>`). */
const CLIENT = loadConfig({ LIVEGATE_CLIENT_TOKENS: CLIENT_TOKEN }).clients.tokens?.[0]?.name ?? ''

async function scrape (httpUrl: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${httpUrl}/metrics`, { headers })
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`)
  return await res.text()
}

async function eventually<T> (what: string, read: () => T | Promise<T>, ok: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (ok(value)) return value
    if (Date.now() > until) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`)
    await sleep(50)
  }
}

interface Usage {
  promptTokenCount: number
  responseTokenCount: number
  totalTokenCount: number
  promptTokensDetails: Array<{ modality: string, tokenCount: number }>
  responseTokensDetails: Array<{ modality: string, tokenCount: number }>
}
const usageOf = (frames: readonly ClientFrame[]): Usage[] => frames.flatMap((f) => f.json?.usageMetadata === undefined ? [] : [f.json.usageMetadata as Usage])

t.test('/metrics after a text turn with a server tool run: sessions, frames, bytes, tool runs, usage tokens, cache', async (t) => {
  const script: Script = { rules: [{ match: /plot/, reply: [{ call: { name: 'render_altair', args: { altair_json: SEED_ALTAIR_JSON } } }, { say: 'Here is the chart.' }] }] }
  // fs store: the memory LRU sits in front of a slower tier, so there is a cache to count hits for.
  const gw = await startGateway(t, { sim: { script }, env: { LIVEGATE_STORE: `fs:${t.testdir()}` } })
  const client = await openLive(`${gw.wsUrl}&livegate_events=1`, SETUP)
  say(client, 'plot the runtimes')
  await client.waitFor(isTurnComplete, RENDER_WAIT_MS)
  const run = client.frames.find((f) => f.json?.livegate !== undefined)?.json?.livegate as { toolRun: { status: string, artifacts: Array<{ url: string }> } }
  t.equal(run.toolRun.status, 'ok', 'the server tool ran')

  let text = await scrape(gw.httpUrl)
  t.equal(valueOf(text, 'livegate_sessions_active'), 1, 'one session open')
  t.equal(valueOf(text, 'livegate_sessions_total', { client: CLIENT }), 1, 'one session admitted, named by its client')
  t.equal(valueOf(text, 'livegate_tool_runs_total', { tool: 'render_altair', status: 'ok' }), 1)
  t.equal(valueOf(text, 'livegate_tool_run_duration_seconds_count', { tool: 'render_altair' }), 1)
  t.ok((valueOf(text, 'livegate_tool_run_duration_seconds_sum', { tool: 'render_altair' }) ?? 0) > 0, 'the run took some time')
  t.ok((valueOf(text, 'livegate_frames_total', { direction: 'upstream' }) ?? 0) >= client.frames.length - 1, 'open sessions count toward the frame totals')

  const usage = usageOf(client.frames)
  t.equal(usage.length, 1, 'the simulator reported usage with turnComplete')
  const expected = new Map<string, number>()
  for (const u of usage) {
    for (const d of u.promptTokensDetails) expected.set(`prompt/${d.modality}`, (expected.get(`prompt/${d.modality}`) ?? 0) + d.tokenCount)
    for (const d of u.responseTokensDetails) expected.set(`response/${d.modality}`, (expected.get(`response/${d.modality}`) ?? 0) + d.tokenCount)
  }
  t.ok(expected.size > 0)
  for (const [key, tokens] of expected) {
    const [side, modality] = key.split('/') as [string, string]
    t.equal(valueOf(text, 'livegate_usage_tokens_total', { client: CLIENT, side, modality }), tokens, `${side} ${modality} tokens`)
  }

  // The chart the tool stored is still in the memory tier: fetching it is a cache hit.
  const hitsBefore = valueOf(text, 'livegate_artifact_cache_hits_total') ?? -1
  const missesBefore = valueOf(text, 'livegate_artifact_cache_misses_total') ?? -1
  const png = await fetch(run.toolRun.artifacts[0]?.url ?? '')
  t.equal(png.status, 200)
  await png.arrayBuffer()
  text = await scrape(gw.httpUrl)
  t.equal(valueOf(text, 'livegate_artifact_cache_hits_total'), hitsBefore + 1, 'one more cache hit')
  t.equal(valueOf(text, 'livegate_artifact_cache_misses_total'), missesBefore, 'no miss')
  t.equal(valueOf(text, 'livegate_render_queue_depth'), 0, 'no render waiting')
  t.equal(valueOf(text, 'livegate_renders_running'), 0)
  t.ok(valueOf(text, 'process_cpu_user_seconds_total') !== undefined, 'default process metrics are there')
  t.ok(valueOf(text, 'nodejs_eventloop_lag_seconds') !== undefined)
  t.equal(valueOf(text, 'livegate_limit_refusals_total', { limit: 'client_sessions' }), 0, 'refusal counters start at 0')

  const clientBytesSent = JSON.stringify(SETUP).length + JSON.stringify({ client_content: { turns: [{ role: 'user', parts: [{ text: 'plot the runtimes' }] }], turn_complete: true } }).length
  client.ws.close()
  await client.closed
  const ended = await eventually('the session ended log line', () => gw.logs.entries().find((e) => e.msg === 'session ended'), (e) => e !== undefined)
  text = await eventually('the closed session is folded into the totals', () => scrape(gw.httpUrl), (s) => valueOf(s, 'livegate_sessions_active') === 0)
  t.equal(ended?.clientFrames, 2, 'setup and one turn')
  t.equal(ended?.clientBytes, clientBytesSent)
  t.equal(valueOf(text, 'livegate_frames_total', { direction: 'client' }), 2, 'client frames of the closed session')
  t.equal(valueOf(text, 'livegate_bytes_total', { direction: 'client' }), clientBytesSent)
  t.equal(valueOf(text, 'livegate_frames_total', { direction: 'upstream' }), ended?.upstreamFrames, 'upstream frames as the session counted them')
  t.equal(valueOf(text, 'livegate_bytes_total', { direction: 'upstream' }), ended?.upstreamBytes)

  // The end-of-session log line carries the session's usage totals.
  const sum = (pick: (u: Usage) => number): number => usage.reduce((n, u) => n + pick(u), 0)
  t.match(ended?.usage, {
    turns: 1,
    promptTokens: sum((u) => u.promptTokenCount),
    responseTokens: sum((u) => u.responseTokenCount),
    totalTokens: sum((u) => u.totalTokenCount),
    byModality: { TEXT: sum((u) => u.totalTokenCount) },
  })
})

t.test('upstream closes are counted by close code, codes outside the standard range bucketed', async (t) => {
  const script: Script = { rules: [
    { match: /fail/, reply: [{ close: [1011, 'Internal error encountered.'] }] },
    { match: /odd/, reply: [{ close: [4321, 'odd'] }] },
  ] }
  // Resumption off: livegate would otherwise resume after each 1011 (and count those closes too).
  const gw = await startGateway(t, { sim: { script }, env: { LIVEGATE_RESUME_BUFFER_MESSAGES: '0' } })
  for (const [prompt, code] of [['fail now', 1011], ['odd one', 4321]] as const) {
    const client = await openLive(gw.wsUrl, SETUP)
    say(client, prompt)
    const closed = await client.closed
    t.equal(closed.code, code, `the client saw ${code}`)
  }
  const text = await scrape(gw.httpUrl)
  t.equal(valueOf(text, 'livegate_upstream_closes_total', { code: '1011' }), 1)
  t.equal(valueOf(text, 'livegate_upstream_closes_total', { code: '4xxx' }), 1)
  t.equal(valueOf(text, 'livegate_upstream_closes_total', { code: '4321' }), undefined, 'no label per odd code')
  t.equal(valueOf(text, 'livegate_sessions_total', { client: CLIENT }), 2)
})

t.test('LIVEGATE_METRICS_TOKEN protects /metrics: missing or wrong bearer gets 401 problem+json, the right one the metrics', async (t) => {
  const token = 'metrics-scrape-token-0123456789'
  const gw = await startGateway(t, { env: { LIVEGATE_METRICS_TOKEN: token } })
  for (const [name, headers] of [['no header', {}], ['wrong token', { authorization: 'Bearer nope-nope-nope' }], ['client token', { authorization: `Bearer ${CLIENT_TOKEN}` }]] as const) {
    const res = await gw.app.inject({ method: 'GET', url: '/metrics', headers })
    t.equal(res.statusCode, 401, name)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal(res.json().code, 'LG_ERR_AUTH_METRICS_TOKEN')
    t.match(String(res.headers['www-authenticate']), /^Bearer/)
    t.same(checkResponse('get', '/metrics', { statusCode: res.statusCode, headers: res.headers, body: res.body }), [], `${name}: as documented`)
  }
  const ok = await gw.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } })
  t.equal(ok.statusCode, 200)
  t.match(ok.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  t.match(ok.body, /^# HELP livegate_sessions_active/m)
  t.same(checkResponse('get', '/metrics', { statusCode: ok.statusCode, headers: ok.headers, body: ok.body }), [])
  t.notMatch(gw.logs.text(), token, 'the metrics token is never logged')
})

t.test('without LIVEGATE_METRICS_TOKEN /metrics is open; each gateway in a process has its own registry', async (t) => {
  const a = await startGateway(t)
  const b = await startGateway(t)
  const client = await openLive(a.wsUrl, SETUP)
  t.equal(valueOf(await scrape(a.httpUrl), 'livegate_sessions_total', { client: CLIENT }), 1)
  t.equal(valueOf(await scrape(b.httpUrl), 'livegate_sessions_total', { client: CLIENT }), undefined, 'the other gateway saw no session')
  client.ws.close()
  await once(client.ws, 'close')
})

t.test('a malformed usageMetadata from upstream is relayed as it came and counted nowhere; the session carries on', async (t) => {
  const gw = await startGateway(t)
  const client = await openLive(gw.wsUrl, SETUP)
  const conn = gw.sim.connections[0]!
  conn.send({ serverContent: { turnComplete: true }, usageMetadata: { promptTokenCount: -5, totalTokenCount: 'lots' } })
  const odd = await client.waitFor((f) => (f.json?.usageMetadata as { totalTokenCount?: unknown } | undefined)?.totalTokenCount === 'lots')
  t.equal(odd.binary, true, 'relayed untouched')
  say(client, 'What are the last five Denis Villeneuve films?')
  await client.waitFor((f) => isTurnComplete(f) && f !== odd && f.json?.usageMetadata !== undefined)
  const good = usageOf(client.frames).filter((u) => typeof u.totalTokenCount === 'number')
  const text = await scrape(gw.httpUrl)
  const counted = ['TEXT', 'AUDIO', 'MODALITY_UNSPECIFIED', 'OTHER'].flatMap((modality) => ['prompt', 'response'].map((side) => valueOf(text, 'livegate_usage_tokens_total', { client: CLIENT, side, modality }) ?? 0))
  t.equal(counted.reduce((a, b) => a + b, 0), good.reduce((n, u) => n + u.totalTokenCount, 0), 'only the valid turn is counted')
  client.ws.close()
  const ended = await eventually('the session ended log line', () => gw.logs.entries().find((e) => e.msg === 'session ended'), (e) => e !== undefined)
  t.match(ended?.usage, { turns: 1 })
})
