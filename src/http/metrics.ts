/**
 * @module http/metrics
 * `GET /metrics`: the app's registry (src/metrics.ts) in the Prometheus text format. Outside `/v1`, client auth,
 * rate limits and under-pressure, so a scrape still answers when the gateway is refusing work. When
 * LIVEGATE_METRICS_TOKEN is set the scraper must send it as `Authorization: Bearer …` (Prometheus `authorization`
 * in its scrape config); otherwise the route is open, as exporters usually are.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { LivegateError } from '../errors.js'

function digest (value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/** Throws LG_ERR_AUTH_METRICS_TOKEN unless the request carries the token; compared in constant time over digests. */
function createMetricsAuth (token: string | undefined): (request: FastifyRequest) => void {
  if (token === undefined) return function open () {}
  const expected = digest(token)
  return function metricsAuth (request) {
    const header = request.headers.authorization
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
    if (match?.[1] === undefined) {
      throw new LivegateError('LG_ERR_AUTH_METRICS_TOKEN', 'send the metrics token as Authorization: Bearer <LIVEGATE_METRICS_TOKEN>')
    }
    if (!timingSafeEqual(digest(match[1]), expected)) throw new LivegateError('LG_ERR_AUTH_METRICS_TOKEN', 'metrics token not accepted')
  }
}

export default async function metricsRoute (app: FastifyInstance): Promise<void> {
  const authorize = createMetricsAuth(app.livegate.config.metrics.token)
  app.get('/metrics', { logLevel: 'warn' }, async function metrics (request, reply) {
    try {
      authorize(request)
    } catch (err) {
      void reply.header('www-authenticate', 'Bearer realm="livegate metrics"')
      throw err
    }
    const { registry } = app.livegate.metrics
    return reply.type(registry.contentType).send(await registry.metrics())
  })
}
