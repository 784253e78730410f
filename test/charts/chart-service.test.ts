import { once } from 'node:events'
import { createServer } from 'node:http'
import { readFileSync } from 'node:fs'
import t0, { test, type Test } from 'tap'
import { MemoryStore } from '../../src/artifacts/memory-store.js'
import { createChartService, type ChartService } from '../../src/charts/chart-service.js'
import { createRenderPool, type RenderPool } from '../../src/charts/render-pool.js'
import { loadConfig } from '../../src/config.js'
import type { LivegateError } from '../../src/errors.js'
import { decodePng } from '../helpers/pixels.js'

const FIVE_FILMS = JSON.parse(readFileSync(new URL('../fixtures/charts/five-films.vl.json', import.meta.url), 'utf8')) as Record<string, unknown>
const point = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }] }, mark: 'point',
  encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } }, ...extra,
})

interface Setup { charts: ChartService, pool: RenderPool, store: MemoryStore }

/** A chart service over `pool` (or a new one), with its own config: the URL allowlist travels with each task. */
function setup (t: Test, env: Record<string, string> = {}, pool?: RenderPool): Setup {
  const config = loadConfig({ LIVEGATE_RENDER_THREADS: '1', LIVEGATE_STORE: 'memory', LIVEGATE_RENDER_TIMEOUT_MS: '60000', ...env })
  const usedPool = pool ?? createRenderPool(config.charts)
  const store = new MemoryStore({ maxBytes: 64 << 20, ttlSeconds: 3600 })
  const charts = createChartService({ charts: config.charts, store, pool: usedPool })
  if (pool === undefined) t.teardown(async () => { await charts.close() })
  return { charts, pool: usedPool, store }
}

// One warm pool for every test here: starting a worker (importing vega) is the slow part, very slow on a loaded machine.
const shared = setup(t0)
t0.setTimeout(300_000)

async function refusal (promise: Promise<unknown>): Promise<LivegateError> {
  try {
    await promise
  } catch (err) {
    return err as LivegateError
  }
  throw new Error('expected a refusal, got a chart')
}

test('the same chart as an object, a JSON string and a double-encoded string is one id and one render', async (t) => {
  const { charts, pool, store } = shared
  const before = pool.started
  const first = await charts.create({ spec: FIVE_FILMS })
  t.equal(first.cached, false)
  t.match(first.id, /^[A-Za-z0-9_-]{22}$/)
  t.same(first.paths, { png: `/v1/artifacts/${first.id}.png`, svg: `/v1/artifacts/${first.id}.svg` })
  const png = await store.get(`${first.id}.png`)
  t.equal(png?.meta.mimeType, 'image/png')
  t.equal((await decodePng(png?.bytes ?? Buffer.alloc(0))).width, first.width)

  const asString = await charts.create({ spec: JSON.stringify(FIVE_FILMS) })
  const asDouble = await charts.create({ spec: JSON.stringify(JSON.stringify(FIVE_FILMS)) })
  for (const r of [asString, asDouble]) {
    t.equal(r.id, first.id)
    t.equal(r.cached, true, 'a cache hit')
    t.equal(r.width, first.width)
  }
  t.equal(pool.started - before, 1, 'rendered once')

  const dark = await charts.create({ spec: FIVE_FILMS, theme: 'dark' })
  t.not(dark.id, first.id, 'the theme is part of the id')
  const scaled = await charts.create({ spec: FIVE_FILMS, scale: 2 })
  t.not(scaled.id, first.id, 'the scale is part of the id')
  t.equal(scaled.width, first.width * 2)
  t.equal(pool.started - before, 3)
})

test('concurrent identical requests share one render', async (t) => {
  const { charts, pool } = shared
  const before = pool.started
  const results = await Promise.all([1, 2, 3].map(async () => await charts.create({ spec: point() })))
  t.equal(new Set(results.map((r) => r.id)).size, 1)
  t.equal(pool.started - before, 1)
  t.same(results.map((r) => r.cached).sort(), [false, true, true])
})

test('the format not rendered yet renders on first request, from the stored spec', async (t) => {
  const { charts, pool } = shared
  const before = pool.started
  const created = await charts.create({ spec: FIVE_FILMS, format: 'svg', scale: 1.5 })
  const svg = await charts.artifact(created.id, 'svg')
  t.match(svg?.bytes.toString('utf8'), /^<svg /)
  t.equal(pool.started - before, 1)
  const png = await charts.artifact(created.id, 'png')
  t.equal(png?.meta.mimeType, 'image/png')
  t.equal(png?.meta.width, created.width)
  t.equal(pool.started - before, 2)
  t.equal(await charts.artifact('AAAAAAAAAAAAAAAAAAAAAA', 'png'), undefined, 'unknown id')
  t.equal(await charts.artifact('../etc/passwd', 'png'), undefined, 'not an id')
})

