/**
 * Two gateways sharing one Redis, as replicas behind a load balancer: what one renders, the other serves.
 */
import { randomBytes } from 'node:crypto'
import { test, type Test } from 'tap'
import { Redis } from 'ioredis'
import { DEFAULT_KEY_PREFIX } from '../../src/artifacts/redis-store.js'
import { CLIENT_TOKEN, startGateway, type Gateway } from '../helpers/gateway.js'
import { deleteKeys, testRedisUrl } from '../helpers/redis-server.js'

/** A database of its own, so the default key prefix the gateways use collides with no other test file. */
const REPLICAS_DB = 7

async function sharedRedis (t: Test): Promise<string> {
  const url = new URL(await testRedisUrl(t))
  url.pathname = `/${REPLICAS_DB}`
  await deleteKeys(url.href, DEFAULT_KEY_PREFIX) // what an earlier run left must not answer for this one
  t.teardown(async () => { await deleteKeys(url.href, DEFAULT_KEY_PREFIX) })
  return url.href
}

async function replicas (t: Test): Promise<{ a: Gateway, b: Gateway, redis: Redis }> {
  const url = await sharedRedis(t)
  const env = { LIVEGATE_STORE: url }
  const [a, b] = await Promise.all([startGateway(t, { env }), startGateway(t, { env })])
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  t.teardown(() => { redis.disconnect() })
  return { a, b, redis }
}

interface Fetched {
  status: number
  etag: string | null
  type: string | null
  lastModified: string | null
  location: string | null
  body: Buffer
}

async function fetchBytes (url: string): Promise<Fetched> {
  const res = await fetch(url)
  return {
    status: res.status,
    etag: res.headers.get('etag'),
    type: res.headers.get('content-type'),
    lastModified: res.headers.get('last-modified'),
    location: res.headers.get('content-location'),
    body: Buffer.from(await res.arrayBuffer()),
  }
}

test('a chart rendered on replica A is served by replica B', async (t) => {
  const { a, b, redis } = await replicas(t)
  // A title no earlier run used, so the chart id (a content hash) is new to Redis.
  const spec = {
    title: `replica test ${randomBytes(6).toString('hex')}`,
    data: { values: [{ k: 'a', v: 3 }, { k: 'b', v: 5 }] },
    mark: 'bar',
    encoding: { x: { field: 'k', type: 'nominal' }, y: { field: 'v', type: 'quantitative' } },
  }
  const created = await fetch(`${a.httpUrl}/v1/charts`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_TOKEN}` }, body: JSON.stringify(spec) })
  t.equal(created.status, 201)
  const { id, urls } = await created.json() as { id: string, urls: { png: string, svg: string } }
  const pngPath = new URL(urls.png).pathname
  const svgPath = new URL(urls.svg).pathname
  t.equal(await redis.exists(`${DEFAULT_KEY_PREFIX}${id}.png`), 1, 'A wrote the PNG to Redis')

  const onB = await fetchBytes(b.httpUrl + pngPath)
  t.equal(onB.status, 200)
  t.equal(onB.type, 'image/png')
  t.ok(onB.body.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'a PNG')
  const onA = await fetchBytes(a.httpUrl + pngPath)
  t.equal(onA.status, 200)
  t.equal(onB.etag, onA.etag, 'same ETag on both replicas')
  t.equal(onB.lastModified, onA.lastModified, 'same Last-Modified: the one stored artifact')
  t.ok(onB.body.equals(onA.body), 'same bytes on both replicas')

  // Only the PNG was rendered; B renders the SVG from the spec A stored, and A then serves B's copy.
  t.equal(await redis.exists(`${DEFAULT_KEY_PREFIX}${id}.svg`), 0, 'no SVG yet')
  const svgOnB = await fetchBytes(b.httpUrl + svgPath)
  t.equal(svgOnB.status, 200)
  t.equal(svgOnB.type, 'image/svg+xml')
  t.match(svgOnB.body.toString(), spec.title)
  t.equal(await redis.exists(`${DEFAULT_KEY_PREFIX}${id}.svg`), 1, 'B wrote the SVG to Redis')
  const svgOnA = await fetchBytes(a.httpUrl + svgPath)
  t.equal(svgOnA.status, 200)
  t.equal(svgOnA.etag, svgOnB.etag)
  t.equal(svgOnA.lastModified, svgOnB.lastModified)
  t.ok(svgOnA.body.equals(svgOnB.body))

  const revalidated = await fetch(b.httpUrl + pngPath, { headers: { 'if-none-match': onA.etag ?? '' } })
  t.equal(revalidated.status, 304, "B honours the ETag A's client cached")
})

test('a static map drawn on replica A is served by replica B at its artifact URL', async (t) => {
  const { a, b, redis } = await replicas(t)
  const drawn = await fetchBytes(`${a.httpUrl}/v1/maps/staticmap?center=-33.86,151.21&zoom=10&size=200x200&key=${CLIENT_TOKEN}`)
  t.equal(drawn.status, 200)
  t.equal(drawn.type, 'image/png')
  const path = drawn.location
  t.match(path, /^\/v1\/artifacts\/[A-Za-z0-9_-]+\.png$/)
  t.equal(await redis.exists(DEFAULT_KEY_PREFIX + (path ?? '').replace('/v1/artifacts/', '')), 1, 'A wrote the map to Redis')

  const onB = await fetchBytes(b.httpUrl + (path ?? ''))
  t.equal(onB.status, 200)
  t.equal(onB.type, 'image/png')
  t.equal(onB.etag, drawn.etag, 'same ETag as the map A sent')
  t.ok(onB.body.equals(drawn.body), 'same bytes as the map A sent')
})
