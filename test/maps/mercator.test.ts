import t from 'tap'
import { geoMercator } from 'd3-geo'
import { circularSpan, fitView, metresPerPixel, pixelOf, project, unproject, worldSize, PIN_RESERVE_PX } from '../../src/maps/mercator.js'
import { decodePolyline, encodePolyline } from '../../src/maps/polyline.js'

const CAPITALS = [
  { lat: -12.46113, lng: 130.84185 }, { lat: -27.46794, lng: 153.02809 }, { lat: -33.86785, lng: 151.20732 },
  { lat: -35.28346, lng: 149.12807 }, { lat: -37.814, lng: 144.96332 }, { lat: -34.92866, lng: 138.59863 },
  { lat: -31.95224, lng: 115.8614 }, { lat: -42.87936, lng: 147.32941 },
]

t.test("Google's documented world and pixel coordinates (Chicago)", async (t) => {
  // developers.google.com/maps/documentation/javascript/coordinates: Chicago (41.85, -87.65) is world
  // coordinate (65.67111111111113, 95.17492654697409) and at zoom 3 pixel (525, 761), tile (2, 2).
  const w = project({ lat: 41.85, lng: -87.65 })
  t.ok(Math.abs(w.x - 65.67111111111113) < 1e-9, `x ${w.x}`)
  t.ok(Math.abs(w.y - 95.17492654697409) < 1e-9, `y ${w.y}`)
  t.equal(Math.floor(w.x * 8), 525)
  t.equal(Math.floor(w.y * 8), 761)
  t.equal(Math.floor(w.x * 8 / 256), 2)
  t.equal(worldSize(3), 2048)
})

t.test('edges: the antimeridian, the equator and the latitude clamp', async (t) => {
  t.same(project({ lat: 0, lng: -180 }), { x: 0, y: 128 })
  t.same(project({ lat: 0, lng: 0 }), { x: 128, y: 128 })
  t.equal(project({ lat: 89.9, lng: 0 }).y, project({ lat: 89.5, lng: 0 }).y, 'clamped where sin(lat) = 0.9999')
  t.ok(Math.abs(project({ lat: 85.05112878, lng: 0 }).y) < 1e-6, "Google's latitude limit is the world's top edge")
  const back = unproject(project({ lat: -33.8568, lng: 151.2153 }))
  t.ok(Math.abs(back.lat + 33.8568) < 1e-9 && Math.abs(back.lng - 151.2153) < 1e-9)
})

t.test('pixelOf matches d3.geoMercator scaled to the Google world (reference §2.3)', async (t) => {
  const view = { center: { lat: -33.87, lng: 151.21 }, zoom: 12, width: 512, height: 512 }
  const d3 = geoMercator().scale(worldSize(12) / (2 * Math.PI)).center([151.21, -33.87]).translate([256, 256])
  for (const p of [{ lat: -33.8568, lng: 151.2153 }, { lat: -33.8523, lng: 151.2108 }, { lat: -33.8908, lng: 151.2743 }]) {
    const ours = pixelOf(p, view)
    const theirs = d3([p.lng, p.lat]) as [number, number]
    t.ok(Math.abs(ours.x - theirs[0]) < 1e-6 && Math.abs(ours.y - theirs[1]) < 1e-6, `${ours.x},${ours.y} vs ${theirs.join(',')}`)
  }
  t.same(pixelOf(view.center, view), { x: 256, y: 256 })
})

t.test('pixelOf puts a marker on the world copy nearest the centre', async (t) => {
  const view = { center: { lat: 0, lng: 179 }, zoom: 4, width: 512, height: 512 }
  const p = pixelOf({ lat: 0, lng: -179 }, view)
  t.ok(Math.abs(p.x - (256 + 2 / 360 * worldSize(4))) < 1e-6, `x ${p.x}`)
})

t.test('metres per pixel (reference §2.2: Sydney z12 ≈ 31.7 m, z4 ≈ 8.1 km)', async (t) => {
  t.ok(Math.abs(metresPerPixel(-33.87, 12) - 31.7) < 0.1)
  t.ok(Math.abs(metresPerPixel(-33.87, 4) - 8116) < 10)
})

t.test('implicit positioning fits the eight Australian capitals at zoom 4 with margins', async (t) => {
  const fit = fitView(CAPITALS, { width: 512, height: 512 })
  t.equal(fit.zoom, 4)
  t.ok(Math.abs(fit.center.lng - 134.44) < 0.01, `centre lng ${fit.center.lng}`)
  const view = { ...fit, width: 512, height: 512 }
  for (const c of CAPITALS) {
    const p = pixelOf(c, view)
    t.ok(p.x > 40 && p.x < 472 && p.y - PIN_RESERVE_PX > 0 && p.y < 472, `${c.lat},${c.lng} at ${p.x.toFixed(0)},${p.y.toFixed(0)}`)
  }
  t.equal(fitView(CAPITALS, { width: 512, height: 512, zoom: 3 }).zoom, 3, 'a given zoom is kept')
})

t.test('Berkeley + San Francisco: the largest zoom that keeps both inside the margins', async (t) => {
  const pts = [{ lat: 37.87159, lng: -122.27275 }, { lat: 37.77493, lng: -122.41942 }]
  const fit = fitView(pts, { width: 512, height: 512 })
  t.ok(fit.zoom >= 11 && fit.zoom <= 12, `zoom ${fit.zoom}`)
  const inside = (zoom: number): boolean => pts.every((p) => {
    const q = pixelOf(p, { center: fit.center, zoom, width: 512, height: 512 })
    return q.x >= 512 * 0.08 - 1e-6 && q.x <= 512 * 0.92 + 1e-6
  })
  t.ok(inside(fit.zoom), 'fits at the chosen zoom')
  t.notOk(inside(fit.zoom + 1), 'would not fit one level closer')
})

t.test('Fiji + Samoa fit across the antimeridian, not around the world', async (t) => {
  const fit = fitView([{ lat: -18.14161, lng: 178.44149 }, { lat: -13.83333, lng: -171.76666 }], { width: 512, height: 512 })
  t.equal(fit.zoom, 5)
  t.ok(fit.center.lng < -175 && fit.center.lng > -178, `centre lng ${fit.center.lng}`)
  const { spanX } = circularSpan([project({ lat: 0, lng: 178.44 }).x, project({ lat: 0, lng: -171.77 }).x])
  t.ok(Math.abs(spanX - 9.79 / 360 * 256) < 0.01)
})

t.test('a single point has no extent: zoom 15, flagged', async (t) => {
  const fit = fitView([{ lat: 10, lng: 20 }], { width: 512, height: 512 })
  t.equal(fit.zoom, 15)
  t.equal(fit.singlePoint, true)
})

t.test('with a fixed centre only the zoom is chosen', async (t) => {
  const fit = fitView(CAPITALS, { width: 512, height: 512, center: { lat: -25, lng: 134 } })
  t.same(fit.center, { lat: -25, lng: 134 })
  t.equal(fit.zoom, 3)
})

t.test("encoded polylines: Google's canonical example both ways", async (t) => {
  const pts = [{ lat: 38.5, lng: -120.2 }, { lat: 40.7, lng: -120.95 }, { lat: 43.252, lng: -126.453 }]
  t.same(decodePolyline('_p~iF~ps|U_ulLnnqC_mqNvxq`@'), pts)
  t.equal(encodePolyline(pts), '_p~iF~ps|U_ulLnnqC_mqNvxq`@')
  t.equal(decodePolyline('_p~iF~ps|U_'), undefined, 'a truncated encoding is rejected')
})
