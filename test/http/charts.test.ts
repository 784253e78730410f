import { readFileSync } from 'node:fs'
import { deflateSync } from 'node:zlib'
import t0, { test } from 'tap'
import { encodeSpecForUrl } from '../../src/charts/url-encoding.js'
import { CLIENT_TOKEN, startGateway, type Gateway } from '../helpers/gateway.js'
import { checkResponse } from '../helpers/openapi.js'
import { decodePng, PNG_SIGNATURE } from '../helpers/pixels.js'

const FIVE_FILMS_TEXT = readFileSync(new URL('../fixtures/charts/five-films.vl.json', import.meta.url), 'utf8')
const FIVE_FILMS = JSON.parse(FIVE_FILMS_TEXT) as Record<string, unknown>
const bars = (n: number): Record<string, unknown> => ({
  data: { values: Array.from({ length: n }, (_, i) => ({ k: `k${i}`, v: i + 1 })) }, mark: 'bar',
  encoding: { x: { field: 'k', type: 'nominal' }, y: { field: 'v', type: 'quantitative' } },
})

interface Res { statusCode: number, headers: Record<string, string>, body: string, bytes: Buffer }

async function call (gw: Gateway, method: string, path: string, init: { body?: string, headers?: Record<string, string> } = {}): Promise<Res> {
  const res = await fetch(gw.httpUrl + path, { method, headers: { authorization: `Bearer ${CLIENT_TOKEN}`, ...init.headers }, body: init.body })
  const bytes = Buffer.from(await res.arrayBuffer())
  return { statusCode: res.status, headers: Object.fromEntries(res.headers), body: bytes.toString('utf8'), bytes }
}
const postJson = async (gw: Gateway, body: unknown, headers: Record<string, string> = {}): Promise<Res> =>
  await call(gw, 'POST', '/v1/charts', { body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } })

let gw: Gateway
t0.before(async () => { gw = await startGateway(t0) })
// Two gateways each start a render worker (importing vega), and one worker is crashed on purpose: slow on a loaded machine.
t0.setTimeout(300_000)

test('POST /v1/charts renders, stores and returns both URLs, and both work', async (t) => {
  const res = await postJson(gw, FIVE_FILMS)
  t.equal(res.statusCode, 201)
  t.same(checkResponse('post', '/v1/charts', res), [], 'matches openapi.yaml')
  const body = JSON.parse(res.body) as { id: string, urls: { png: string, svg: string }, width: number, height: number, warnings: string[], cached: boolean }
  t.equal(body.urls.png, `${gw.httpUrl}/v1/artifacts/${body.id}.png`)
  t.equal(res.headers.location, body.urls.png)
  t.equal(body.cached, false)

  const png = await call(gw, 'GET', new URL(body.urls.png).pathname)
  t.equal(png.statusCode, 200)
  t.same(checkResponse('get', '/v1/artifacts/{name}', png), [])
  t.equal(png.headers['content-type'], 'image/png')
  t.same(png.bytes.subarray(0, 8), PNG_SIGNATURE)
  t.equal(Number(png.headers['content-length']), png.bytes.length)
  t.equal(png.headers['cache-control'], 'public, max-age=31536000, immutable')
  t.match(png.headers.etag, /^"[A-Za-z0-9_-]+"$/)
  const pixels = await decodePng(png.bytes)
  t.same([pixels.width, pixels.height], [body.width, body.height])

  const svg = await call(gw, 'GET', new URL(body.urls.svg).pathname)
  t.equal(svg.statusCode, 200, 'the format not rendered yet renders on its first GET')
  t.match(svg.headers['content-type'], /^image\/svg\+xml/)
  t.match(svg.body, /<svg[^>]* width="\d+"/)
  t.match(svg.body, /Star Wars/)
  t.match(svg.headers['content-security-policy'], /default-src 'none'/)

  const again = await postJson(gw, { spec: FIVE_FILMS_TEXT })
  t.equal(JSON.parse(again.body).id, body.id, 'the same chart as a string is the same id')
  t.equal(JSON.parse(again.body).cached, true)
})

test('GET and HEAD /v1/artifacts answer 304 to a matching If-None-Match', async (t) => {
  const created = JSON.parse((await postJson(gw, bars(3))).body) as { id: string }
  const path = `/v1/artifacts/${created.id}.png`
  const first = await call(gw, 'GET', path)
  const etag = first.headers.etag ?? ''
  const notModified = await call(gw, 'GET', path, { headers: { 'if-none-match': `"other", ${etag}` } })
  t.equal(notModified.statusCode, 304)
  t.equal(notModified.body, '')
  t.same(checkResponse('get', '/v1/artifacts/{name}', notModified), [])
  const head = await call(gw, 'HEAD', path)
  t.equal(head.statusCode, 200)
  t.equal(head.body, '')
  t.equal(head.headers['content-length'], String(first.bytes.length))
  t.equal(head.headers.etag, etag)
  t.same(checkResponse('head', '/v1/artifacts/{name}', head), [])
  t.equal((await call(gw, 'HEAD', path, { headers: { 'if-none-match': etag } })).statusCode, 304)
})

