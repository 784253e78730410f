import t from 'tap'
import { createMapPool } from '../../src/maps/pool.js'
import { createGoogleProvider } from '../../src/maps/providers/google.js'
import { createOutbound } from '../../src/net/outbound.js'
import type { LivegateError } from '../../src/errors.js'
import { parseMapArgs, parseMapQuery } from '../../src/maps/params.js'
import { noisePng, startFakeGoogle } from './fake-servers.js'

const KEY = 'AIzaSy-maps-test-key-do-not-leak-42'
const pool = createMapPool({ threads: 1, queue: 16, heapMb: 256 })
t.teardown(async () => { await pool.close() })

async function setup (t: { teardown: (fn: () => Promise<void>) => void }, script: Parameters<typeof startFakeGoogle>[0] = []) {
  const google = await startFakeGoogle(script)
  t.teardown(async () => { await google.close() })
  const provider = createGoogleProvider({ url: google.url, apiKey: KEY, pool, timeoutMs: 2000, backoffMs: 1 })
  return { google, provider }
}

const SEED = parseMapArgs({ center: 'Sydney', zoom: 12, markers: ['color:red|label:A|-33.8568,151.2153'], path: 'color:0x0000ff80|weight:4|-33.8568,151.2153|-33.8908,151.2743' })

t.test('case 1, 200 image/png: the map, re-serialised exactly, with the key only on the wire', async (t) => {
  const { google, provider } = await setup(t)
  const drawn = await provider.draw(SEED)
  t.equal(drawn.width, 512)
  t.equal(drawn.height, 512)
  t.ok(drawn.png.byteLength > 1000)
  t.same(drawn.center, { lat: -33.86785, lng: 151.20732 }, 'centre from the gazetteer')
  t.equal(drawn.zoom, 12)
  const sent = new URL(google.requests[0] ?? '', 'http://x').searchParams
  t.equal(sent.get('key'), KEY)
  t.equal(sent.get('center'), 'Sydney')
  t.equal(sent.get('markers'), 'color:red|label:A|-33.8568,151.2153')
  t.equal(sent.get('path'), 'weight:4|color:0x0000ff80|-33.8568,151.2153|-33.8908,151.2743')
  t.equal(sent.get('size'), '512x512')
  t.notMatch(JSON.stringify({ ...drawn, png: undefined }), KEY)
})

t.test('case 2, 400 text/plain: an error carrying Google\'s message', async (t) => {
  const { provider } = await setup(t, [{ status: 400, body: "Google Maps Platform rejected your request. Invalid request. Invalid 'markers' parameter." }])
  await t.rejects(provider.draw(SEED), { code: 'LG_ERR_MAP_PROVIDER', status: 502, message: /answered 400: Google Maps Platform rejected your request\. Invalid request\. Invalid 'markers' parameter\./ })
})

t.test('case 3, 403 bad key: Google\'s message, never the key', async (t) => {
  const body = 'The Google Maps Platform server rejected your request. The provided API key is invalid.'
  const { provider } = await setup(t, [{ status: 403, body: `${body} (key ${KEY})` }])
  const err = await provider.draw(SEED).catch((e: Error) => e)
  t.match(err, { code: 'LG_ERR_MAP_PROVIDER', message: /answered 403: The Google Maps Platform server rejected your request\. The provided API key is invalid\./ })
  t.notMatch(String((err as Error).message), KEY)
  t.notMatch(JSON.stringify(err), KEY)
})

t.test('case 4, 200 + X-Staticmap-API-Warning: not a map, the warning is the error', async (t) => {
  const { provider } = await setup(t, [{ status: 200, type: 'image/png', body: noisePng(512, 512), headers: { 'X-Staticmap-API-Warning': 'Error geocoding: center' } }])
  await t.rejects(provider.draw(parseMapQuery('center=Atlantis&zoom=3')), { code: 'LG_ERR_MAP_GEOCODE_FAILED', message: /Google Static Maps warned: Error geocoding: center/, extra: { warning: 'Error geocoding: center' } })
})

t.test('case 5, a tiny 200 image is Google\'s error image, not a map', async (t) => {
  const { provider } = await setup(t, [{ status: 200, type: 'image/png', body: noisePng(8, 8) }])
  await t.rejects(provider.draw(SEED), { code: 'LG_ERR_MAP_PROVIDER', message: /byte image for a 512x512 map: an error image/ })
})

