import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { MemoryStore } from '../../src/artifacts/memory-store.js'
import { createMapService, type MapResult } from '../../src/maps/service.js'
import { pixelOf } from '../../src/maps/mercator.js'
import { PIN_SIZES } from '../../src/maps/render/overlays.js'
import { LAND, WATER } from '../../src/maps/render/basemap.js'
import type { LatLng, MarkerSize } from '../../src/maps/types.js'
import { decodePng, hex, near, type Pixels } from '../helpers/pixels.js'

const store = new MemoryStore({ maxBytes: 256 * 1024 * 1024, ttlSeconds: 3600 })
const maps = createMapService({ config: loadConfig({ LIVEGATE_STORE: 'memory' }), store })
t.teardown(async () => { await maps.close(); await store.close() })

const CAPITALS = 'Darwin|Brisbane|Sydney|Canberra|Melbourne|Adelaide|Perth|Hobart'

async function image (result: MapResult): Promise<Pixels> {
  const artifact = await store.get(`${result.id}.png`)
  if (artifact === undefined) throw new Error('artifact missing')
  return await decodePng(artifact.bytes)
}

function view (r: MapResult, width = 512, height = 512): { center: LatLng, zoom: number, width: number, height: number } {
  if (r.center === null || r.zoom === null) throw new Error('no view')
  return { center: r.center, zoom: r.zoom, width, height }
}

/** A point inside a pin's head, clear of its label. */
function headPoint (tip: { x: number, y: number }, size: MarkerSize): { x: number, y: number } {
  const { w, h } = PIN_SIZES[size]
  return { x: tip.x - w * 0.3, y: tip.y - h + w / 2 }
}

t.test('the eight capitals: fitted at zoom 4, orange pins on the capitals, sea and land where they are', async (t) => {
  const r = await maps.create({ query: `markers=${encodeURIComponent(`size:mid|color:orange|label:C|${CAPITALS}`)}` })
  t.equal(r.provider, 'offline')
  t.equal(r.zoom, 4)
  t.equal(r.resolved.length, 8)
  t.same(r.resolved[0], { query: 'Darwin', lat: -12.46113, lng: 130.84185 })
  const px = await image(r)
  t.equal(px.width, 512)
  for (const cap of r.resolved) {
    const p = headPoint(pixelOf(cap, view(r)), 'mid')
    t.ok(near(px.at(p.x, p.y), [255, 165, 0]), `${cap.query} pin is orange: ${px.at(p.x, p.y).join(',')}`)
  }
  const ocean = pixelOf({ lat: -40, lng: 118 }, view(r))
  t.ok(near(px.at(ocean.x, ocean.y), hex(WATER)), 'Southern Ocean is water')
  const outback = pixelOf({ lat: -24, lng: 133 }, view(r))
  t.ok(near(px.at(outback.x, outback.y), hex(LAND)), 'the outback is land')
  t.same(r.notes, [])
})

t.test('the same map asked again is served from the store', async (t) => {
  const query = `markers=${encodeURIComponent(`size:mid|color:orange|label:C|${CAPITALS}`)}`
  const a = await maps.create({ query })
  const b = await maps.create({ query: `${query}&key=another-client-token` })
  t.equal(b.id, a.id)
  t.equal(b.cached, true)
  const c = await maps.create({ query: `${query}&scale=2` })
  t.not(c.id, a.id, 'a different request is a different map')
})

t.test('zoom 12 Sydney: schematic-coastline banner in the image and a note in the result', async (t) => {
  const r = await maps.create({ args: { center: 'Sydney', zoom: 12, markers: ['color:red|label:A|-33.8568,151.2153'] } })
  t.match(r.notes.join('\n'), /schematic coastline/)
  const px = await image(r)
  t.ok(near(px.at(2, 8), [255, 243, 205]), `banner at the top: ${px.at(2, 8).join(',')}`)
  const pin = headPoint(pixelOf({ lat: -33.8568, lng: 151.2153 }, view(r)), 'normal')
  t.ok(near(px.at(pin.x, pin.y), [234, 67, 53]), 'red pin where asked')
  const z8 = await maps.create({ args: { center: 'Sydney', zoom: 8 } })
  t.notMatch(z8.notes.join('\n'), /schematic/)
  t.notOk(near((await image(z8)).at(2, 8), [255, 243, 205]), 'no banner below zoom 9')
})

t.test('paths: straight in screen space by default, great-circle arcs with geodesic:true', async (t) => {
  const base = { center: '-33,133', zoom: 3, size: '512x512' }
  const straight = await maps.create({ args: { ...base, path: 'weight:6|color:0xff00ffff|-31.95,115.86|-33.87,151.21' } })
  const geodesic = await maps.create({ args: { ...base, path: 'weight:6|color:0xff00ffff|geodesic:true|-31.95,115.86|-33.87,151.21' } })
  const a = pixelOf({ lat: -31.95, lng: 115.86 }, view(straight))
  const b = pixelOf({ lat: -33.87, lng: 151.21 }, view(straight))
  const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 }
  t.ok(near((await image(straight)).at(mid.x, mid.y), [255, 0, 255]), 'the straight line passes through the screen midpoint')
  t.notOk(near((await image(geodesic)).at(mid.x, mid.y), [255, 0, 255]), 'the arc does not')
  const south = (await image(geodesic))
  let found = false
  for (let dy = 1; dy < 40 && !found; dy++) found = near(south.at(mid.x, mid.y + dy), [255, 0, 255])
  t.ok(found, 'the great circle bows towards the pole')
})