test('bad options are refused before any render', async (t) => {
  const { charts, pool } = shared
  const before = pool.started
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ format: 'gif' }, 'LG_ERR_RENDER_BAD_OPTION'],
    [{ scale: 0 }, 'LG_ERR_RENDER_BAD_OPTION'],
    [{ scale: 5 }, 'LG_ERR_RENDER_BAD_OPTION'],
    [{ scale: '2' }, 'LG_ERR_RENDER_BAD_OPTION'],
    [{ theme: 'solarized' }, 'LG_ERR_RENDER_UNKNOWN_THEME'],
    [{ spec: '{"mark": ' }, 'LG_ERR_RENDER_BAD_JSON'],
  ]
  for (const [input, code] of cases) {
    const err = await refusal(charts.create({ spec: point(), ...input } as never))
    t.equal(err.code, code, JSON.stringify(input))
  }
  t.equal(pool.started - before, 0)
})

test('every refusal class has its own code and nothing leaks out', async (t) => {
  let hits = 0
  const server = createServer((_req, res) => { hits++; res.end('x,y\n1,2\n') })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.close() })
  const port = (server.address() as { port: number }).port
  const { charts } = shared

  const cases: Array<[string, unknown, string]> = [
    ['a file:// data.url', point({ data: { url: 'file:///etc/passwd', format: { type: 'csv' } } }), 'LG_ERR_RENDER_LOAD_REFUSED'],
    ['a relative data.url', point({ data: { url: 'package.json' } }), 'LG_ERR_RENDER_LOAD_REFUSED'],
    ['a loopback data.url', point({ data: { url: `http://127.0.0.1:${port}/data.csv` } }), 'LG_ERR_RENDER_LOAD_REFUSED'],
    ['a protocol-relative data.url', point({ data: { url: `//127.0.0.1:${port}/data.csv` } }), 'LG_ERR_RENDER_LOAD_REFUSED'],
    ['a lookup from a URL', point({ transform: [{ lookup: 'x', from: { data: { url: `http://127.0.0.1:${port}/l.csv` }, key: 'x', fields: ['z'] } }] }), 'LG_ERR_RENDER_LOAD_REFUSED'],
    ['an image mark URL', { data: { values: [{}] }, mark: 'image', encoding: { url: { value: `http://127.0.0.1:${port}/i.png` } } }, 'LG_ERR_RENDER_LOAD_REFUSED'],
    ['a local image path', { data: { values: [{}] }, mark: 'image', encoding: { url: { value: '/usr/share/pixmaps/debian-logo.png' } } }, 'LG_ERR_RENDER_LOAD_REFUSED'],
    ['a 1e7-row sequence', { data: { sequence: { start: 0, stop: 1e7, as: 'v' } }, mark: 'tick', encoding: { x: { field: 'v', type: 'quantitative' } } }, 'LG_ERR_RENDER_TOO_MANY_ROWS'],
    ['a 20000×20000 chart', point({ width: 20000, height: 20000 }), 'LG_ERR_RENDER_TOO_MANY_PIXELS'],
    ['a band scale 400,000 px wide', { data: { sequence: { start: 0, stop: 20000, as: 'v' } }, mark: 'bar', encoding: { x: { field: 'v', type: 'ordinal' } } }, 'LG_ERR_RENDER_TOO_MANY_PIXELS'],
    ['a 1 MB+ spec', point({ data: { values: Array.from({ length: 30000 }, (_, i) => ({ x: i, y: i, label: 'a fairly long label to pad each row out' })) } }), 'LG_ERR_RENDER_SPEC_TOO_LARGE'],
    ['an expression that needs code generation', point({ transform: [{ calculate: "constructor.constructor('return process')()", as: 'p' }] }), 'LG_ERR_RENDER_EXPRESSION'],
    ['an eval call', point({ transform: [{ filter: "eval('1')" }] }), 'LG_ERR_RENDER_EXPRESSION'],
    ['an invalid spec', { mark: 'no-such-mark' }, 'LG_ERR_RENDER_INVALID_SPEC'],
  ]
  for (const [name, spec, code] of cases) {
    const err = await refusal(charts.create({ spec }))
    t.equal(err.code, code, name)
    t.equal(err.status, code === 'LG_ERR_RENDER_SPEC_TOO_LARGE' ? 413 : 422, `${name}: status`)
    if (code === 'LG_ERR_RENDER_LOAD_REFUSED') {
      t.equal((err.extra?.refused as string[]).length, 1, `${name}: the refused URL is reported`)
      t.match(err.detail, /inline the data/, `${name}: tells the model to inline its data`)
    }
  }
  t.equal(hits, 0, 'the loopback server was never contacted')
})

