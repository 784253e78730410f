import { test } from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openapi } from '../helpers/openapi.js'

test('every chart and artifact operation in openapi.yaml is served by the app', async (t) => {
  const config = loadConfig({ LIVEGATE_STORE: 'memory', LIVEGATE_LOG_LEVEL: 'silent', GEMINI_API_KEY: 'unused', LIVEGATE_UPSTREAM_URL: 'http://127.0.0.1:9' })
  const app = await buildApp(config)
  t.teardown(async () => { await app.close() })
  // OpenAPI template → router syntax: `{name}` → `:name`; the Kroki spec is a wildcard (router params cap at 100 chars).
  const routeOf = (path: string): string => path.replace('{encoded}', '*').replace(/\{(\w+)\}/g, ':$1')
  const paths = openapi.paths as Record<string, Record<string, unknown>>
  const ours = Object.entries(paths).filter(([path]) => /^\/v1\/(charts|artifacts)/.test(path))
  t.equal(ours.length, 3)
  t.notOk(app.hasRoute({ method: 'DELETE', url: '/v1/artifacts/:name' }), 'an undocumented operation is not served')
  for (const [path, operations] of ours) {
    for (const method of Object.keys(operations).filter((k) => ['get', 'head', 'post', 'put', 'delete'].includes(k))) {
      t.ok(app.hasRoute({ method: method.toUpperCase() as 'GET', url: `${routeOf(path)}` }), `${method.toUpperCase()} ${path}`)
    }
  }
})
