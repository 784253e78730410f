/**
 * @module http/maps-routes
 * `GET /v1/maps/staticmap?<Google Static Maps query>`: the PNG itself, so an existing Static Maps URL works by
 * changing its host (content-addressed: ETag, immutable). `POST /v1/maps` with draw_map-style JSON (or
 * `{"query": "center=…&markers=…"}`): the map's id, URL, final centre and zoom, resolved addresses and notes.
 */
import type { FastifyInstance } from 'fastify'
import { LivegateError } from '../errors.js'
import type { MapInput } from '../maps/service.js'
import { disconnectSignal, sendArtifact } from './http-cache.js'

function mapInput (body: unknown): MapInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new LivegateError('LG_ERR_HTTP_BAD_REQUEST', 'the body must be a JSON object of Static Maps parameters (center, zoom, markers, path, …) or {"query": "…"}')
  }
  const record = body as Record<string, unknown>
  if ('query' in record) {
    if (typeof record.query !== 'string' || Object.keys(record).length !== 1) {
      throw new LivegateError('LG_ERR_HTTP_BAD_REQUEST', '"query" must be a Static Maps query string and the only key of the body')
    }
    return { query: record.query }
  }
  return { args: record }
}

export default async function mapsRoutes (app: FastifyInstance): Promise<void> {
  app.get('/maps/staticmap', async function staticMap (request, reply) {
    const q = request.url.indexOf('?')
    const result = await app.livegate.maps.create({ query: q < 0 ? '' : request.url.slice(q + 1) }, { signal: disconnectSignal(reply) })
    const artifact = await app.livegate.artifacts.get(`${result.id}.png`)
    if (artifact === undefined) throw new LivegateError('LG_ERR_ARTIFACT_NOT_FOUND', `map ${result.id} was evicted before it could be sent; retry`)
    void reply.header('content-location', result.path).header('x-map-provider', result.provider)
    return sendArtifact(request, reply, artifact)
  })

  app.post('/maps', async function createMap (request, reply) {
    const result = await app.livegate.maps.create(mapInput(request.body), { signal: disconnectSignal(reply) })
    const url = app.livegate.publicBaseUrl(request) + result.path
    return reply.code(201).header('location', url).send({ ...result, url })
  })
}