t.test('case 6, size clamping: asked 800x600, Google and livegate agree on 640x600', async (t) => {
  const { google, provider } = await setup(t)
  const drawn = await provider.draw(parseMapQuery('center=0,0&zoom=2&size=800x600'))
  t.equal(drawn.width, 640)
  t.equal(drawn.height, 600)
  t.match(drawn.notes.join('\n'), /size 800x600 clamped to 640x600/)
  t.equal(new URL(google.requests[0] ?? '', 'http://x').searchParams.get('size'), '640x600')
})

t.test('an image of another size than asked is reported in the notes', async (t) => {
  const { provider } = await setup(t, [{ status: 200, type: 'image/png', body: noisePng(640, 640) }])
  const drawn = await provider.draw(parseMapQuery('center=0,0&zoom=2&size=640x640&scale=2'))
  t.equal(drawn.width, 640)
  t.match(drawn.notes.join('\n'), /Google returned 640x640 for 1280x1280/)
})

t.test('5xx and 429 are retried with backoff, then succeed', async (t) => {
  const { google, provider } = await setup(t, [{ status: 503, body: 'busy' }, { status: 429, body: 'slow down' }])
  const drawn = await provider.draw(SEED)
  t.equal(google.requests.length, 3)
  t.equal(drawn.width, 512)
})

t.test('retries are bounded: the last error is reported', async (t) => {
  const { google, provider } = await setup(t, [{ status: 500, body: 'a' }, { status: 500, body: 'b' }, { status: 500, body: 'Backend Error' }, { status: 500 }])
  await t.rejects(provider.draw(SEED), { code: 'LG_ERR_MAP_PROVIDER', message: /answered 500: Backend Error/ })
  t.equal(google.requests.length, 3)
})

t.test('a server that never answers is an outbound timeout naming Google, not retried', async (t) => {
  const google = await startFakeGoogle([{ status: 0, hang: true }, { status: 0, hang: true }])
  t.teardown(async () => { await google.close() })
  const provider = createGoogleProvider({ url: google.url, apiKey: KEY, pool, timeoutMs: 200 })
  const err = await provider.draw(SEED).catch((e: LivegateError) => e)
  t.match(err, { code: 'LG_ERR_OUTBOUND_TIMEOUT', status: 504, message: /^Google Static Maps did not answer within 200 ms$/ })
  t.notMatch((err as LivegateError).message, KEY)
  t.equal(google.requests.length, 1, 'a timeout is not retried: the caller hears it after one timeout, not three')
})

t.test('a server that streams 200 MB is cut off at the size cap while streaming', async (t) => {
  const google = await startFakeGoogle([{ status: 200, streamBytes: 200 * 1024 * 1024 }])
  t.teardown(async () => { await google.close() })
  const outbound = createOutbound({ timeoutMs: 60_000, maxBytes: 1024 * 1024 })
  t.teardown(async () => { await outbound.close() })
  const provider = createGoogleProvider({ url: google.url, apiKey: KEY, pool, outbound })
  const err = await provider.draw(SEED).catch((e: LivegateError) => e)
  t.match(err, { code: 'LG_ERR_OUTBOUND_TOO_LARGE', status: 502, message: /^Google Static Maps sent more than 1048576 bytes; the response limit is 1048576 bytes$/ })
  t.notMatch((err as LivegateError).message, KEY)
  t.equal(google.requests.length, 1)
})

t.test('a cancelled call stops waiting for Google', async (t) => {
  const google = await startFakeGoogle([{ status: 0, hang: true }])
  t.teardown(async () => { await google.close() })
  const provider = createGoogleProvider({ url: google.url, apiKey: KEY, pool, timeoutMs: 60_000 })
  const controller = new AbortController()
  const pending = provider.draw(SEED, controller.signal)
  setImmediate(() => { controller.abort() })
  await t.rejects(pending, { code: 'LG_ERR_MAP_ABORTED' })
})

t.test('addresses Google geocodes but the gazetteer cannot: the map is served, the centre unknown', async (t) => {
  const { google, provider } = await setup(t)
  const drawn = await provider.draw(parseMapQuery('center=Sydney+Opera+House&zoom=15'))
  t.equal(new URL(google.requests[0] ?? '', 'http://x').searchParams.get('center'), 'Sydney Opera House')
  t.equal(drawn.center, null)
  t.equal(drawn.zoom, 15)
  t.match(drawn.notes.join('\n'), /centre reported as unknown/)
})
