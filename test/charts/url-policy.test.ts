import { test } from 'tap'
import { createUrlPolicy } from '../../src/charts/url-policy.js'

test('with no allowlist nothing may be loaded', async (t) => {
  const policy = createUrlPolicy([])
  for (const uri of ['https://vega.github.io/data/cars.json', 'file:///etc/passwd', '/etc/passwd', 'data.csv', '//host/x']) {
    t.notOk(policy.allows(uri), uri)
  }
})

test('an allowlisted prefix admits URLs under it and nothing that merely looks like it', async (t) => {
  const policy = createUrlPolicy(['https://vega.github.io/vega-datasets/', 'http://127.0.0.1:8080/data'])
  const cases: Array<[string, boolean]> = [
    ['https://vega.github.io/vega-datasets/data/cars.json', true],
    ['https://vega.github.io/vega-datasets/', true],
    ['http://127.0.0.1:8080/data', true],
    ['http://127.0.0.1:8080/data/points.csv', true],
    ['http://127.0.0.1:8080/database.csv', false], // a prefix ends at a path segment
    ['https://vega.github.io.evil.tld/vega-datasets/x.json', false], // hostname.includes() would accept this
    ['http://vega.github.io/vega-datasets/x.json', false], // another scheme is another origin
    ['https://vega.github.io:444/vega-datasets/x.json', false],
    ['https://user:pw@vega.github.io/vega-datasets/x.json', false],
    ['https://vega.github.io/other/x.json', false],
    ['file:///vega-datasets/x.json', false],
    ['//vega.github.io/vega-datasets/x.json', false],
    ['vega-datasets/x.json', false],
  ]
  for (const [uri, allowed] of cases) t.equal(policy.allows(uri), allowed, uri)
})

test('prefixes that are not http(s) URLs are ignored', async (t) => {
  const policy = createUrlPolicy(['file:///tmp/', 'not a url'])
  t.notOk(policy.allows('file:///tmp/x.csv'))
})
