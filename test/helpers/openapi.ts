/**
 * Check a REST response against openapi.yaml: the operation must document the status and the content type, and a
 * JSON body must validate (ajv, JSON Schema 2020-12, which OpenAPI 3.1 schemas are).
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { parse } from 'yaml'

type Json = Record<string, unknown>

const SPEC_PATH = fileURLToPath(new URL('../../openapi.yaml', import.meta.url))
export const openapi = parse(readFileSync(SPEC_PATH, 'utf8')) as Json

const ajv = new Ajv2020({ strict: false, allErrors: true })
// ajv-formats is CJS with a default export; under ESM interop it arrives as the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv2020) => void
addFormats(ajv)
ajv.addSchema({ ...openapi, $id: 'openapi' })

const pointer = (...parts: string[]): string => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')

function resolve (node: unknown): Json {
  let current = node as Json
  for (let i = 0; i < 10 && typeof current.$ref === 'string'; i++) {
    const ref = current.$ref.replace(/^#\//, '')
    current = ref.split('/').reduce<unknown>((n, key) => (n as Json)[key.replaceAll('~1', '/').replaceAll('~0', '~')], openapi) as Json
  }
  return current
}

export interface CheckedResponse {
  statusCode: number
  headers: Record<string, unknown>
  body: string
}

/**
 * Returns a list of problems (empty when the response matches the contract).
 * @example t.same(checkResponse('post', '/v1/charts', res), [])
 */
export function checkResponse (method: string, path: string, res: CheckedResponse): string[] {
  const paths = openapi.paths as Json
  const operation = (paths[path] as Json | undefined)?.[method.toLowerCase()] as Json | undefined
  if (operation === undefined) return [`${method} ${path} is not in openapi.yaml`]
  const responses = operation.responses as Json
  const status = String(res.statusCode)
  if (responses[status] === undefined) return [`${method} ${path} does not document status ${status}`]
  const response = resolve(responses[status])
  const content = response.content as Json | undefined
  const contentType = String(res.headers['content-type'] ?? '').split(';')[0]?.trim() ?? ''
  if (content === undefined) {
    return method.toLowerCase() === 'head' || res.body === '' ? [] : [`${method} ${path} ${status} documents no body but got ${contentType}`]
  }
  if (content[contentType] === undefined) return [`${method} ${path} ${status} does not document content type ${JSON.stringify(contentType)}`]
  if (!/json/.test(contentType)) return []
  const location = resolve(content[contentType]).schema === undefined ? undefined : contentSchemaPointer(paths, path, method, status, contentType)
  if (location === undefined) return []
  const validate = ajv.getSchema(location)
  if (validate === undefined) return [`no schema at ${location}`]
  let body: unknown
  try { body = JSON.parse(res.body) } catch { return ['body is not JSON'] }
  if (validate(body)) return []
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''}`)
}

function contentSchemaPointer (paths: Json, path: string, method: string, status: string, contentType: string): string {
  const raw = ((paths[path] as Json)[method.toLowerCase()] as Json).responses as Json
  const entry = raw[status] as Json
  // A `$ref`'d response lives under components; point ajv at wherever the schema really is.
  if (typeof entry.$ref === 'string') return `openapi${entry.$ref}/content/${pointer(contentType)}/schema`
  return `openapi#/${pointer('paths', path, method.toLowerCase(), 'responses', status, 'content', contentType, 'schema')}`
}
