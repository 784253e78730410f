import t from 'tap'
import type { InjectOptions } from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { createLogSink } from '../helpers/log-sink.js'
import { checkResponse } from '../helpers/openapi.js'
import { startFakeGoogle } from './fake-servers.js'
import { decodePng } from '../helpers/pixels.js'

const MAPS_KEY = 'AIzaSy-rest-maps-key-must-never-leak'
const BASE_ENV = {
  // A key and an upstream URL keep the built-in simulator out of these REST-only tests; nothing dials it.
  GEMINI_API_KEY: 'gemini-test-key',
  LIVEGATE_UPSTREAM_URL: 'http://127.0.0.1:9',
  LIVEGATE_STORE: 'memory',
  LIVEGATE_RENDER_THREADS: '1',
  LIVEGATE_LOG_LEVEL: 'debug',
}

async function start (t: { teardown: (fn: () => Promise<void>) => void }, env: Record<string, string> = {}) {
  const logs = createLogSink()
  const app = await buildApp(loadConfig({ ...BASE_ENV, ...env }), { logStream: logs.stream })
  t.teardown(async () => { await app.close() })
  return { app, logs }
}

const AUS = `markers=${encodeURIComponent('size:mid|color:orange|label:C|Darwin|Brisbane|Sydney|Canberra|Melbourne|Adelaide|Perth|Hobart')}`

// One offline gateway for the offline cases: each app starts its own worker pools, which is the slow part.
const offline = await start(t, { LIVEGATE_PUBLIC_URL: 'https://maps.example.test' })

t.test('GET /v1/maps/staticmap answers the PNG with an ETag and immutable caching (offline)', async (t) => {
  const { app } = offline
  const res = await app.inject({ method: 'GET', url: `/v1/maps/staticmap?${AUS}&size=400x300` })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'image/png')
  t.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable')
  t.equal(res.headers['x-map-provider'], 'offline')
  t.match(res.headers['content-location'], /^\/v1\/artifacts\/[A-Za-z0-9_-]{32}\.png$/)
  t.same(checkResponse('get', '/v1/maps/staticmap', res), [])
  const png = await decodePng(res.rawPayload)
  t.equal(png.width, 400)
  t.equal(png.height, 300)
  const again = await app.inject({ method: 'GET', url: `/v1/maps/staticmap?${AUS}&size=400x300`, headers: { 'if-none-match': String(res.headers.etag) } })
  t.equal(again.statusCode, 304)
  const artifact = await app.inject({ method: 'GET', url: String(res.headers['content-location']) })
  t.equal(artifact.statusCode, 200)
  t.ok(artifact.rawPayload.equals(res.rawPayload), 'the same bytes under the artifact URL')
})

t.test('POST /v1/maps takes draw_map arguments and answers {id, url, ...}', async (t) => {
  const { app } = offline
  const res = await app.inject({
    method: 'POST',
    url: '/v1/maps',
    payload: { center: 'Sydney', zoom: 13, markers: ['color:red|label:A|-33.8568,151.2153', 'color:blue|label:B|Bondi Beach'] },
  })
  t.equal(res.statusCode, 201)
  t.same(checkResponse('post', '/v1/maps', res), [])
  const body = res.json()
  t.match(body, { provider: 'offline', zoom: 13, width: 512, height: 512, cached: false })
  t.equal(body.url, `https://maps.example.test/v1/artifacts/${body.id}.png`)
  t.equal(res.headers.location, body.url)
  t.same(body.resolved, [{ query: 'Sydney', lat: -33.86785, lng: 151.20732 }, { query: 'Bondi Beach', lat: -33.89079, lng: 151.27852 }])
  t.match(body.notes.join('\n'), /schematic coastline/)
  const viaQuery = await app.inject({ method: 'POST', url: '/v1/maps', payload: { query: 'center=Sydney&zoom=13&markers=color:red|label:A|-33.8568,151.2153&markers=color:blue|label:B|Bondi+Beach' } })
  t.equal(viaQuery.json().id, body.id, 'the same map through the query form')
  t.equal(viaQuery.json().cached, true)
})

