import t from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'

const SPEC = { data: { values: [{ a: 1 }, { a: 3 }] }, mark: 'bar', encoding: { x: { field: 'a', type: 'ordinal' }, y: { field: 'a', type: 'quantitative' } } }

t.test('with client tokens set, rendering needs a token and artifacts stay public', async (t) => {
  const app = await buildApp(loadConfig({ GEMINI_API_KEY: 'k', LIVEGATE_UPSTREAM_URL: 'http://127.0.0.1:9', LIVEGATE_CLIENT_TOKENS: 'tok-0123456789abcdef', LIVEGATE_STORE: 'memory', LIVEGATE_RENDER_THREADS: '1', LIVEGATE_LOG_LEVEL: 'silent' }))
  t.teardown(() => app.close())
  const denied = await app.inject({ method: 'POST', url: '/v1/charts', payload: SPEC })
  t.equal(denied.statusCode, 401)
  t.equal(denied.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(denied.json().code, 'LG_ERR_AUTH_MISSING')
  const wrong = await app.inject({ method: 'GET', url: '/v1/maps/staticmap?center=0,0&zoom=1&key=nope' })
  t.equal(wrong.statusCode, 401)
  t.equal(wrong.json().code, 'LG_ERR_AUTH_INVALID')
  t.notMatch(wrong.body, 'nope')
  const made = await app.inject({ method: 'POST', url: '/v1/charts', payload: SPEC, headers: { authorization: 'Bearer tok-0123456789abcdef' } })
  t.equal(made.statusCode, 201)
  const png = await app.inject({ method: 'GET', url: made.json().urls.png.replace(/^https?:\/\/[^/]+/, '') })
  t.equal(png.statusCode, 200, 'the artifact URL works without a token, as an <img src>')
  t.equal(png.headers['content-type'], 'image/png')
  const viaQuery = await app.inject({ method: 'GET', url: '/v1/maps/staticmap?center=0,0&zoom=1&size=64x64&key=tok-0123456789abcdef' })
  t.equal(viaQuery.statusCode, 200, '?key= works for curl and <img src>')
})
