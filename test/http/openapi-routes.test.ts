import { readdirSync } from 'node:fs'
import t from 'tap'
import Fastify from 'fastify'
import livegate from '../../src/plugin.js'
import { loadConfig } from '../../src/config.js'
import { publicRoot } from '../../src/http/static.js'
import { openapi } from '../helpers/openapi.js'

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete']

t.test('openapi.yaml and the REST routes agree in both directions', async (t) => {
  const app = Fastify({ logger: false })
  const served = new Set<string>()
  const webClientFiles = new Set(['/', ...readdirSync(publicRoot()).map((f) => `/${f}`)])
  app.addHook('onRoute', (route) => {
    if ((route as { websocket?: boolean }).websocket === true || webClientFiles.has(route.url)) return
    for (const method of [route.method].flat()) served.add(`${method.toLowerCase()} ${route.url}`)
  })
  await app.register(livegate, { config: loadConfig({ LIVEGATE_STORE: 'memory', LIVEGATE_LOG_LEVEL: 'silent', GEMINI_API_KEY: 'unused', LIVEGATE_UPSTREAM_URL: 'http://127.0.0.1:9' }) })
  await app.ready()
  t.teardown(() => app.close())
  // OpenAPI template → router syntax: `{name}` → `:name`; the Kroki spec is a wildcard (router params cap at 100 chars).
  const routeOf = (path: string): string => path.replace('{encoded}', '*').replace(/\{(\w+)\}/g, ':$1')
  const documented = new Set<string>()
  type Operation = { parameters?: Array<{ name?: string, in?: string, schema?: { enum?: string[] } }> }
  for (const [path, operations] of Object.entries(openapi.paths as Record<string, Record<string, Operation>>)) {
    for (const method of Object.keys(operations).filter((k) => METHODS.includes(k))) {
      // A path parameter with an enum may be served as a parameter or as one literal route per value.
      let literal = [path]
      for (const param of operations[method]?.parameters ?? []) {
        const values = param.in === 'path' ? param.schema?.enum : undefined
        if (values !== undefined) literal = literal.flatMap((p) => values.map((v) => p.replace(`{${param.name ?? ''}}`, v)))
      }
      const template = `${method} ${routeOf(path)}`
      const literals = literal.map((p) => `${method} ${routeOf(p)}`)
      for (const op of [template, ...literals]) documented.add(op)
      t.ok(served.has(template) || literals.every((op) => served.has(op)), `documented and served: ${template}`)
    }
  }
  // Fastify answers HEAD for every GET; only the HEADs openapi.yaml names are part of the contract.
  const undocumented = [...served].filter((op) => !documented.has(op) && !(op.startsWith('head ') && served.has(op.replace(/^head /, 'get '))))
  t.same(undocumented, [], 'every served REST route is documented')
})