t.test('filled polygons blend their fill colour with alpha', async (t) => {
  const r = await maps.create({ args: { center: '-40,100', zoom: 5, path: 'weight:0|fillcolor:0xFF000080|-38,98|-38,102|-42,102|-42,98' } })
  const px = await image(r)
  const inside = pixelOf({ lat: -40, lng: 100 }, view(r))
  const water = hex(WATER)
  const expected = water.map((c, i) => Math.round(c * 0.5 + [255, 0, 0][i]! * 0.5))
  t.ok(near(px.at(inside.x, inside.y), expected, 4), `half-transparent red over water: ${px.at(inside.x, inside.y).join(',')}`)
  t.ok(near(px.at(20, 20), water), 'outside stays water')
})

t.test('labels are drawn on normal and mid pins only', async (t) => {
  const png = async (markers: string): Promise<Buffer> => {
    const r = await maps.create({ args: { center: '0,-30', zoom: 3, markers: [markers] } })
    return (await store.get(`${r.id}.png`))!.bytes
  }
  t.ok((await png('size:small|label:A|0,-30')).equals(await png('size:small|0,-30')), 'small: the label changes nothing')
  t.ok((await png('size:tiny|label:A|0,-30')).equals(await png('size:tiny|0,-30')), 'tiny: the label changes nothing')
  t.notOk((await png('size:mid|label:A|0,-30')).equals(await png('size:mid|0,-30')), 'mid: the label is drawn')
  t.notOk((await png('label:A|0,-30')).equals(await png('0,-30')), 'normal: the label is drawn')
})

t.test('scale=2 doubles the pixels, not the coverage', async (t) => {
  const r = await maps.create({ query: 'center=0,0&zoom=2&size=300x200&scale=2&markers=color:blue|10,20' })
  t.equal(r.width, 600)
  t.equal(r.height, 400)
  const px = await image(r)
  t.equal(px.width, 600)
  const tip = pixelOf({ lat: 10, lng: 20 }, view(r, 300, 200))
  const head = headPoint(tip, 'normal')
  t.ok(near(px.at(head.x * 2, head.y * 2), [0, 0, 255]), 'the blue pin is at twice its logical position')
})

t.test('implicit fit across the antimeridian shows Fiji and Samoa side by side', async (t) => {
  const r = await maps.create({ query: `markers=${encodeURIComponent('color:green|-18.14161,178.44149|-13.83333,-171.76666')}` })
  t.equal(r.zoom, 5)
  t.ok(r.center !== null && r.center.lng < -175 && r.center.lng > -178, `centre ${JSON.stringify(r.center)}`)
  const px = await image(r)
  for (const p of [{ lat: -18.14161, lng: 178.44149 }, { lat: -13.83333, lng: -171.76666 }]) {
    const head = headPoint(pixelOf(p, view(r)), 'normal')
    t.ok(head.x > 0 && head.x < 512, `on screen at x=${head.x.toFixed(0)}`)
    t.ok(near(px.at(head.x, head.y), [0, 160, 0]), 'green pin')
  }
})

t.test('an address the gazetteer cannot resolve is an error naming it and asking for lat,lng', async (t) => {
  await t.rejects(maps.create({ args: { center: 'Sydney', zoom: 14, markers: ['label:O|Sydney Opera House', 'label:B|Bondi Beach'] } }), {
    code: 'LG_ERR_MAP_GEOCODE_FAILED',
    message: /cannot resolve 'Sydney Opera House' \(markers\[0\]\).*send this location as 'lat,lng'/,
    extra: { queries: ['Sydney Opera House'] },
  })
})

t.test('a cancelled call rejects with LG_ERR_MAP_ABORTED', async (t) => {
  const controller = new AbortController()
  controller.abort()
  await t.rejects(maps.create({ args: { center: '1,1', zoom: 3 } }, { signal: controller.signal }), { code: 'LG_ERR_MAP_ABORTED' })
})

t.test('place names from the gazetteer: a dot and a label at Paris, none under a pin', async (t) => {
  const paris = { lat: 48.85341, lng: 2.3488 }
  const bare = await maps.create({ args: { center: '48,5', zoom: 5 } })
  const px = await image(bare)
  const dot = pixelOf(paris, view(bare))
  t.ok(near(px.at(dot.x, dot.y), [85, 85, 85], 20), `dot at Paris: ${px.at(dot.x, dot.y).join(',')}`)
  let dark = 0
  for (let x = dot.x + 6; x < dot.x + 40; x++) if (px.at(x, dot.y)[0] < 120) dark++
  t.ok(dark > 3, `label text right of the dot (${dark} dark pixels)`)
  const pinned = await maps.create({ args: { center: '48,5', zoom: 5, markers: ['color:white|48.85341,2.3488'] } })
  const head = headPoint(pixelOf(paris, view(pinned)), 'normal')
  t.ok(near((await image(pinned)).at(head.x, head.y), [255, 255, 255], 8), 'the pin covers the place, no label over it')
})
