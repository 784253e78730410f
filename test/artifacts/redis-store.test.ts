import { inspect } from 'node:util'
import { randomBytes } from 'node:crypto'
import { test, type Test } from 'tap'
import { Redis } from 'ioredis'
import { createArtifactStore } from '../../src/artifacts/create-store.js'
import { DEFAULT_KEY_PREFIX, RedisStore, type RedisStoreOptions } from '../../src/artifacts/redis-store.js'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { createLogSink } from '../helpers/log-sink.js'
import { startRedisServer, testRedisUrl, uniquePrefix } from '../helpers/redis-server.js'

const PNG = { mimeType: 'image/png', sourceKind: 'chart', width: 4, height: 3 } as const
const UNAVAILABLE = { code: 'LG_ERR_ARTIFACT_STORE_UNAVAILABLE', status: 503 }

function openStore (t: Test, options: RedisStoreOptions): RedisStore {
  const store = new RedisStore(options)
  t.teardown(() => store.close())
  return store
}

/** A plain client to look at what the store wrote. */
function rawClient (t: Test, url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  t.teardown(() => { redis.disconnect() })
  return redis
}

async function until (t: Test, what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.fail(`gave up waiting: ${what}`)
}

test('put, get, head and delete round-trip bytes and metadata', async (t) => {
  const url = await testRedisUrl(t)
  const store = openStore(t, { url, ttlSeconds: 60, keyPrefix: uniquePrefix(t, url, 'contract') })
  await store.ready()
  const before = Date.now()
  const meta = await store.put('abc.png', Buffer.alloc(100, 7), PNG)
  t.match(meta, { key: 'abc.png', mimeType: 'image/png', sourceKind: 'chart', width: 4, height: 3, size: 100 })
  t.ok(meta.created >= before && meta.created <= Date.now())
  t.match(meta.etag, /^"[A-Za-z0-9_-]{27}"$/)
  const got = await store.get('abc.png')
  t.same(got?.bytes, Buffer.alloc(100, 7))
  t.same(got?.meta, meta)
  t.same(await store.head('abc.png'), meta)
  t.equal(await store.get('nope.png'), undefined)
  t.equal(await store.head('nope.png'), undefined)
  const tile = await store.put('tiles/3/4/5.png', Buffer.alloc(10, 9), { mimeType: 'image/png', sourceKind: 'tile' })
  t.not(tile.etag, meta.etag, 'the ETag follows the bytes')
  t.same((await store.head('tiles/3/4/5.png'))?.sourceKind, 'tile', 'keys may have path segments')
  t.equal(await store.delete('abc.png'), true)
  t.equal(await store.delete('abc.png'), false, 'a second delete finds nothing')
  t.equal(await store.get('abc.png'), undefined)
  t.equal(await store.head('abc.png'), undefined)
  for (const bad of ['../x', 'a/../b', '', 'a b', '/abs', 'x'.repeat(201)]) {
    await t.rejects(store.put(bad, Buffer.alloc(1), PNG), { code: 'LG_ERR_ARTIFACT_NOT_FOUND' }, `refuses key ${JSON.stringify(bad.slice(0, 20))}`)
  }
})

test('binary bytes come back intact, from empty to several MiB', async (t) => {
  const url = await testRedisUrl(t)
  const store = openStore(t, { url, ttlSeconds: 60, keyPrefix: uniquePrefix(t, url, 'binary') })
  const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
  const cases: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['every byte value', every],
    ['CRLF and NUL runs', Buffer.from('\r\n\0\0$-1\r\n*3\r\n', 'latin1')],
    ['not UTF-8', Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x80])],
    ['3 MiB random', randomBytes(3 * 1024 * 1024)],
  ]
  for (const [name, bytes] of cases) {
    // A Uint8Array view into a larger buffer: only the viewed bytes may be stored.
    const padded = Buffer.concat([Buffer.from('xx'), bytes, Buffer.from('yy')])
    const view = new Uint8Array(padded.buffer, padded.byteOffset + 2, bytes.length)
    const key = `bin-${cases.findIndex(([n]) => n === name)}.png`
    const meta = await store.put(key, view, PNG)
    t.equal(meta.size, bytes.length, `${name}: size`)
    const got = await store.get(key)
    t.ok(got?.bytes.equals(bytes), `${name}: same bytes`)
  }
})

