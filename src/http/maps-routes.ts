/**
 * @module http/maps-routes
 * `GET /v1/maps/staticmap?<Google Static Maps query>`: the PNG itself, so an existing Static Maps URL works by
 * changing its host (content-addressed: ETag, immutable). `POST /v1/maps` with draw_map-style JSON (or
 * `{"query": "center=…&markers=…"}`): the map's id, URL, final centre and zoom, resolved addresses and notes.
 */
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { LivegateError } from '../errors.js'
import { typeboxValidator } from './route-schema.js'
import type { MapInput } from '../maps/service.js'
import { disconnectSignal, sendArtifact } from './http-cache.js'

const BODY_NOT_OBJECT = 'the body must be a JSON object of Static Maps parameters (center, zoom, markers, path, …) or {"query": "…"}'

/**
 * Only shapes here: the Static Maps grammar (LG_ERR_MAP_INVALID_PARAM, naming the parameter, index and token) is
 * maps/params.ts's. Every query value is a string, or an array when repeated (a repeated single parameter is the
 * grammar's error, not a shape error); other Static Maps parameters (style, language, region, …) pass through.
 */
const QUERY_VALUE = Type.Union([Type.String(), Type.Array(Type.String())])
const STATICMAP = {
  querystring: Type.Object(Object.fromEntries(['center', 'zoom', 'size', 'scale', 'format', 'maptype', 'markers', 'path', 'visible']
    .map((name) => [name, Type.Optional(QUERY_VALUE)])), { additionalProperties: QUERY_VALUE }),
}
const LAT_LNG = Type.Object({ lat: Type.Number(), lng: Type.Number() })
/** openapi.yaml MapRequestBody (a JSON object; its values are the grammar's) and MapResult. */
const CREATE = {
  body: Type.Object(Object.fromEntries(['query', 'center', 'zoom', 'markers', 'path', 'visible', 'size', 'scale', 'format', 'maptype']
    .map((name) => [name, Type.Optional(Type.Unknown())]))),
  response: {
    201: Type.Object({
      id: Type.String(),
      url: Type.String(),
      path: Type.String(),
      width: Type.Number(),
      height: Type.Number(),
      provider: Type.String(),
      center: Type.Union([Type.Null(), LAT_LNG]),
      zoom: Type.Union([Type.Number(), Type.Null()]),
      resolved: Type.Array(Type.Object({ query: Type.String(), lat: Type.Number(), lng: Type.Number() })),
      notes: Type.Array(Type.String()),
      cached: Type.Boolean(),
    }),
  },
}
const bodyNotObject = typeboxValidator(() => new LivegateError('LG_ERR_HTTP_BAD_REQUEST', BODY_NOT_OBJECT))

function mapInput (record: Record<string, unknown>): MapInput {
  if ('query' in record) {
    if (typeof record.query !== 'string' || Object.keys(record).length !== 1) {
      throw new LivegateError('LG_ERR_HTTP_BAD_REQUEST', '"query" must be a Static Maps query string and the only key of the body')
    }
    return { query: record.query }
  }
  return { args: record }
}

export default async function mapsRoutes (app: FastifyInstance): Promise<void> {
  app.get('/maps/staticmap', { schema: STATICMAP }, async function staticMap (request, reply) {
    const q = request.url.indexOf('?')
    const result = await app.livegate.maps.create({ query: q < 0 ? '' : request.url.slice(q + 1) }, { signal: disconnectSignal(reply) })
    const artifact = await app.livegate.artifacts.get(`${result.id}.png`)
    if (artifact === undefined) throw new LivegateError('LG_ERR_ARTIFACT_NOT_FOUND', `map ${result.id} was evicted before it could be sent; retry`)
    void reply.header('content-location', result.path).header('x-map-provider', result.provider)
    return sendArtifact(request, reply, artifact)
  })

  app.post<{ Body: Record<string, unknown> }>('/maps', { schema: CREATE, validatorCompiler: bodyNotObject }, async function createMap (request, reply) {
    const result = await app.livegate.maps.create(mapInput(request.body), { signal: disconnectSignal(reply) })
    const url = app.livegate.publicBaseUrl(request) + result.path
    return reply.code(201).header('location', url).send({ ...result, url })
  })
}
