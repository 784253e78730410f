import t from 'tap'
import { MemoryStore } from '../../src/artifacts/memory-store.js'
import { createMapPool } from '../../src/maps/pool.js'
import { createTilesProvider, tilesFor, tileUrl } from '../../src/maps/providers/tiles.js'
import { parseMapQuery } from '../../src/maps/params.js'
import { pixelOf, project } from '../../src/maps/mercator.js'
import { decodePng, near } from '../helpers/pixels.js'
import { listen, startTileServer, streamBody, tileColor } from './fake-servers.js'
import { createOutbound } from '../../src/net/outbound.js'

const pool = createMapPool({ threads: 1, queue: 16, heapMb: 256 })
t.teardown(async () => { await pool.close() })

async function setup (t: { teardown: (fn: () => Promise<void>) => void }) {
  const tiles = await startTileServer()
  const store = new MemoryStore({ maxBytes: 64 * 1024 * 1024, ttlSeconds: 3600 })
  t.teardown(async () => { await tiles.close(); await store.close() })
  const template = `${tiles.url}/{z}/{x}/{y}.png`
  const provider = createTilesProvider({ template, attribution: '© Test Tiles', store, pool })
  return { tiles, store, provider, template }
}

/** The tile (and so the colour) Google's formula puts under image pixel (px, py). */
function expectedAt (centerLat: number, centerLng: number, zoom: number, w: number, h: number, px: number, py: number): [number, number, number] {
  const n = 2 ** zoom
  const c = project({ lat: centerLat, lng: centerLng })
  const left = Math.round(c.x * n - w / 2)
  const top = Math.round(c.y * n - h / 2)
  const tx = Math.floor((left + px) / 256)
  const ty = Math.floor((top + py) / 256)
  return tileColor(zoom, ((tx % n) + n) % n, ty)
}

t.test('tile addresses and offsets follow the Google pixel formula', async (t) => {
  const refs = tilesFor({ center: { lat: 41.85, lng: -87.65 }, zoom: 3, width: 256, height: 256 })
  // Chicago is world pixel (525.4, 761.4) at z3: the 256 px image spans 397…653 × 633…889, i.e. tiles x 1–2, y 2–3.
  t.same(refs.map((r) => [r.x, r.y, r.px, r.py]), [[1, 2, -141, -121], [2, 2, 115, -121], [1, 3, -141, 135], [2, 3, 115, 135]])
  t.equal(tileUrl('https://t/{z}/{x}/{-y}.png', { z: 3, x: 1, y: 2 }), 'https://t/3/1/5.png')
  t.throws(() => createTilesProvider({ template: 'ftp://x/{z}/{x}/{y}', attribution: undefined, store: undefined, pool }), { code: 'LG_ERR_CONFIG_INVALID' })
  t.throws(() => createTilesProvider({ template: 'https://x/tiles.png', attribution: undefined, store: undefined, pool }), { code: 'LG_ERR_CONFIG_INVALID' })
})

t.test('composes the covering tiles at exact pixel offsets, then the overlays', async (t) => {
  const { provider } = await setup(t)
  const drawn = await provider.draw(parseMapQuery('center=41.85,-87.65&zoom=5&size=400x300&markers=color:blue|41.85,-87.65'))
  const px = await decodePng(drawn.png)
  t.equal(px.width, 400)
  const c = project({ lat: 41.85, lng: -87.65 })
  const left = Math.round(c.x * 32 - 200)
  const boundary = Math.ceil(left / 256) * 256 - left
  for (const [x, y] of [[5, 5], [boundary - 1, 20], [boundary, 20], [395, 150], [30, 280]] as const) {
    t.ok(near(px.at(x, y), expectedAt(41.85, -87.65, 5, 400, 300, x, y), 2), `pixel ${x},${y}: ${px.at(x, y).join(',')}`)
  }
  const pin = pixelOf({ lat: 41.85, lng: -87.65 }, { center: { lat: 41.85, lng: -87.65 }, zoom: 5, width: 400, height: 300 })
  t.ok(near(px.at(pin.x - 6, pin.y - 25), [0, 0, 255]), 'the blue pin is drawn over the tiles')
  t.ok(near(px.at(398, 296), [255, 255, 255], 70), 'attribution box in the corner')
  t.same(drawn.notes, [])
})