test('one hash per artifact under the prefix, written with its TTL', async (t) => {
  const url = await testRedisUrl(t)
  const prefix = uniquePrefix(t, url, 'layout')
  const store = openStore(t, { url, ttlSeconds: 3600, keyPrefix: prefix })
  const meta = await store.put('abc.svg', Buffer.from('<svg/>'), { mimeType: 'image/svg+xml', sourceKind: 'chart' })
  const raw = rawClient(t, url)
  t.equal(await raw.type(prefix + 'abc.svg'), 'hash')
  t.same(JSON.parse(await raw.hget(prefix + 'abc.svg', 'meta') ?? 'null'), meta)
  t.equal(await raw.hget(prefix + 'abc.svg', 'bytes'), '<svg/>')
  const ttl = await raw.pttl(prefix + 'abc.svg')
  t.ok(ttl > 3_500_000 && ttl <= 3_600_000, `PTTL ${ttl} is about an hour`)
  t.equal(DEFAULT_KEY_PREFIX, 'livegate:artifact:')
})

test('artifacts expire after ttlSeconds, in Redis and in the memory tier in front of it', async (t) => {
  const url = await testRedisUrl(t)
  const prefix = uniquePrefix(t, url, 'ttl')
  const short = openStore(t, { url, ttlSeconds: 1, keyPrefix: prefix })
  const long = openStore(t, { url, ttlSeconds: 600, keyPrefix: prefix })
  await short.put('short.png', Buffer.from('soon gone'), PNG)
  await long.put('long.png', Buffer.from('stays'), PNG)
  const ttl = await rawClient(t, url).pttl(prefix + 'short.png')
  t.ok(ttl > 0 && ttl <= 1000, `PTTL ${ttl} is at most one second`)
  await until(t, 'short.png expires', async () => await short.get('short.png') === undefined)
  t.equal(await short.head('short.png'), undefined)
  t.equal((await long.get('long.png'))?.bytes.toString(), 'stays', 'a longer-lived artifact is still there')

  // The configured store: the memory tier must not outlive Redis's expiry.
  const tiered = await createArtifactStore({ kind: 'redis', location: url, memoryBytes: 1 << 20, maxBytes: 1 << 20, ttlSeconds: 1 })
  t.teardown(() => tiered.close())
  const key = `ttl-${randomBytes(6).toString('hex')}.png`
  t.teardown(async () => { await rawClient(t, url).del(DEFAULT_KEY_PREFIX + key) })
  await tiered.put(key, Buffer.from('tiered'), PNG)
  await until(t, 'the tiered copy expires', async () => await tiered.get(key) === undefined)
  t.equal(await tiered.head(key), undefined)
})

test('head reads the metadata without transferring the bytes', async (t) => {
  const server = await startRedisServer(t) // private: its traffic counter is ours alone
  const store = openStore(t, { url: server.url, ttlSeconds: 60 })
  const raw = rawClient(t, server.url)
  const big = randomBytes(4 * 1024 * 1024)
  await store.put('big.png', big, PNG)
  const sent = async (): Promise<number> => Number(/total_net_output_bytes:(\d+)/.exec(await raw.info('stats'))?.[1])
  const beforeHead = await sent()
  t.equal((await store.head('big.png'))?.size, big.length)
  const afterHead = await sent()
  t.ok((await store.get('big.png'))?.bytes.equals(big))
  const afterGet = await sent()
  t.ok(afterHead - beforeHead < 64 * 1024, `head sent ${afterHead - beforeHead} bytes`)
  t.ok(afterGet - afterHead >= big.length, `get sent ${afterGet - afterHead} bytes`)
})

test('a dead Redis fails every operation with LG_ERR_ARTIFACT_STORE_UNAVAILABLE, and the store recovers when it returns', async (t) => {
  const server = await startRedisServer(t)
  const store = openStore(t, { url: server.url, ttlSeconds: 60 })
  await store.ready()
  await store.put('a.png', Buffer.from('a'), PNG)
  await server.kill()
  const operations: Array<[string, () => Promise<unknown>]> = [
    ['get', () => store.get('a.png')],
    ['head', () => store.head('a.png')],
    ['put', () => store.put('b.png', Buffer.from('b'), PNG)],
    ['delete', () => store.delete('a.png')],
  ]
  for (const [name, run] of operations) {
    await t.rejects(run(), UNAVAILABLE, `${name} rejects`)
  }
  const err = await store.get('a.png').catch((e: unknown) => e)
  t.match(err, { detail: /artifact store \(Redis\) is unavailable/ })
  t.match((err as Error).cause, { message: new RegExp(`^Redis 127\\.0\\.0\\.1:${server.port}: \\S`) }, 'the cause names the server and the reason, for the log')

  await server.restart()
  await until(t, 'the store reconnects', async () => await store.get('a.png').then(() => true, () => false))
  t.equal(await store.get('a.png'), undefined, 'the restarted Redis kept nothing (no persistence)')
  await store.put('c.png', Buffer.from('c'), PNG)
  t.equal((await store.get('c.png'))?.bytes.toString(), 'c')
})

