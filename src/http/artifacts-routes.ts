/**
 * @module http/artifacts-routes
 * `GET`/`HEAD /v1/artifacts/{id}.{png|svg}`: stored artifacts (charts, maps) with ETag and immutable caching. A
 * chart whose other format was never rendered is rendered now from its stored spec.
 */
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { LivegateError } from '../errors.js'
import { disconnectSignal, sendArtifact } from './http-cache.js'

/** `<id>.<ext>`: charts and maps are png/svg; operator tools may store the other types of tools/tool-context.ts. */
const NAME = /^([A-Za-z0-9_-]{1,128})\.(png|svg|jpg|webp|gif|pdf|json|csv|txt|wav)$/

/** Fastify validates the parameter's length before the handler; the name's grammar is NAME (a 404, not a 400). */
const SCHEMA = { params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }) }

export default async function artifactsRoutes (app: FastifyInstance): Promise<void> {
  app.get<{ Params: { name: string } }>('/artifacts/:name', { schema: SCHEMA }, async function getArtifact (request, reply) {
    const match = NAME.exec(request.params.name)
    if (match === null) throw notFound(request.params.name)
    const [, id = '', ext] = match
    const { artifacts, charts } = app.livegate
    const stored = await artifacts.get(`${id}.${ext}`)
    // Only charts can be made again from their stored spec, in their other format.
    const artifact = stored ?? (ext === 'png' || ext === 'svg' ? await charts.artifact(id, ext, { signal: disconnectSignal(reply) }) : undefined)
    if (artifact === undefined) throw notFound(request.params.name)
    return sendArtifact(request, reply, artifact)
  })
}

function notFound (name: string): LivegateError {
  return new LivegateError('LG_ERR_ARTIFACT_NOT_FOUND', `no artifact ${JSON.stringify(name.slice(0, 200))}; it expired or never existed`)
}
