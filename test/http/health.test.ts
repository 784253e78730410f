import t from 'tap'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { startGateway } from '../helpers/gateway.js'
import { startRedisServer } from '../helpers/redis-server.js'
import { connect, hasKey } from '../helpers/ws-client.js'

const SETUP = { setup: { model: 'models/gemini-2.5-flash-native-audio-preview-09-2025' } }

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

  const client = await connect(gw.wsUrl)
  client.send(SETUP)
  await client.waitFor(hasKey('setupComplete'))
  t.match((await readyz(gw.httpUrl)).body, { sessions: 1 }, 'an open session is counted')
  client.ws.close()
  await client.closed
  await eventually('sessions back to 0', () => readyz(gw.httpUrl), (r) => r.body.sessions === 0)
  t.pass('a closed session is no longer counted')
})

t.test('/readyz reports a shared Redis store that went away, stays ready, and never shows its password', async (t) => {
  const password = `canary-${randomBytes(9).toString('hex')}`
  const redis = await startRedisServer(t, ['--requirepass', password])
  const gw = await startGateway(t, { env: { LIVEGATE_STORE: `redis://:${password}@127.0.0.1:${redis.port}/0` } })
  t.match(await readyz(gw.httpUrl), { status: 200, body: { status: 'ready', store: { status: 'ok' } } })

  await redis.kill()
  const down = await eventually('store reported unavailable', () => readyz(gw.httpUrl), (r) => (r.body.store as { status: string }).status !== 'ok')
  t.equal(down.status, 200, 'the replica stays ready: sessions relay without a store')
  t.match(down.body, { status: 'ready', store: { status: 'unavailable', reason: new RegExp(`^Redis 127\\.0\\.0\\.1:${redis.port}: `) } })
  t.notMatch(JSON.stringify(down.body), password, 'no password in the body')
  t.match(gw.logs.text(), /artifact store unreachable/, 'the change is logged')

  await redis.restart()
  await eventually('store reported ok again', () => readyz(gw.httpUrl), (r) => (r.body.store as { status: string }).status === 'ok')
  t.pass('reported ok again once Redis is back')
  t.match(gw.logs.text(), /artifact store reachable again/)
  t.notMatch(gw.logs.text(), password, 'no password in any log line')
})