test('URLs under LIVEGATE_CHART_URL_ALLOWLIST load; others stay refused', async (t) => {
  const server = createServer((req, res) => {
    if (req.url === '/data/points.csv') res.end('x,y\n1,5\n2,7\n3,9\n')
    else if (req.url === '/elsewhere') { res.statusCode = 302; res.setHeader('location', '/data/points.csv'); res.end() } else { res.statusCode = 404; res.end() }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.close() })
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  const { charts } = setup(t, { LIVEGATE_CHART_URL_ALLOWLIST: `${base}/data/` }, shared.pool)
  const ok = await charts.create({ spec: point({ data: { url: `${base}/data/points.csv` } }), format: 'svg' })
  t.equal(ok.cached, false)
  const svg = (await charts.artifact(ok.id, 'svg'))?.bytes.toString('utf8') ?? ''
  const symbols = /<g class="mark-symbol role-mark[^>]*>(.*?)<\/g>/s.exec(svg)?.[1] ?? ''
  t.equal(symbols.match(/<path /g)?.length, 3, 'the three loaded points are drawn')
  for (const url of [`${base}/elsewhere`, `${base}/database.csv`, 'http://localhost/data/points.csv']) {
    const err = await refusal(charts.create({ spec: point({ data: { url } }) }))
    t.equal(err.code, 'LG_ERR_RENDER_LOAD_REFUSED', url)
  }
})

// Issue 15, point 6: the allowlist names hosts, but what is dialled is an address. A hostname that resolves to an
// internal address (here `localhost`, as a rebound DNS name would) is refused unless the allowlist names that address.
test('an allowlisted hostname that resolves to loopback is refused unless the address itself is allowlisted; redirects are refused', async (t) => {
  let hits = 0
  const server = createServer((req, res) => {
    hits++
    if (req.url === '/data/points.csv') res.end('x,y\n1,5\n2,7\n3,9\n')
    else if (req.url === '/data/moved.csv') { res.statusCode = 302; res.setHeader('location', '/data/points.csv'); res.end() } else { res.statusCode = 404; res.end() }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.close() })
  const port = (server.address() as { port: number }).port
  const byName = `http://localhost:${port}/data/`

  const named = setup(t, { LIVEGATE_CHART_URL_ALLOWLIST: byName }, shared.pool)
  const err = await refusal(named.charts.create({ spec: point({ data: { url: `${byName}points.csv` } }) }))
  t.equal(err.code, 'LG_ERR_RENDER_LOAD_REFUSED', 'localhost → 127.0.0.1 is refused')
  t.match(err.detail, /localhost resolves to 127\.0\.0\.1, an internal address that is not allowlisted/)
  t.equal(hits, 0, 'the server was never contacted')

  const withAddress = setup(t, { LIVEGATE_CHART_URL_ALLOWLIST: `${byName},http://127.0.0.1:${port}/data/` }, shared.pool)
  const ok = await withAddress.charts.create({ spec: point({ data: { url: `${byName}points.csv` } }), format: 'svg' })
  t.ok(ok.id, 'with 127.0.0.1 named in the allowlist, the same URL loads')
  t.equal(hits, 1)

  const moved = await refusal(withAddress.charts.create({ spec: point({ data: { url: `http://127.0.0.1:${port}/data/moved.csv` } }) }))
  t.equal(moved.code, 'LG_ERR_RENDER_LOAD_REFUSED', 'a redirect, even to an allowlisted URL, is refused')
  t.match(moved.detail, /answered a redirect \(302\); redirects are not followed/)
  t.equal(hits, 2, 'the redirect target was not fetched')
})

test('allowlisted chart data that never arrives or never ends is refused with the outbound codes', async (t) => {
  const hung: Array<import('node:http').ServerResponse> = []
  const server = createServer((req, res) => {
    hung.push(res)
    if (req.url === '/data/huge.csv') { res.write('x,y\n'); const pump = (): void => { while (!res.destroyed && res.write('1,2\n'.repeat(4096))) { /* fill */ } if (!res.destroyed) res.once('drain', pump) }; pump() }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { for (const r of hung) r.destroy(); server.closeAllConnections(); server.close() })
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/data/`
  const config = loadConfig({ LIVEGATE_STORE: 'memory', LIVEGATE_CHART_URL_ALLOWLIST: base, LIVEGATE_RENDER_TIMEOUT_MS: '60000', LIVEGATE_OUTBOUND_TIMEOUT_MS: '500', LIVEGATE_OUTBOUND_MAX_BYTES: String(256 * 1024) })
  const charts = createChartService({ charts: config.charts, store: new MemoryStore({ maxBytes: 1 << 20, ttlSeconds: 60 }), pool: shared.pool, outbound: config.outbound })
  const slow = await refusal(charts.create({ spec: point({ data: { url: `${base}slow.csv` } }) }))
  t.match(slow, { code: 'LG_ERR_OUTBOUND_TIMEOUT', status: 504, detail: /^chart data host 127\.0\.0\.1 did not answer within 500 ms; inline the data/ })
  const huge = await refusal(charts.create({ spec: point({ data: { url: `${base}huge.csv` } }) }))
  t.match(huge, { code: 'LG_ERR_OUTBOUND_TOO_LARGE', status: 502, detail: /^chart data host 127\.0\.0\.1 sent more than 262144 bytes/ })
})
