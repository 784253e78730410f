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

type Json = Record<string, unknown>
const asJson = (v: unknown): Json => (typeof v === 'object' && v !== null ? v as Json : {})
function deref (node: unknown): Json {
  let current = asJson(node)
  for (let i = 0; i < 10 && typeof current.$ref === 'string'; i++) {
    current = current.$ref.replace(/^#\//, '').split('/').reduce<Json>((n, key) => asJson(n[key]), openapi)
  }
  return current
}
/** Property names and required names of an object schema (openapi or TypeBox), sorted, for a two-way comparison. */
const shapeOf = (schema: Json): { properties: string[], required: string[] } => ({
  properties: Object.keys(asJson(schema.properties)).sort(),
  required: [...(Array.isArray(schema.required) ? schema.required as string[] : [])].sort(),
})

t.test("openapi.yaml's query, body and JSON response schemas name the same fields as the routes' schemas", async (t) => {
  const app = Fastify({ logger: false })
  const schemas = new Map<string, Json>()
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) schemas.set(`${method.toLowerCase()} ${route.url}`, asJson(route.schema))
  })
  await app.register(livegate, { config: loadConfig({ LIVEGATE_STORE: 'memory', LIVEGATE_LOG_LEVEL: 'silent', GEMINI_API_KEY: 'unused', LIVEGATE_UPSTREAM_URL: 'http://127.0.0.1:9' }) })
  await app.ready()
  t.teardown(() => app.close())
  const routeOf = (path: string): string => path.replace('{encoded}', '*').replace(/\{(\w+)\}/g, ':$1').replace(':apiVersion', 'v1')
  let compared = 0
  for (const [path, operations] of Object.entries(asJson(openapi.paths))) {
    for (const method of Object.keys(operations as Json).filter((k) => METHODS.includes(k) && k !== 'head')) {
      const op = `${method} ${path}`
      const operation = asJson((operations as Json)[method])
      const route = schemas.get(`${method} ${routeOf(path)}`)
      if (route === undefined) { t.fail(`${op}: no route`); continue }
      const query = (Array.isArray(operation.parameters) ? operation.parameters : []).map(deref).filter((p) => p.in === 'query')
      if (query.length > 0) {
        t.same(shapeOf(asJson(route.querystring)).properties, query.map((p) => String(p.name)).sort(), `${op}: query parameters`)
        t.same(shapeOf(asJson(route.querystring)).required, query.filter((p) => p.required === true).map((p) => String(p.name)).sort(), `${op}: required query parameters`)
        compared++
      }
      const body = deref(asJson(asJson(asJson(operation.requestBody).content)['application/json']).schema)
      if (body.properties !== undefined) {
        t.same(shapeOf(asJson(route.body)), shapeOf(body), `${op}: request body fields`)
        compared++
      }
      for (const [status, response] of Object.entries(asJson(operation.responses))) {
        const schema = deref(asJson(asJson(deref(response).content)['application/json']).schema)
        if (schema.properties === undefined) continue
        const served = asJson(asJson(route.response)[status])
        t.same(shapeOf(served), shapeOf(schema), `${op} ${status}: response fields`)
        for (const [name, property] of Object.entries(asJson(schema.properties))) {
          const nested = deref(property)
          if (nested.properties !== undefined) t.same(shapeOf(asJson(asJson(served.properties)[name])), shapeOf(nested), `${op} ${status}: fields of ${name}`)
        }
        compared++
      }
    }
  }
  t.ok(compared >= 8, `compared ${compared} schemas`)
})
