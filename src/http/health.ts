/**
 * @module http/health
 * `/healthz` (liveness, for the container HEALTHCHECK) and `/readyz` (ready to take sessions), outside `/v1` and auth.
 *
 * `/readyz` answers 503 only while the gateway drains or shuts down (from the first moment of SIGTERM, live/drain.ts).
 * A shared artifact store (Redis) that cannot be reached is reported in the body and logged, but the replica stays ready: sessions relay without a store, and one Redis outage
 * must not take every replica out of the load balancer at once. Tool runs meanwhile answer the model with
 * LG_ERR_ARTIFACT_STORE_UNAVAILABLE.
 *
 * Anonymous callers learn only `ok` / `unavailable` per dependency: the store's address and its last error go to the
 * log (and to /metrics behind its token), never into this body.
 */
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'

/** Response schemas (openapi.yaml Health and Ready): Fastify serialises with them, so nothing else leaks out. */
const HEALTH = { response: { 200: Type.Object({ status: Type.Literal('ok') }) } }
const READY_BODY = Type.Object({
  status: Type.String(),
  sessions: Type.Optional(Type.Integer({ minimum: 0 })),
  store: Type.Optional(Type.Object({ status: Type.String(), reason: Type.Optional(Type.String()) })),
})
const READY = { response: { 200: READY_BODY, 503: READY_BODY } }

export default async function health (app: FastifyInstance): Promise<void> {
  app.get('/healthz', { logLevel: 'warn', schema: HEALTH }, async () => ({ status: 'ok' }))
  let storeWasOk = true
  app.get('/readyz', { logLevel: 'warn', schema: READY }, async (_request, reply) => {
    if (app.livegate.closing) return reply.code(503).send({ status: 'closing' })
    const store = app.livegate.artifacts.health?.() ?? { ok: true }
    if (store.ok !== storeWasOk) {
      storeWasOk = store.ok
      if (store.ok) app.log.info('artifact store reachable again')
      else app.log.warn({ reason: store.reason }, 'artifact store unreachable')
    }
    return {
      status: 'ready',
      sessions: app.livegate.sessions.size,
      store: { status: store.ok ? 'ok' : 'unavailable' },
    }
  })
}