test('a Redis that stops answering fails a get after the command timeout instead of hanging', async (t) => {
  const server = await startRedisServer(t)
  const store = openStore(t, { url: server.url, ttlSeconds: 60, commandTimeoutMs: 300 })
  await store.put('a.png', Buffer.from('a'), PNG)
  server.pause()
  t.teardown(() => { server.resume() })
  await t.rejects(store.get('a.png'), UNAVAILABLE)
  await t.rejects(store.head('a.png'), UNAVAILABLE)
  server.resume()
  await until(t, 'answers again', async () => await store.get('a.png').then((a) => a !== undefined, () => false))
})

test('an unreachable Redis at boot is refused with the address, not a hang', async (t) => {
  const server = await startRedisServer(t)
  await server.kill() // a port that was just Redis and now refuses connections
  await t.rejects(
    createArtifactStore({ kind: 'redis', location: server.url, memoryBytes: 0, maxBytes: 1 << 20, ttlSeconds: 60 }),
    { ...UNAVAILABLE, message: new RegExp(`^LIVEGATE_STORE: cannot use Redis at 127\\.0\\.0\\.1:${server.port}: .*ECONNREFUSED`) },
  )
})

test('the Redis password never appears in errors or logs', async (t) => {
  const password = `canary-${randomBytes(9).toString('hex')}`
  const wrong = `wrong-${randomBytes(9).toString('hex')}`
  const server = await startRedisServer(t, ['--requirepass', password])
  const withPassword = (pw: string): string => `redis://:${pw}@127.0.0.1:${server.port}/0`
  const secrets = [password, wrong]
  const leaks = (text: string): boolean => secrets.some((s) => text.includes(s))

  // A wrong password fails the boot, with the reason but without either password.
  const bootError = await createArtifactStore({ kind: 'redis', location: withPassword(wrong), memoryBytes: 0, maxBytes: 1 << 20, ttlSeconds: 60 })
    .then(() => undefined, (err: unknown) => err)
  t.match(bootError, { code: 'LG_ERR_ARTIFACT_STORE_UNAVAILABLE', message: /WRONGPASS/ })
  t.notOk(leaks(inspect(bootError, { depth: 10 }) + JSON.stringify(bootError)), 'boot error is clean')
  const logs = createLogSink()
  const env = {
    LIVEGATE_STORE: withPassword(wrong),
    LIVEGATE_LOG_LEVEL: 'trace',
    LIVEGATE_RENDER_THREADS: '1',
    GEMINI_API_KEY: 'AIza-test',
    LIVEGATE_UPSTREAM_URL: 'http://127.0.0.1:9',
  }
  const appError = await buildApp(loadConfig(env), { logStream: logs.stream }).then(async (app) => { await app.close() }, (err: unknown) => err)
  t.match(appError, { code: 'LG_ERR_ARTIFACT_STORE_UNAVAILABLE' }, 'a gateway with the wrong password does not start')
  t.notOk(leaks(inspect(appError, { depth: 10 })), 'its error is clean')

  // The right password works; when Redis then goes away, the 503 and its log lines stay clean.
  const app = await buildApp(loadConfig({ ...env, LIVEGATE_STORE: withPassword(password) }), { logStream: logs.stream })
  t.teardown(() => app.close())
  const missing = await app.inject({ method: 'GET', url: '/v1/artifacts/never-stored-0123.png' })
  t.equal(missing.statusCode, 404, 'with Redis up, an unknown artifact is simply not found')
  await server.kill()
  const res = await app.inject({ method: 'GET', url: '/v1/artifacts/never-stored-0123.png' })
  t.equal(res.statusCode, 503)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(res.json(), { status: 503, code: 'LG_ERR_ARTIFACT_STORE_UNAVAILABLE', detail: /unavailable; retry shortly/ })
  t.notOk(leaks(res.body), 'problem body is clean')
  t.match(logs.text(), /LG_ERR_ARTIFACT_STORE_UNAVAILABLE|artifact store/, 'the failure is logged')
  t.notOk(leaks(logs.text()), 'logs are clean')
})
