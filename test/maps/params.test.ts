import t from 'tap'
import { parseMapArgs, parseMapQuery } from '../../src/maps/params.js'
import { toSearchParams } from '../../src/maps/serialize.js'
import type { LivegateError } from '../../src/errors.js'

const q = (s: string): string => s.replaceAll('|', '%7C')

t.test('accepts every form of the reference grammar', async (t) => {
  const cases: Array<{ name: string, query: string, check: (r: ReturnType<typeof parseMapQuery>) => void }> = [
    {
      name: 'center as lat,lng and integral zoom',
      query: 'center=40.714728,-73.998672&zoom=11.0',
      check: (r) => { t.same(r.center, { kind: 'coords', lat: 40.714728, lng: -73.998672 }); t.equal(r.zoom, 11) },
    },
    {
      name: 'center as an address with + for spaces',
      query: 'center=Brooklyn+Bridge,New+York,NY&zoom=14',
      check: (r) => t.same(r.center, { kind: 'address', query: 'Brooklyn Bridge,New York,NY' }),
    },
    {
      name: 'default size is 512x512 at scale 1, png, roadmap',
      query: 'center=0,0&zoom=1',
      check: (r) => { t.equal(r.width, 512); t.equal(r.height, 512); t.equal(r.scale, 1); t.equal(r.format, 'png'); t.equal(r.maptype, 'roadmap') },
    },
    {
      name: 'size, scale 2, format, maptype, language, region',
      query: 'center=0,0&zoom=1&size=640x400&scale=2&format=jpg-baseline&maptype=terrain&language=fr&region=AU',
      check: (r) => {
        t.equal(r.width, 640); t.equal(r.height, 400); t.equal(r.scale, 2); t.equal(r.format, 'jpg-baseline')
        t.equal(r.maptype, 'terrain'); t.equal(r.language, 'fr'); t.equal(r.region, 'AU')
      },
    },
    {
      name: 'size above 640 is clamped per dimension, with a note',
      query: 'center=0,0&zoom=1&size=800x455',
      check: (r) => { t.equal(r.width, 640); t.equal(r.height, 455); t.match(r.notes[0], /size 800x455 clamped to 640x455/) },
    },
    {
      name: 'markers with size, named colour, label and two locations',
      query: q('markers=size:mid|color:orange|label:D|Darwin,AU|-12.46,130.84'),
      check: (r) => {
        const m = r.markers[0]
        t.equal(m?.size, 'mid'); t.equal(m?.color.name, 'orange'); t.equal(m?.label, 'D')
        t.same(m?.locations, [{ kind: 'address', query: 'Darwin,AU' }, { kind: 'coords', lat: -12.46, lng: 130.84 }])
      },
    },
    {
      name: 'markers default to a normal red pin',
      query: 'markers=Sydney',
      check: (r) => { t.equal(r.markers[0]?.size, 'normal'); t.equal(r.markers[0]?.color.name, 'red'); t.equal(r.markers[0]?.label, undefined) },
    },
    {
      name: 'markers with a 24-bit hex colour, tiny and small sizes, repeated markers params',
      query: q('markers=color:0xFFA500|size:tiny|1,2&markers=size:small|color:blue|3,4'),
      check: (r) => {
        t.same([r.markers[0]?.color.r, r.markers[0]?.color.g, r.markers[0]?.color.b, r.markers[0]?.color.a], [255, 165, 0, 255])
        t.equal(r.markers[0]?.size, 'tiny'); t.equal(r.markers[1]?.size, 'small'); t.equal(r.markers.length, 2)
      },
    },
    {
      name: 'a label on a small marker is accepted with a note (Google does not draw it)',
      query: q('markers=size:small|label:A|1,2'),
      check: (r) => t.match(r.notes[0], /markers\[0\]: label 'A' not drawn/),
    },
    {
      name: 'markers with a custom icon and anchor',
      query: q('markers=icon:https://example.com/pin.png|anchor:bottomleft|1,2'),
      check: (r) => { t.equal(r.markers[0]?.icon, 'https://example.com/pin.png'); t.equal(r.markers[0]?.anchor, 'bottomleft') },
    },
    {
      name: 'path with weight, 32-bit colour, fillcolor and geodesic',
      query: q('path=weight:3|color:0x0000ff80|fillcolor:0xFFFF0033|geodesic:true|1,2|3,4|5,6'),
      check: (r) => {
        const p = r.paths[0]
        t.equal(p?.weight, 3); t.equal(p?.color.a, 0x80); t.equal(p?.fillcolor?.a, 0x33); t.equal(p?.geodesic, true); t.equal(p?.points.length, 3)
      },
    },
    {
      name: 'path defaults: weight 5, not geodesic, no fill',
      query: q('path=1,2|3,4'),
      check: (r) => { t.equal(r.paths[0]?.weight, 5); t.equal(r.paths[0]?.geodesic, false); t.equal(r.paths[0]?.fillcolor, undefined) },
    },
    {
      name: "path with Google's canonical encoded polyline (enc: takes the rest, | included)",
      query: `path=${encodeURIComponent('color:red|enc:_p~iF~ps|U_ulLnnqC_mqNvxq`@')}`,
      check: (r) => {
        t.same(r.paths[0]?.points, [
          { kind: 'coords', lat: 38.5, lng: -120.2 }, { kind: 'coords', lat: 40.7, lng: -120.95 }, { kind: 'coords', lat: 43.252, lng: -126.453 },
        ])
        t.equal(r.paths[0]?.encoded, '_p~iF~ps|U_ulLnnqC_mqNvxq`@')
      },
    },
    {
      name: 'visible locations alone position the map',
      query: q('visible=Sydney|Melbourne'),
      check: (r) => t.same(r.visible, [{ kind: 'address', query: 'Sydney' }, { kind: 'address', query: 'Melbourne' }]),
    },
    {
      name: 'the client credential and legacy flags are ignored silently, unknown params with a note',
      query: 'center=0,0&zoom=1&key=secret-token&sensor=false&foo=bar',
      check: (r) => t.same(r.notes, ["ignored unknown parameter 'foo'"]),
    },
    {
      name: 'style rules are kept verbatim',
      query: `center=0,0&zoom=1&style=${encodeURIComponent('feature:road.local|element:geometry|color:0x00ff00')}`,
      check: (r) => t.same(r.styles, ['feature:road.local|element:geometry|color:0x00ff00']),
    },
  ]
  for (const c of cases) t.test(c.name, async () => { c.check(parseMapQuery(c.query)) })
})

