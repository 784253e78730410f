/**
 * @module http/route-schema
 * How REST routes validate their input: each route declares TypeBox schemas (`schema.params`, `querystring`, `body`,
 * `response`), and this compiler checks the input with TypeBox's own compiled checker — never coercing or stripping
 * values the way Fastify's default Ajv does, so a handler sees exactly what the client sent. A failure becomes the
 * route's problem+json error (LG_ERR_HTTP_BAD_REQUEST unless the route names its own). Responses are serialised by
 * Fastify from `schema.response` (fast-json-stringify), so a field that is not in the schema never leaves.
 *
 * @example
 * app.get('/x', { schema: { querystring: Type.Object({ q: Type.String() }) } }, handler)
 */
import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { FastifySchema, FastifySchemaCompiler } from 'fastify'
import { LivegateError } from '../errors.js'

/** Turns the first failure (`where` is e.g. `querystring/scale`) into the error the client gets. */
type InvalidInput = (where: string, message: string) => LivegateError

const badRequest: InvalidInput = (where, message) => new LivegateError('LG_ERR_HTTP_BAD_REQUEST', `${where}: ${message}`)

/** A Fastify validator compiler over TypeBox schemas; compiled once per route and part, at registration. */
export function typeboxValidator (invalid: InvalidInput = badRequest): FastifySchemaCompiler<FastifySchema> {
  return function compileValidator ({ schema, httpPart }) {
    // Fastify hands over one part's schema (typed as the whole route's); every route schema here is TypeBox.
    const check = TypeCompiler.Compile(schema as TSchema)
    const part = httpPart ?? 'input'
    return function validate (value: unknown) {
      if (check.Check(value)) return { value }
      const first = check.Errors(value).First()
      return { error: invalid(`${part}${first?.path ?? ''}`, first?.message ?? 'invalid') }
    }
  }
}
