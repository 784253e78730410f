/**
 * @module live/route
 * The WebSocket routes, the same paths as Google's (plus `/v1/live`), reachable with the SDK's `//ws/...` thanks to
 * `ignoreDuplicateSlashes`. A refused client still gets the upgrade and then a close code with a reason: browsers
 * cannot read an HTTP status, and some SDK versions hang forever on a refused upgrade.
 */
import websocket from '@fastify/websocket'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type WebSocket from 'ws'
import { LivegateError, isLivegateError } from '../errors.js'
import { truncateForLog } from '../logger.js'
import { credentialOf, queryOf } from '../auth/credentials.js'
import type { ClientIdentity } from '../auth/identity.js'
import { checkLiveMethod, createOriginCheck } from './auth.js'
import { connectionOptions } from './connection-options.js'
import { createEphemeralGate, type SetupGate } from './constraints.js'
import { startHeartbeat } from './heartbeat.js'
import { passThrough, type Interceptor } from './interceptor.js'
import type { SessionTicket } from './limits.js'
import { CLOSE_INTERNAL, LIVE_ROUTES, truncateCloseReason, type ApiVersion, type LiveMethod } from './protocol.js'
import { LiveSession } from './session.js'
import { dialUpstream, upstreamHost, type Dial, type UpstreamTarget } from './upstream.js'
import { VERTEX_LIVE_PATH, VertexSetup, type AccessTokenSource } from './vertex.js'
import type { VertexConfig } from '../config.js'

export interface LiveRoutesOptions {
  /**
   * Builds the interceptor of a new session (server tools) from its connection options (query and `/o/` prefix);
   * default: relay everything untouched.
   */
  createInterceptor?: (request: FastifyRequest, options: URLSearchParams) => Interceptor
  /** Vertex AI upstream: its project/location and the ADC access tokens (live/vertex.ts). */
  vertex?: { readonly config: VertexConfig, readonly tokens: AccessTokenSource }
}

/**
 * @fastify/websocket leaves the upgrade's ServerResponse on the TCP socket (whose 'finish' listener holds the Fastify
 * reply and request) and an 'error' listener on the WebSocket that closes over both, for as long as the socket lives:
 * several KB per idle session. The session brings its own error listener, so both are let go once it exists.
 */
function releaseUpgrade (socket: WebSocket, request: FastifyRequest): void {
  for (const listener of socket.listeners('error')) socket.off('error', listener as (err: Error) => void)
  const tcp = request.raw.socket as Socket & { _httpMessage?: ServerResponse | null }
  tcp._httpMessage?.detachSocket(tcp)
}

function reject (socket: WebSocket, err: LivegateError): void {
  socket.close(err.wsCode, truncateCloseReason(`${err.code}: ${err.detail}`))
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
  const checkOrigin = createOriginCheck(config.clients.allowedOrigins)
  const { sessions, auth, limits, metrics } = context
  app.log.info({ upstream: upstreamHost(context.upstreamBaseUrl), api: options.vertex === undefined ? 'gemini' : 'vertex' }, 'live relay upstream')

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

  /**
   * Where and how to dial for a client on `version`. Vertex AI: its path and the current token (none at hand, e.g.
   * on a resume after refreshes kept failing: an empty one, which Vertex refuses like any bad credential).
   */
  function upstreamTarget (version: ApiVersion): UpstreamTarget {
    const base = { baseUrl: context.upstreamBaseUrl, apiKey: context.upstreamApiKey, version }
    if (options.vertex === undefined) return base
    return { ...base, apiKey: undefined, path: VERTEX_LIVE_PATH, bearer: options.vertex.tokens.current() ?? '' }
  }

  async function open (socket: WebSocket, request: FastifyRequest, version: ApiVersion, method: LiveMethod): Promise<void> {
    if (context.closing) {
      reject(socket, new LivegateError('LG_ERR_RELAY_SHUTDOWN', 'gateway is shutting down; reconnect'))
      return
    }
    const query = queryOf(request.raw.url ?? '')
    let interceptor: Interceptor
    let identity: ClientIdentity
    let ticket: SessionTicket
    let held: { replay (): void, drop (): void } | undefined
    try {
      checkOrigin(request.headers.origin)
      identity = auth.identify({ ip: request.ip, ips: request.ips, credential: credentialOf(query, request.headers) })
      checkLiveMethod(identity, method)
      request.identity = identity
      const prefix = (request.params as { options?: string } | undefined)?.options
      interceptor = options.createInterceptor?.(request, connectionOptions(prefix, query)) ?? passThrough
      if (options.vertex !== undefined) interceptor = new VertexSetup(interceptor, options.vertex.config)
      const admission = limits.admit(identity.name, request.ip)
      if (admission instanceof Promise) held = holdFrames(socket)
      ticket = await admission
    } catch (err) {
      held?.drop()
      if (!isLivegateError(err)) throw err
      request.log.info({ code: err.code, origin: truncateForLog(request.headers.origin) }, 'client refused')
      reject(socket, err)
      return
    }
    if (socket.readyState !== socket.OPEN || context.closing) {
      ticket.release()
      held?.drop()
      if (context.closing) reject(socket, new LivegateError('LG_ERR_RELAY_SHUTDOWN', 'gateway is shutting down; reconnect'))
      return
    }
    const clientName = identity.name
    // An ephemeral token's constraints rewrite the setup, and its use is counted before the session reaches upstream.
    const gate: SetupGate | undefined = identity.kind === 'ephemeral' ? createEphemeralGate(identity.grant, auth.uses) : undefined
    releaseUpgrade(socket, request)
    const session = new LiveSession(socket, request.log, { clientAddress: request.ip, identity, apiVersion: version }, {
      highWaterBytes: config.clients.highWaterBytes,
      maxSetupBytes: config.clients.maxSetupBytes,
      models: config.upstream.models,
      resumption: config.upstream.resumption,
      rewriteSetup: gate?.rewriteSetup,
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
    if (options.vertex !== undefined && options.vertex.tokens.current() === undefined) {
      session.upstreamFailed(new LivegateError('LG_ERR_UPSTREAM_AUTH', 'no valid Vertex AI access token at hand (Application Default Credentials); see the server log'))
      return
    }
    // The session dials again whenever it resumes on a new upstream connection: the target is built per dial, so a
    // resumed Vertex connection carries the token current then.
    const dialOptions = { connectTimeoutMs: config.upstream.connectTimeoutMs, maxPayload: config.clients.maxFrameBytes }
    const dial = function dial (): Dial { return dialUpstream(upstreamTarget(version), dialOptions) }
    if (gate === undefined) session.connect(dial)
    else gate.connect(session, dial)
  }

  // An SDK whose baseUrl ends in `/` dials `//ws/...`; a host app that does not merge duplicate slashes gets the
  // doubled path as a route of its own. Each Live path is also served under `/o/<options>`, the prefix an SDK
  // baseUrl can carry (live/connection-options.ts).
  const merged = (app.initialConfig as { routerOptions?: { ignoreDuplicateSlashes?: boolean } }).routerOptions?.ignoreDuplicateSlashes === true
  for (const route of LIVE_ROUTES) {
    const paths = merged ? [route.path] : [route.path, `/${route.path}`]
    for (const path of [...paths, ...paths.map((p) => `/o/:options${p}`)]) {
      app.get(path, { websocket: true, config: { liveEndpoint: true } }, (socket, request) => {
        open(socket, request, route.version, route.method).catch((err: unknown) => {
          request.log.error({ err }, 'session could not start')
          socket.close(CLOSE_INTERNAL)
        })
      })
    }
  }
}
