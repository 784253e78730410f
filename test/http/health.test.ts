import t from 'tap'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { startGateway } from '../helpers/gateway.js'
import { startRedisServer } from '../helpers/redis-server.js'
import { openLive, isTurnComplete, say, textOf, type TestClient } from '../helpers/ws-client.js'
import type { Script } from '../../src/simulator/script.js'
import { SEED_ALTAIR_JSON } from '../../src/simulator/seed.js'

const SETUP = { setup: { model: 'models/gemini-3.1-flash-live-preview', generation_config: { response_modalities: ['TEXT'] } } }

async function readyz (httpUrl: string): Promise<{ status: number, body: Record<string, unknown> }> {
  const res = await fetch(`${httpUrl}/readyz`)
  return { status: res.status, body: await res.json() as Record<string, unknown> }
}

async function eventually<T> (what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (ok(value)) return value
    if (Date.now() > until) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`)
    await sleep(100)
  }
}

t.test('/healthz answers ok and /readyz counts the open sessions', async (t) => {
  const gw = await startGateway(t)
  const health = await fetch(`${gw.httpUrl}/healthz`)
  t.equal(health.status, 200)
  t.same(await health.json(), { status: 'ok' })
  t.same(await readyz(gw.httpUrl), { status: 200, body: { status: 'ready', sessions: 0, store: { status: 'ok' } } })

  const client = await openLive(gw.wsUrl, SETUP)
  t.match((await readyz(gw.httpUrl)).body, { sessions: 1 }, 'an open session is counted')
  client.ws.close()
  await client.closed
  await eventually('sessions back to 0', () => readyz(gw.httpUrl), (r) => r.body.sessions === 0)
  t.pass('a closed session is no longer counted')
})

/** The model draws a chart with a new title each turn (no cache hit), then says what the tool answered. */
const CHART_SCRIPT: Script = {
  rules: [{
    match: /chart \w+/,
    reply: (turn) => [
      { call: { name: 'render_altair', args: { altair_json: SEED_ALTAIR_JSON.replace('Denis Villeneuve Movie Runtimes', `Runtimes ${turn.text}`) } } },
      { sayFrom: (responses) => JSON.stringify(responses[0]?.response ?? {}) },
    ],
  }],
}

async function chartTurn (client: TestClient, tag: string): Promise<Record<string, unknown>> {
  const before = client.frames.length
  say(client, `chart ${tag}`)
  await client.waitFor((f) => client.frames.indexOf(f) >= before && isTurnComplete(f), 60_000)
  return JSON.parse(client.frames.slice(before).map(textOf).join('')) as Record<string, unknown>
}

t.test('a shared Redis store that goes away: /readyz reports it and stays ready, the model is told, the session draws again once it is back', async (t) => {
  const password = `canary-${randomBytes(9).toString('hex')}`
  const redis = await startRedisServer(t, ['--requirepass', password])
  const gw = await startGateway(t, { env: { LIVEGATE_STORE: `redis://:${password}@127.0.0.1:${redis.port}/0` }, sim: { script: CHART_SCRIPT } })
  t.match(await readyz(gw.httpUrl), { status: 200, body: { status: 'ready', store: { status: 'ok' } } })
  const client = await openLive(gw.wsUrl, SETUP)
  t.match(await chartTurn(client, 'before'), { result: 'ok' }, 'a chart turn with Redis up')

  await redis.kill()
  const down = await eventually('store reported unavailable', () => readyz(gw.httpUrl), (r) => (r.body.store as { status: string }).status !== 'ok')
  t.equal(down.status, 200, 'the replica stays ready: sessions relay without a store')
  t.same(down.body.store, { status: 'unavailable' }, 'only the status: no address, no error text')
  t.notMatch(JSON.stringify(down.body), String(redis.port), 'no Redis address in the public body')
  t.notMatch(JSON.stringify(down.body), /127\.0\.0\.1|ECONNREFUSED|Redis/, 'no internal detail in the public body')
  t.notMatch(JSON.stringify(down.body), password, 'no password in the body')
  t.match(gw.logs.text(), /artifact store unreachable/, 'the change is logged')
  t.match(gw.logs.text(), new RegExp(`"reason":"Redis 127\\.0\\.0\\.1:${redis.port}: `), 'the address and the reason go to the log')
  const failed = await chartTurn(client, 'during')
  t.match(failed, { error: { code: 'LG_ERR_ARTIFACT_STORE_UNAVAILABLE' } }, 'the model is told the store is unavailable')
  t.notMatch(JSON.stringify(failed), password)

  await redis.restart()
  await eventually('store reported ok again', () => readyz(gw.httpUrl), (r) => (r.body.store as { status: string }).status === 'ok')
  t.pass('reported ok again once Redis is back')
  t.match(gw.logs.text(), /artifact store reachable again/)
  t.match(await chartTurn(client, 'after'), { result: 'ok' }, 'the same session draws charts again')
  client.ws.close()
  t.notMatch(gw.logs.text(), password, 'no password in any log line')
})
