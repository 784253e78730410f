/**
 * @module http/artifacts-routes
 * `GET`/`HEAD /v1/artifacts/{id}.{png|svg}`: stored artifacts (charts, maps) with ETag and immutable caching. A
 * chart whose other format was never rendered is rendered now from its stored spec.
 */
import type { FastifyInstance } from 'fastify'
import { LivegateError } from '../errors.js'
import { disconnectSignal, sendArtifact } from './http-cache.js'

const NAME = /^([A-Za-z0-9_-]{1,128})\.(png|svg)$/

export default async function artifactsRoutes (app: FastifyInstance): Promise<void> {
  app.get<{ Params: { name: string } }>('/artifacts/:name', async function getArtifact (request, reply) {
    const match = NAME.exec(request.params.name)
    if (match === null) throw notFound(request.params.name)
    const [, id = '', ext] = match
    const format = ext === 'svg' ? 'svg' : 'png'
    const { artifacts, charts } = app.livegate
    const artifact = await artifacts.get(`${id}.${format}`) ?? await charts.artifact(id, format, { signal: disconnectSignal(reply) })
    if (artifact === undefined) throw notFound(request.params.name)
    return sendArtifact(request, reply, artifact)
  })
}

function notFound (name: string): LivegateError {
  return new LivegateError('LG_ERR_ARTIFACT_NOT_FOUND', `no artifact ${JSON.stringify(name.slice(0, 200))}; it expired or never existed`)
}
