/**
 * @module http/upgrade-guard
 * A WebSocket upgrade on a path that is not a Live endpoint gets 404 problem+json before any handler runs. Without
 * this, a mistaken URL such as `/?server_tools=none/ws/google.ai…` (options in the query of an SDK `baseUrl`, which
 * the SDK then appends its path to) reached the web page's route and got the page with HTTP 200, which a WebSocket
 * client reports as a baffling "unexpected response". Live routes mark themselves with `config.liveEndpoint`.
 */
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { LivegateError } from '../errors.js'
import { sendProblem } from './problem-json.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route is a Live WebSocket endpoint: upgrades are its business. */
    liveEndpoint?: boolean
  }
}

function isUpgrade (request: FastifyRequest): boolean {
  const upgrade = request.headers.upgrade
  return typeof upgrade === 'string' && upgrade.toLowerCase() === 'websocket'
}

export default fp(async function upgradeGuard (app) {
  app.addHook('onRequest', async function refuseStrayUpgrade (request: FastifyRequest, reply: FastifyReply) {
    if (!isUpgrade(request) || request.routeOptions.config?.liveEndpoint === true) return
    const path = request.url.split('?')[0] ?? ''
    request.log.info({ path: path.slice(0, 200) }, 'WebSocket upgrade on a path that is not a Live endpoint')
    void reply.header('connection', 'close')
    await sendProblem(reply, new LivegateError('LG_ERR_HTTP_NOT_FOUND',
      'no Live endpoint at this path: dial <base>/ws/google.ai.generativelanguage.<version>.GenerativeService.BidiGenerateContent; ' +
      'per-connection options go in the query after it, or in a /o/<options> path prefix'))
    return reply
  })
  // The socket was handed over for an upgrade, so Node's HTTP server no longer ends it after the response: end it
  // here, or a client that never hangs up would hold it (and hold up shutdown).
  app.addHook('onResponse', async function endStrayUpgrade (request: FastifyRequest) {
    if (isUpgrade(request) && request.routeOptions.config?.liveEndpoint !== true) request.raw.socket?.end()
  })
}, { name: 'livegate-upgrade-guard', fastify: '5.x', dependencies: ['livegate-problem-json'] })
