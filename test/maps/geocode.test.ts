import t from 'tap'
import { gazetteer } from '../../src/maps/geocode.js'

const g = gazetteer()

t.test('resolves the reference cases, ranked by population', async (t) => {
  const cases: Array<[string, number, number, string]> = [
    ['Sydney', -33.86785, 151.20732, 'AU'],
    ['Berkeley,CA', 37.87159, -122.27275, 'US'],
    ['Berkeley, California', 37.87159, -122.27275, 'US'],
    ['Darwin', -12.46113, 130.84185, 'AU'],
    ['Darwin AU', -12.46113, 130.84185, 'AU'],
    ['Darwin, Argentina', -39.20334, -65.73952, 'AR'],
    ['Canberra,AU', -35.28346, 149.12807, 'AU'],
    ['Hobart, TAS', -42.87936, 147.32941, 'AU'],
    ['Perth, Australia', -31.95224, 115.8614, 'AU'],
    ['Melbourne, FL', 28.08363, -80.60811, 'US'],
    ['Mountain View, CA', 37.38605, -122.08385, 'US'],
    ['Paris', 48.85341, 2.3488, 'FR'],
    ['sao paulo, brazil', -23.5475, -46.63611, 'BR'],
    ['New York, NY', 40.71427, -74.00597, 'US'],
    ['Washington, DC', 38.89511, -77.03637, 'US'],
    ['Bondi Beach', -33.89079, 151.27852, 'AU'],
  ]
  for (const [query, lat, lng, country] of cases) {
    const p = g.lookup(query)
    t.ok(p !== undefined && Math.abs(p.lat - lat) < 1e-4 && Math.abs(p.lng - lng) < 1e-4 && p.country === country,
      `${query} → ${JSON.stringify(p)}`)
  }
})

t.test('never guesses landmarks, streets or unknown qualifiers', async (t) => {
  for (const query of ['Sydney Opera House', 'City Hall, New York, NY', 'Brooklyn Bridge,New York,NY', 'Uluru', '1600 Amphitheatre Parkway', 'Sydney, Narnia', '']) {
    t.equal(g.lookup(query), undefined, query)
  }
})
