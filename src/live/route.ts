/**
 * @module live/route
 * The WebSocket routes, the same paths as Google's (plus `/v1/live`), reachable with the SDK's `//ws/...` thanks to
 * `ignoreDuplicateSlashes`. A refused client still gets the upgrade and then a close code with a reason: browsers
 * cannot read an HTTP status, and some SDK versions hang forever on a refused upgrade.
 */
import { createHash } from 'node:crypto'
import websocket from '@fastify/websocket'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type WebSocket from 'ws'
import { LivegateError, isLivegateError } from '../errors.js'
import { credentialOf, createCredentialCheck, createOriginCheck, queryOf } from './auth.js'
import { startHeartbeat } from './heartbeat.js'
import { passThrough, type Interceptor } from './interceptor.js'
import { ANONYMOUS, type SessionTicket } from './limits.js'
import { CLOSE_INTERNAL, LIVE_ROUTES, truncateCloseReason, type ApiVersion } from './protocol.js'
import { LiveSession } from './session.js'
import { dialUpstream, upstreamHost } from './upstream.js'

export interface LiveRoutesOptions {
  /** Builds the interceptor of a new session (server tools); default: relay everything untouched. */
  createInterceptor?: (request: FastifyRequest, query: URLSearchParams) => Interceptor
}

function reject (socket: WebSocket, err: LivegateError): void {
  socket.close(err.wsCode, truncateCloseReason(`${err.code}: ${err.detail}`))
}

/**
 * The client a credential speaks for, as limits, metrics and logs name it: a short hash of its (already accepted)
 * token, or `anonymous` when no tokens are configured, so labels stay a bounded set.
 * TODO(auth): use the credential check's named identity instead.
 */
export function clientNameOf (credential: string | undefined, tokens: readonly string[] | undefined): string {
  if (tokens === undefined || credential === undefined) return ANONYMOUS
  return `token-${createHash('sha256').update(credential).digest('hex').slice(0, 8)}`
}

/**
 * While an admission waits on a shared counter (Redis), stop reading the client and keep anything already read,
 * so the session, once built, sees every frame in order.
 */
function holdFrames (socket: WebSocket): { replay (): void, drop (): void } {
  const held: Array<[Buffer, boolean]> = []
  const keep = (data: Buffer, isBinary: boolean): void => { held.push([data, isBinary]) }
  socket.on('message', keep)
  socket.pause()
  return {
    replay () {
      socket.off('message', keep)
      for (const [data, isBinary] of held) socket.emit('message', data, isBinary)
      socket.resume()
    },
    drop () {
      socket.off('message', keep)
      socket.resume()
    },
  }
}

export default async function liveRoutes (app: FastifyInstance, options: LiveRoutesOptions): Promise<void> {
  const context = app.livegate
  const { config } = context
  const checkCredential = createCredentialCheck(config.clients.tokens)
  const checkOrigin = createOriginCheck(config.clients.allowedOrigins)
  const { sessions, limits, metrics } = context
  if (config.clients.tokens === undefined) {
    app.log.warn('LIVEGATE_CLIENT_TOKENS is not set: any client can open sessions with the server key')
  }
  app.log.info({ upstream: upstreamHost(context.upstreamBaseUrl) }, 'live relay upstream')

  await app.register(websocket, {
    options: { maxPayload: config.clients.maxFrameBytes, perMessageDeflate: false, clientTracking: false },
    preClose (done) {
      context.closing = true
      for (const session of sessions) session.fail(new LivegateError('LG_ERR_RELAY_SHUTDOWN', 'gateway is shutting down; reconnect'))
      done()
    },
  })

  const heartbeat = startHeartbeat(() => sessions, config.clients)
  app.addHook('onClose', async () => { heartbeat.stop() })

  async function open (socket: WebSocket, request: FastifyRequest, version: ApiVersion): Promise<void> {
    if (context.closing) {
      reject(socket, new LivegateError('LG_ERR_RELAY_SHUTDOWN', 'gateway is shutting down; reconnect'))
      return
    }
    const query = queryOf(request.raw.url ?? '')
    let interceptor: Interceptor
    let clientName: string
    let ticket: SessionTicket
    let held: { replay (): void, drop (): void } | undefined
    try {
      checkOrigin(request.headers.origin)
      const credential = credentialOf(query, request.headers)
      checkCredential(credential)
      clientName = clientNameOf(credential, config.clients.tokens)
      interceptor = options.createInterceptor?.(request, query) ?? passThrough
      const admission = limits.admit(clientName, request.ip)
      if (admission instanceof Promise) held = holdFrames(socket)
      ticket = await admission
    } catch (err) {
      held?.drop()
      if (!isLivegateError(err)) throw err
      request.log.info({ code: err.code, origin: request.headers.origin }, 'client refused')
      reject(socket, err)
      return
    }
    if (socket.readyState !== socket.OPEN || context.closing) {
      ticket.release()
      held?.drop()
      if (context.closing) reject(socket, new LivegateError('LG_ERR_RELAY_SHUTDOWN', 'gateway is shutting down; reconnect'))
      return
    }
    const session = new LiveSession(socket, request.log, { clientAddress: request.ip, apiVersion: version, clientName }, {
      highWaterBytes: config.clients.highWaterBytes,
      models: config.upstream.models,
      onUsage (usage) {
        ticket.recordUsage(usage)
        metrics.usage(clientName, usage)
      },
      onUpstreamClose (code) { metrics.upstreamClosed(code) },
    }, interceptor)
    sessions.add(session)
    socket.once('close', () => {
      sessions.delete(session)
      ticket.release()
      metrics.sessionEnded(session)
    })
    metrics.sessionStarted(clientName)
    held?.replay()
    session.log.info('session started')
    const dial = dialUpstream({ baseUrl: context.upstreamBaseUrl, apiKey: context.upstreamApiKey, version }, {
      connectTimeoutMs: config.upstream.connectTimeoutMs,
      maxPayload: config.clients.maxFrameBytes,
    })
    session.setUpstreamDial(dial.socket)
    dial.opened.then((upstream) => session.attachUpstream(upstream), (err: unknown) => session.upstreamFailed(err))
  }

  // An SDK whose baseUrl ends in `/` dials `//ws/...`; a host app that does not merge duplicate slashes gets the
  // doubled path as a route of its own.
  const merged = (app.initialConfig as { routerOptions?: { ignoreDuplicateSlashes?: boolean } }).routerOptions?.ignoreDuplicateSlashes === true
  for (const route of LIVE_ROUTES) {
    for (const path of merged ? [route.path] : [route.path, `/${route.path}`]) {
      app.get(path, { websocket: true }, (socket, request) => {
        open(socket, request, route.version).catch((err: unknown) => {
          request.log.error({ err }, 'session could not start')
          socket.close(CLOSE_INTERNAL)
        })
      })
    }
  }
}