test('unknown and malformed artifact names are 404 problem+json', async (t) => {
  for (const name of ['AAAAAAAAAAAAAAAAAAAAAA.png', 'x.gif', '..%2F..%2Fetc%2Fpasswd.png', 'a.b.png']) {
    const res = await call(gw, 'GET', `/v1/artifacts/${name}`)
    t.equal(res.statusCode, 404, name)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal(JSON.parse(res.body).code, 'LG_ERR_ARTIFACT_NOT_FOUND')
    t.same(checkResponse('get', '/v1/artifacts/{name}', res), [])
  }
})

test('POST with Accept: image/png or image/svg+xml answers with the image itself', async (t) => {
  const png = await postJson(gw, { spec: bars(4), theme: 'dark' }, { accept: 'image/png' })
  t.equal(png.statusCode, 200)
  t.equal(png.headers['content-type'], 'image/png')
  t.same(checkResponse('post', '/v1/charts', png), [])
  t.same((await decodePng(png.bytes)).at(1, 1), [51, 51, 51, 255], 'the dark theme')
  t.match(png.headers['content-location'], /^\/v1\/artifacts\/[A-Za-z0-9_-]{22}\.png$/)
  const svg = await postJson(gw, { spec: JSON.stringify(JSON.stringify(bars(4))), scale: 2 }, { accept: 'image/svg+xml' })
  t.equal(svg.statusCode, 200)
  t.match(svg.body, /^<svg /)
  const plain = await call(gw, 'POST', '/v1/charts', { body: JSON.stringify(bars(4)), headers: { 'content-type': 'text/plain' } })
  t.equal(plain.statusCode, 201, 'a text/plain body is the spec as JSON text')
})

test('GET /v1/charts/{format}/{encoded} renders a Kroki-style URL', async (t) => {
  const encoded = encodeSpecForUrl(JSON.stringify(bars(5)))
  const png = await call(gw, 'GET', `/v1/charts/png/${encoded}?theme=quartz&scale=2`)
  t.equal(png.statusCode, 200, png.statusCode === 200 ? 'ok' : png.body)
  t.same(checkResponse('get', '/v1/charts/{format}/{encoded}', png), [])
  t.equal(png.headers['cache-control'], 'public, max-age=31536000, immutable')
  const px = await decodePng(png.bytes)
  const viaPost = JSON.parse((await postJson(gw, { spec: bars(5), theme: 'quartz', scale: 2 })).body) as { width: number, cached: boolean }
  t.equal(px.width, viaPost.width, 'the same chart as POST')
  t.equal(viaPost.cached, true, 'and the same cache entry')
  const svg = await call(gw, 'GET', `/v1/charts/svg/${encoded}`)
  t.match(svg.body, /^<svg /)
  t.equal((await call(gw, 'GET', `/v1/charts/png/${encoded}`, { headers: { 'if-none-match': png.headers.etag ?? '' } })).statusCode, 200, 'a different scale is a different image')
  t.equal((await call(gw, 'GET', `/v1/charts/png/${encoded}?theme=quartz&scale=2`, { headers: { 'if-none-match': png.headers.etag ?? '' } })).statusCode, 304)

  const cases: Array<[string, number, string]> = [
    [`/v1/charts/gif/${encoded}`, 400, 'LG_ERR_RENDER_BAD_OPTION'],
    ['/v1/charts/png/not*base64', 400, 'LG_ERR_HTTP_BAD_REQUEST'],
    ['/v1/charts/png/aGVsbG8', 400, 'LG_ERR_HTTP_BAD_REQUEST'],
    [`/v1/charts/png/${deflateSync(Buffer.alloc(3 << 20, 32)).toString('base64url')}`, 413, 'LG_ERR_RENDER_SPEC_TOO_LARGE'],
    [`/v1/charts/png/${encoded}?scale=big`, 400, 'LG_ERR_RENDER_BAD_OPTION'],
    [`/v1/charts/png/${encoded}?theme=solarized`, 422, 'LG_ERR_RENDER_UNKNOWN_THEME'],
  ]
  for (const [path, status, code] of cases) {
    const res = await call(gw, 'GET', path)
    t.equal(res.statusCode, status, path.slice(0, 60))
    t.equal(JSON.parse(res.body).code, code)
    t.same(checkResponse('get', '/v1/charts/{format}/{encoded}', res), [])
  }
})

