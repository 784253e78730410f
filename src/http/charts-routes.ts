/**
 * @module http/charts-routes
 * `POST /v1/charts` (a spec, or `{spec, theme, format, scale}`; JSON back, or the image itself when the client
 * accepts image/png or image/svg+xml) and `GET /v1/charts/{format}/{encoded}` (Kroki-style: the spec deflated and
 * base64url-encoded in the path, so a chart is a plain URL for `<img src>` and curl).
 */
import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ChartInput, ChartResult, ImageFormat } from '../charts/chart-service.js'
import { decodeSpecFromUrl } from '../charts/url-encoding.js'
import { LivegateError } from '../errors.js'
import { disconnectSignal, sendArtifact } from './http-cache.js'

/**
 * openapi.yaml ChartCreated, serialised by Fastify (sizes as numbers: an integer schema would round whatever the
 * renderer reports). The body of POST is any spec (object or JSON text), so it has no schema here.
 */
const CHART_CREATED = Type.Object({
  id: Type.String(),
  urls: Type.Object({ png: Type.String(), svg: Type.String() }),
  width: Type.Number(),
  height: Type.Number(),
  warnings: Type.Array(Type.String()),
  cached: Type.Boolean(),
})
const CREATE = { response: { 201: CHART_CREATED } }
/** Strings, as the router and query parser deliver them; their grammar (and LG_ERR_RENDER_BAD_OPTION) is the handler's. */
const FROM_URL = {
  params: Type.Object({ format: Type.String(), '*': Type.String() }),
  querystring: Type.Object({ theme: Type.Optional(Type.String()), scale: Type.Optional(Type.String()) }),
}

const WRAPPER_KEYS = new Set(['spec', 'theme', 'format', 'scale'])

/** `{spec, ...options}` when every key is an option; otherwise the body is the spec itself (facet specs have `spec` too). */
function chartInput (body: unknown): ChartInput {
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && 'spec' in body &&
      Object.keys(body).every((k) => WRAPPER_KEYS.has(k))) {
    return body as ChartInput
  }
  return { spec: body }
}

/** The image format the client asked for in Accept, if it asked for one. */
function acceptedImage (accept: string | undefined): ImageFormat | undefined {
  if (accept === undefined) return undefined
  for (const part of accept.split(',')) {
    const type = part.split(';')[0]?.trim().toLowerCase()
    if (type === 'image/png') return 'png'
    if (type === 'image/svg+xml') return 'svg'
    if (type === 'application/json' || type === 'application/*' || type === '*/*') return undefined
  }
  return undefined
}

function parseScale (text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n)) throw new LivegateError('LG_ERR_RENDER_BAD_OPTION', `scale must be a number, got ${JSON.stringify(text)}`)
  return n
}

export default async function chartsRoutes (app: FastifyInstance): Promise<void> {
  async function sendImage (request: FastifyRequest, reply: FastifyReply, result: ChartResult, format: ImageFormat): Promise<FastifyReply> {
    const artifact = await app.livegate.charts.artifact(result.id, format)
    if (artifact === undefined) throw new LivegateError('LG_ERR_ARTIFACT_NOT_FOUND', `chart ${result.id} was evicted before it could be sent; retry`)
    void reply.header('content-location', result.paths[format])
    return sendArtifact(request, reply, artifact)
  }

  app.post('/charts', { schema: CREATE }, async function createChart (request, reply) {
    const input = chartInput(request.body)
    const image = acceptedImage(request.headers.accept)
    const format = image ?? input.format ?? 'png'
    const result = await app.livegate.charts.create({ ...input, format }, { signal: disconnectSignal(reply) })
    if (image !== undefined) return await sendImage(request, reply, result, image)
    const base = app.livegate.publicBaseUrl(request)
    const urls = { png: base + result.paths.png, svg: base + result.paths.svg }
    return reply.code(201).header('location', urls[format]).send({
      id: result.id, urls, width: result.width, height: result.height, warnings: result.warnings, cached: result.cached,
    })
  })

  // A wildcard, not `:encoded`: router params are capped at 100 characters and an encoded spec is usually longer.
  app.get<{ Params: { format: string, '*': string }, Querystring: { theme?: string, scale?: string } }>(
    '/charts/:format/*', { schema: FROM_URL }, async function chartFromUrl (request, reply) {
      const { format, '*': encoded } = request.params
      if (format !== 'png' && format !== 'svg') {
        throw new LivegateError('LG_ERR_RENDER_BAD_OPTION', `format must be png or svg, got ${JSON.stringify(format.slice(0, 40))}`)
      }
      const spec = decodeSpecFromUrl(encoded, app.livegate.config.charts.maxSpecBytes)
      const input: ChartInput = { spec, format }
      if (request.query.theme !== undefined) input.theme = request.query.theme
      const scale = parseScale(request.query.scale)
      if (scale !== undefined) input.scale = scale
      const result = await app.livegate.charts.create(input, { signal: disconnectSignal(reply) })
      return await sendImage(request, reply, result, format)
    })
}
