/**
 * @module http/health
 * `/healthz` (liveness, for the container HEALTHCHECK) and `/readyz` (ready to take sessions), outside `/v1` and auth.
 */
import type { FastifyInstance } from 'fastify'

export default async function health (app: FastifyInstance): Promise<void> {
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }))
  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    if (app.livegate.closing) return reply.code(503).send({ status: 'closing' })
    return { status: 'ready', sessions: app.livegate.sessions.size }
  })
}