test('errors are problem+json with a stable code and the documented status', async (t) => {
  // Over the 1 MiB spec limit, under the body limit (spec limit + 64 KiB), so the spec check is what answers.
  const row = (i: number): Record<string, unknown> => ({ x: i, label: 'padding padding padding padding' })
  const big = { mark: 'point', data: { values: Array.from({ length: Math.ceil(((1 << 20) + 16_000) / JSON.stringify(row(10000)).length) }, (_, i) => row(10000 + i)) } }
  const cases: Array<[string, () => Promise<Res>, number, string]> = [
    ['bad JSON', async () => await call(gw, 'POST', '/v1/charts', { body: '{"mark": ', headers: { 'content-type': 'application/json' } }), 400, 'LG_ERR_RENDER_BAD_JSON'],
    ['bad JSON inside a string', async () => await postJson(gw, '{"mark": '), 400, 'LG_ERR_RENDER_BAD_JSON'],
    ['a bad option', async () => await postJson(gw, { spec: bars(2), scale: 10 }), 400, 'LG_ERR_RENDER_BAD_OPTION'],
    ['a spec over 1 MiB', async () => await postJson(gw, big), 413, 'LG_ERR_RENDER_SPEC_TOO_LARGE'],
    ['a body over the body limit', async () => await postJson(gw, { spec: 'x'.repeat(1200 << 10) }), 413, 'LG_ERR_HTTP_TOO_LARGE'],
    ['an invalid spec', async () => await postJson(gw, { mark: 'nonsense' }), 422, 'LG_ERR_RENDER_INVALID_SPEC'],
    ['an unknown theme', async () => await postJson(gw, { spec: bars(2), theme: 'solarized' }), 422, 'LG_ERR_RENDER_UNKNOWN_THEME'],
    ['a refused load', async () => await postJson(gw, { mark: 'point', data: { url: 'file:///etc/passwd' } }), 422, 'LG_ERR_RENDER_LOAD_REFUSED'],
    ['too many pixels', async () => await postJson(gw, { ...bars(2), width: 20000, height: 20000 }), 422, 'LG_ERR_RENDER_TOO_MANY_PIXELS'],
    // Issue 15: this one used to exhaust the worker heap (LG_ERR_RENDER_CRASHED after 6.7 s).
    ['1e9 × 1e9 pixels', async () => await postJson(gw, { ...bars(2), width: 1e9, height: 1e9 }), 422, 'LG_ERR_RENDER_TOO_MANY_PIXELS'],
  ]
  for (const [name, send, status, code] of cases) {
    const res = await send()
    t.equal(res.statusCode, status, name)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${name}: problem+json`)
    const problem = JSON.parse(res.body) as { code: string, status: number, refused?: string[], themes?: string[] }
    t.equal(problem.code, code, `${name}: code ${problem.code}`)
    t.equal(problem.status, status)
    t.same(checkResponse('post', '/v1/charts', res), [], `${name}: matches openapi.yaml`)
    if (code === 'LG_ERR_RENDER_LOAD_REFUSED') t.same(problem.refused, ['file:///etc/passwd'])
    if (code === 'LG_ERR_RENDER_UNKNOWN_THEME') t.ok(problem.themes?.includes('ggplot2'))
  }
})

test('a full render queue is 503 with Retry-After; a worker killed by its heap limit is 422 while the server keeps serving', async (t) => {
  const busy = await startGateway(t, { env: { LIVEGATE_RENDER_QUEUE: '0', LIVEGATE_RENDER_HEAP_MB: '128', LIVEGATE_RENDER_TIMEOUT_MS: '90000' } })
  t.equal((await postJson(busy, bars(2))).statusCode, 201, 'warm')
  // 50,000 rows of 100 kB strings each: far more than a 128 MiB worker heap.
  const bomb = { data: { sequence: { start: 0, stop: 50000, as: 'v' } }, transform: [{ calculate: "pad('', 100000 + datum.v, 'x')", as: 's' }], mark: 'tick', encoding: { x: { field: 'v', type: 'quantitative' } } }
  const crashing = postJson(busy, bomb)
  await new Promise((resolve) => setTimeout(resolve, 100))
  const refused = await postJson(busy, bars(3))
  t.equal(refused.statusCode, 503)
  t.equal(refused.headers['retry-after'], '1')
  t.equal(JSON.parse(refused.body).code, 'LG_ERR_RENDER_BUSY')
  t.same(checkResponse('post', '/v1/charts', refused), [])
  t.equal((await call(busy, 'GET', '/healthz')).statusCode, 200, 'the event loop answers while the worker fills its heap')
  const crashed = await crashing
  t.equal(crashed.statusCode, 422)
  t.equal(JSON.parse(crashed.body).code, 'LG_ERR_RENDER_CRASHED')
  t.same(checkResponse('post', '/v1/charts', crashed), [])
  // With no queue, a request that arrives before the replacement worker is up is 503: retry as Retry-After says.
  let after = await postJson(busy, bars(3))
  for (let i = 0; after.statusCode === 503 && i < 300; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    after = await postJson(busy, bars(3))
  }
  t.equal(after.statusCode, 201, 'the next chart renders in a fresh worker')
})