t.test('errors are problem+json naming the parameter, index and token', async (t) => {
  const { app } = offline
  const cases: Array<[string, InjectOptions & { method: 'GET' | 'POST', url: string }, number, string, RegExp]> = [
    ['bad colour', { method: 'GET', url: '/v1/maps/staticmap?markers=1,2&markers=color:reddish|3,4' }, 400, 'LG_ERR_MAP_INVALID_PARAM', /^markers\[1\]: unknown color 'reddish'/],
    ['zoom out of range', { method: 'GET', url: '/v1/maps/staticmap?center=0,0&zoom=30' }, 400, 'LG_ERR_MAP_INVALID_PARAM', /^zoom: invalid zoom '30'/],
    ['nothing to draw', { method: 'GET', url: '/v1/maps/staticmap' }, 400, 'LG_ERR_MAP_INVALID_PARAM', /^center: required/],
    ['landmark offline', { method: 'POST', url: '/v1/maps', payload: { center: 'Sydney Opera House', zoom: 15 } }, 422, 'LG_ERR_MAP_GEOCODE_FAILED', /cannot resolve 'Sydney Opera House' \(center\).*'lat,lng'/],
    ['body not an object', { method: 'POST', url: '/v1/maps', payload: ['Sydney'] }, 400, 'LG_ERR_HTTP_BAD_REQUEST', /JSON object/],
  ]
  for (const [name, request, status, code, detail] of cases) {
    const res = await app.inject(request)
    t.equal(res.statusCode, status, name)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', name)
    t.match(res.json(), { code, detail }, name)
    t.same(checkResponse(request.method, request.url.startsWith('/v1/maps/staticmap') ? '/v1/maps/staticmap' : '/v1/maps', res), [], name)
  }
  const bad = await app.inject({ method: 'GET', url: '/v1/maps/staticmap?markers=color:reddish|3,4' })
  t.match(bad.json(), { param: 'markers', index: 0, token: 'reddish' })
})

t.test('with MAPS_API_KEY the map comes from Google, and the key is in no response and no log line', async (t) => {
  const google = await startFakeGoogle([
    { status: 403, body: 'The Google Maps Platform server rejected your request. The provided API key is invalid.' },
  ])
  t.teardown(async () => { await google.close() })
  const { app, logs } = await start(t, { MAPS_API_KEY: MAPS_KEY, LIVEGATE_MAPS_URL: google.url })
  const denied = await app.inject({ method: 'GET', url: '/v1/maps/staticmap?center=Sydney&zoom=11' })
  t.equal(denied.statusCode, 502)
  t.match(denied.json(), { code: 'LG_ERR_MAP_PROVIDER', detail: /answered 403: .*The provided API key is invalid/ })
  const ok = await app.inject({ method: 'GET', url: `/v1/maps/staticmap?center=Sydney&zoom=11&key=${MAPS_KEY}` })
  t.equal(ok.statusCode, 200)
  t.equal(ok.headers['x-map-provider'], 'google')
  const created = await app.inject({ method: 'POST', url: '/v1/maps', payload: { center: 'Sydney', zoom: 12 } })
  t.equal(created.json().provider, 'google')
  for (const url of google.requests) t.equal(new URL(url, 'http://x').searchParams.getAll('key').length, 1, 'one key param: the server\'s')
  t.equal(new URL(google.requests[1] ?? '', 'http://x').searchParams.get('key'), MAPS_KEY)
  for (const res of [denied, ok, created]) {
    t.notMatch(JSON.stringify(res.headers), MAPS_KEY)
    if (res.headers['content-type'] !== 'image/png') t.notMatch(res.body, MAPS_KEY)
  }
  t.notMatch(logs.text(), MAPS_KEY)
  t.ok(logs.text().length > 0, 'something was logged')
})

// Issue 15: a provider that never answers or streams 200 MB holds the request for at most the outbound timeout and
// costs at most the size cap; the answer is problem+json naming the provider, never its key.
t.test('a silent or endless Google is 504 / 502 problem+json naming Google, never the key', async (t) => {
  const google = await startFakeGoogle([{ status: 0, hang: true }, { status: 200, streamBytes: 200 * 1024 * 1024 }])
  t.teardown(async () => { await google.close() })
  const { app, logs } = await start(t, {
    MAPS_API_KEY: MAPS_KEY, LIVEGATE_MAPS_URL: google.url, LIVEGATE_OUTBOUND_TIMEOUT_MS: '500', LIVEGATE_OUTBOUND_MAX_BYTES: String(1 << 20),
  })
  const cases: Array<[string, string, number, string]> = [
    ['silent', '/v1/maps/staticmap?center=Sydney&zoom=11', 504, 'LG_ERR_OUTBOUND_TIMEOUT'],
    ['200 MB', '/v1/maps/staticmap?center=Sydney&zoom=12', 502, 'LG_ERR_OUTBOUND_TOO_LARGE'],
  ]
  for (const [name, url, status, code] of cases) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, status, name)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${name}: problem+json`)
    t.match(res.json(), { code, status, provider: 'Google Static Maps', detail: /^Google Static Maps / }, name)
    t.notMatch(res.body, MAPS_KEY, `${name}: no key in the body`)
    t.same(checkResponse('get', '/v1/maps/staticmap', res), [], `${name}: matches openapi.yaml`)
  }
  t.equal(google.requests.length, 2, 'neither was retried')
  t.notMatch(logs.text(), MAPS_KEY)
})
