import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import Fastify from 'fastify'
import { loadConfig } from '../../src/config.js'
import type { LivegateContext } from '../../src/context.js'
import problemJson from '../../src/http/problem-json.js'
import webClient, { contentSecurityPolicy, publicRoot } from '../../src/http/static.js'

async function build (env: Record<string, string> = {}): Promise<ReturnType<typeof Fastify>> {
  const app = Fastify({ logger: false })
  const config = loadConfig({ LIVEGATE_STORE: 'memory', ...env })
  const context: LivegateContext = { config, sessions: new Set(), closing: false, upstreamBaseUrl: '' } as LivegateContext
  app.decorate('livegate', context)
  await app.register(problemJson)
  await app.register(webClient)
  t.teardown(() => app.close())
  return app
}

t.test('serves the page at / with a strict CSP and no-cache', async (t) => {
  const app = await build()
  const res = await app.inject('/')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/html/)
  t.match(res.body, '<script type="module" src="app.js"></script>')
  t.equal(res.headers['cache-control'], 'no-cache')
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  const csp = String(res.headers['content-security-policy'])
  t.match(csp, "default-src 'none'")
  t.match(csp, "connect-src 'self'")
  t.notMatch(csp, 'unsafe-inline', 'no inline script or style is allowed')
  t.ok(res.headers.etag, 'revalidation is cheap')
})

t.test('every module the page imports is served as JavaScript', async (t) => {
  const app = await build()
  const root = publicRoot()
  const files = (await readdir(root)).filter((f) => f.endsWith('.js'))
  t.ok(files.includes('app.js') && files.includes('pcm-worklet.js'))
  const html = await readFile(path.join(root, 'index.html'), 'utf8')
  const wanted = new Set([...html.matchAll(/(?:src|href)="([^":]+\.(?:js|css))"/g)].map((m) => m[1] as string))
  for (const file of files) {
    const source = await readFile(path.join(root, file), 'utf8')
    for (const m of source.matchAll(/(?:from\s+|import\(\s*|new URL\(\s*)'\.\/([\w.-]+\.js)'/g)) wanted.add(m[1] as string)
  }
  t.ok(wanted.has('resampler.js'), 'the worklet import graph is followed')
  for (const file of wanted) {
    const res = await app.inject(`/${file}`)
    t.equal(res.statusCode, 200, `${file} is served`)
    if (file.endsWith('.js')) t.match(res.headers['content-type'], /javascript/, `${file} has a script MIME type (module scripts require one)`)
  }
})

t.test('unknown paths and traversal get the problem+json 404', async (t) => {
  const app = await build()
  for (const url of ['/nope.js', '/../package.json', '/%2e%2e/package.json', '/src/app.ts']) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 404, url)
    t.match(res.headers['content-type'], /application\/problem\+json/, url)
    t.equal(res.json().code, 'LG_ERR_HTTP_NOT_FOUND', url)
  }
})

t.test('HEAD answers without a body', async (t) => {
  const app = await build()
  const res = await app.inject({ method: 'HEAD', url: '/app.js' })
  t.equal(res.statusCode, 200)
  t.equal(res.body, '')
})

t.test('CSP admits the artifact origin named by LIVEGATE_PUBLIC_URL, and only its origin', async (t) => {
  t.match(contentSecurityPolicy('https://charts.example.com/base/path'), "img-src 'self' data: https://charts.example.com;")
  t.match(contentSecurityPolicy(undefined), "img-src 'self' data:;")
  const app = await build({ LIVEGATE_PUBLIC_URL: 'https://cdn.example.org' })
  const res = await app.inject('/')
  t.match(String(res.headers['content-security-policy']), "img-src 'self' data: https://cdn.example.org")
})