t.test('rejects bad input with the parameter, its index and the token', async (t) => {
  const cases: Array<[string, string, RegExp, Record<string, unknown>?]> = [
    ['markers=1,2&markers=color:reddish|3,4', 'markers[1]', /^markers\[1\]: unknown color 'reddish' \(use a name from black\|brown\|green\|purple\|yellow\|blue\|gray\|orange\|red\|white or 0xRRGGBB\)$/, { param: 'markers', index: 1, token: 'reddish' }],
    ['markers=color:0xff000080|1,2', 'markers[0]', /unknown color '0xff000080'/],
    ['markers=label:a|1,2', 'markers[0]', /invalid label 'a' \(one uppercase letter A-Z or digit 0-9\)/, { token: 'a' }],
    ['markers=label:AB|1,2', 'markers[0]', /invalid label 'AB'/],
    ['markers=size:huge|1,2', 'markers[0]', /unknown size 'huge' \(use tiny\|mid\|small/],
    ['markers=shape:round|1,2', 'markers[0]', /unknown style 'shape:round'/],
    ['markers=color:red|label:A', 'markers[0]', /no location/],
    ['markers=91,0', 'markers[0]', /invalid location '91,0' \(latitude must be between -90 and 90\)/, { token: '91,0' }],
    ['markers=0,181', 'markers[0]', /longitude must be between -180 and 180/],
    ['markers=place_id:ChIJN1t_tDeuEmsRUsoyG83frY4', 'markers[0]', /place_id locations are not supported/],
    ['path=color:0xGG0000|1,2|3,4', 'path[0]', /unknown color '0xGG0000' \(use a name from .* 0xRRGGBB or 0xRRGGBBAA\)/],
    ['path=1,2|3,4&path=weight:heavy|1,2|3,4', 'path[1]', /invalid weight 'heavy'/],
    ['path=geodesic:yes|1,2|3,4', 'path[0]', /invalid geodesic 'yes' \(true or false\)/],
    ['path=1,2', 'path[0]', /needs two or more points, got 1/],
    ['path=enc:%7F%7F', 'path[0]', /invalid encoded polyline/],
    ['center=0,0&zoom=22', 'zoom', /^zoom: invalid zoom '22' \(a whole number from 0 to 21\)$/],
    ['center=0,0&zoom=11.5', 'zoom', /invalid zoom '11.5'/],
    ['center=0,0&zoom=ten', 'zoom', /invalid zoom 'ten'/],
    ['center=0,0', 'zoom', /^zoom: required when there are no markers, path or visible locations$/],
    ['zoom=3', 'center', /^center: required/],
    ['center=0,0&zoom=1&size=big', 'size', /invalid size 'big' \(use \{width\}x\{height\}/],
    ['center=0,0&zoom=1&size=0x100', 'size', /invalid size '0x100'/],
    ['center=0,0&zoom=1&scale=4', 'scale', /invalid scale '4' \(use 1\|2\)/],
    ['center=0,0&zoom=1&format=bmp', 'format', /invalid format 'bmp'/],
    ['center=0,0&zoom=1&maptype=street', 'maptype', /invalid maptype 'street' \(use roadmap\|satellite\|terrain\|hybrid\)/],
    ['center=0,0&zoom=1&zoom=2', 'zoom', /given more than once/],
    [`center=0,0&zoom=1&path=${'1,2|'.repeat(5000)}`, 'query', /characters; the Static Maps limit is 16384/],
  ]
  for (const [query, where, message, extra] of cases) {
    t.test(`${where}: ${query.slice(0, 60)}`, async (t) => {
      let err: LivegateError | undefined
      try { parseMapQuery(query) } catch (e) { err = e as LivegateError }
      t.equal(err?.code, 'LG_ERR_MAP_INVALID_PARAM')
      t.equal(err?.status, 400)
      t.match(err?.message, message)
      t.ok(err?.message.startsWith(`${where}: `), String(err?.message))
      if (extra !== undefined) t.match(err?.extra, extra)
    })
  }
})

t.test("parses the seed's draw_map(center, zoom, path, markers[]) arguments", async (t) => {
  const r = parseMapArgs({
    center: 'Sydney,AU',
    zoom: 13,
    markers: ['color:red|label:A|-33.8568,151.2153', 'color:0x00FF00|label:B|Bondi Beach'],
    path: 'color:0x0000ff80|weight:4|-33.8568,151.2153|-33.8908,151.2743',
  })
  t.same(r.center, { kind: 'address', query: 'Sydney,AU' })
  t.equal(r.zoom, 13)
  t.equal(r.markers.length, 2)
  t.equal(r.markers[1]?.label, 'B')
  t.equal(r.paths[0]?.weight, 4)
  t.equal(r.width, 512)
})

t.test('tool arguments: numbers as strings, %7C pipes, and errors indexed by array position', async (t) => {
  const r = parseMapArgs({ center: '-33.86,151.2', zoom: '12.0', markers: ['color:blue%7Clabel:Z%7C-33.87,151.21'] })
  t.equal(r.zoom, 12)
  t.equal(r.markers[0]?.label, 'Z')
  t.throws(() => parseMapArgs({ center: 'x', zoom: 3, markers: ['1,2', 'color:reddish|1,2'] }), { code: 'LG_ERR_MAP_INVALID_PARAM', message: /^markers\[1\]: unknown color 'reddish'/ })
  t.throws(() => parseMapArgs({ center: ['a', 'b'], zoom: 3 }), { message: /^center: must be a single value/ })
  t.throws(() => parseMapArgs({ center: 'x', zoom: 3, markers: [{ where: 'x' }] }), { message: /^markers\[0\]: must be a string/ })
})

t.test("the seed's empty path and marker objects from other declarations", async (t) => {
  const r = parseMapArgs({ center: 'Sydney', zoom: 12, path: '', markers: [{ location: 'Bondi Beach', label: 'B', color: 'blue' }, 'Manly'] })
  t.same(r.paths, [])
  t.equal(r.markers[0]?.label, 'B')
  t.equal(r.markers[0]?.color.name, 'blue')
  t.same(r.markers[0]?.locations, [{ kind: 'address', query: 'Bondi Beach' }])
  t.throws(() => parseMapArgs({ center: 'x', zoom: 1, markers: [{ location: 'y', color: 'reddish' }] }), { message: /^markers\[0\]: unknown color 'reddish'/ })
})

t.test('serialises back to the same grammar (round trip)', async (t) => {
  const query = q('center=-33.86,151.2&zoom=12&size=400x300&scale=2&markers=size:mid|color:orange|label:C|Canberra,AU&path=weight:3|color:0xff000080|fillcolor:0xffff0040|geodesic:true|1,2|3,4&visible=Perth')
  const once = parseMapQuery(query)
  const twice = parseMapQuery(toSearchParams(once).toString())
  t.same({ ...twice, notes: [] }, { ...once, notes: [] })
  const params = toSearchParams(once)
  t.equal(params.get('markers'), 'size:mid|color:orange|label:C|Canberra,AU')
  t.equal(params.get('path'), 'weight:3|color:0xff000080|fillcolor:0xffff0040|geodesic:true|1,2|3,4')
  t.equal(params.get('key'), null)
})