t.test('wraps tile x across the antimeridian and leaves rows outside the world blank', async (t) => {
  const { provider } = await setup(t)
  const drawn = await provider.draw(parseMapQuery('center=0,180&zoom=1&size=256x640'))
  const px = await decodePng(drawn.png)
  t.ok(near(px.at(10, 320), tileColor(1, 1, 0), 2) || near(px.at(10, 320), tileColor(1, 1, 1), 2), 'west half is tile x=1')
  t.ok(near(px.at(245, 100), tileColor(1, 0, 0), 2), 'east half is tile x=0 (wrapped)')
  t.ok(near(px.at(128, 2), [229, 227, 223], 2), 'above the world: background')
})

t.test('a warm tile cache needs no network: memory first, then the artifact store', async (t) => {
  const { tiles, store, provider, template } = await setup(t)
  await provider.draw(parseMapQuery('center=-33.87,151.21&zoom=12&markers=-33.87,151.21'))
  const cold = tiles.hits()
  t.ok(cold >= 4, `${cold} tiles fetched`)
  await provider.draw(parseMapQuery('center=-33.87,151.21&zoom=12&markers=color:green|-33.87,151.21'))
  t.equal(tiles.hits(), cold, 'same tiles from memory')
  const fresh = createTilesProvider({ template, attribution: undefined, store, pool })
  await fresh.draw(parseMapQuery('center=-33.87,151.21&zoom=12'))
  t.equal(tiles.hits(), cold, 'a new provider finds them in the store')
})

t.test('missing tiles: blank with a note; none at all: an error', async (t) => {
  const { provider } = await setup(t)
  const drawn = await provider.draw(parseMapQuery('center=84,0&zoom=1&size=512x300'))
  t.same(drawn.notes, [])
  const { tiles } = await setup(t)
  const broken = createTilesProvider({ template: `${tiles.url}/none/{z}/{x}/{y}.png`, attribution: undefined, store: undefined, pool })
  await t.rejects(broken.draw(parseMapQuery('center=0,0&zoom=3')), { code: 'LG_ERR_MAP_PROVIDER', message: /returned no tile/ })
})

t.test('an unreachable tile server is a provider error without the URL', async (t) => {
  const { tiles } = await setup(t)
  const template = `${tiles.url}/{z}/{x}/{y}.png?apikey=tile-secret`
  await tiles.close()
  const provider = createTilesProvider({ template, attribution: undefined, store: undefined, pool })
  const err = await provider.draw(parseMapQuery('center=0,0&zoom=3')).catch((e: Error) => e)
  t.match(err, { code: 'LG_ERR_MAP_PROVIDER', message: /tile server unreachable \(ECONNREFUSED\)/ })
  t.notMatch((err as Error).message, 'tile-secret')
})

t.test('a tile server that never answers or streams 200 MB is cut off: timeout / too large, naming the tile server', async (t) => {
  const hung: Array<import('node:http').ServerResponse> = []
  const { server, url } = await listen((req, res) => {
    if (req.url?.startsWith('/slow/') === true) { hung.push(res); return }
    res.writeHead(200, { 'content-type': 'image/png' })
    hung.push(res)
    streamBody(res, 200 * 1024 * 1024)
  })
  t.teardown(async () => { for (const r of hung) r.destroy(); server.closeAllConnections(); server.close() })
  const outbound = createOutbound({ timeoutMs: 400, maxBytes: 256 * 1024 })
  t.teardown(async () => { await outbound.close() })
  const cases: Array<[string, string]> = [['slow', 'LG_ERR_OUTBOUND_TIMEOUT'], ['huge', 'LG_ERR_OUTBOUND_TOO_LARGE']]
  for (const [path, code] of cases) {
    const provider = createTilesProvider({ template: `${url}/${path}/{z}/{x}/{y}.png?apikey=tile-secret`, attribution: undefined, store: undefined, pool, outbound })
    const err = await provider.draw(parseMapQuery('center=0,0&zoom=3')).catch((e: Error) => e)
    t.match(err, { code, extra: { provider: 'the tile server' }, message: /^the tile server / }, path)
    t.notMatch((err as Error).message, 'tile-secret')
  }
})
