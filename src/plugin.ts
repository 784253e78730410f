/**
 * @module plugin
 * livegate as a Fastify plugin, the package's main export. Registered with a `prefix` inside a host app, it serves
 * every livegate route under it, the Live WebSocket paths included, so an SDK `baseUrl` of `http://host/prefix`
 * works. The standalone server (`buildApp`) is this plugin on a bare Fastify instance.
 *
 * @example
 * import Fastify from 'fastify'
 * import livegate from 'livegate'
 * const app = Fastify({ logger: true })
 * await app.register(livegate, { prefix: '/gemini', env: { LIVEGATE_CLIENT_TOKENS: 'web:a-secret-of-16-chars-or-more' } })
 */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import type { Redis } from 'ioredis'
import { loadConfig, type Config, type VertexConfig } from './config.js'
import type { LivegateContext } from './context.js'
import problemJson from './http/problem-json.js'
import upgradeGuard from './http/upgrade-guard.js'
import health from './http/health.js'
import liveRoutes from './live/route.js'
import type { LiveSession } from './live/session.js'
import { createSessionLimits, limitKeyOf } from './live/limits.js'
import { connectLimitRedis, memoryCounters, redisCounters } from './live/limit-counters.js'
import { createMetrics } from './metrics.js'
import metricsRoute from './http/metrics.js'
import { credentialOf, queryOf } from './auth/credentials.js'
import { createAuthenticator, type Authenticator } from './auth/authenticator.js'
import authTokensRoutes from './http/auth-tokens.js'
import { ANONYMOUS_NAME } from './auth/identity.js'
import { LivegateError } from './errors.js'
import { createToolInterceptorFactory } from './live/tool-interceptor.js'
import { createAdcTokenSource, type AccessTokenSource } from './live/vertex.js'
import { createToolRegistry } from './tools/registry.js'
import { RENDER_ALTAIR_DECLARATION, renderAltairTool } from './tools/render-altair.js'
import { DRAW_MAP_DECLARATION, drawMapTool } from './tools/draw-map.js'
import { loadToolModules } from './tools/tool-modules.js'
import { createChartStack } from './charts/chart-stack.js'
import chartsRoutes from './http/charts-routes.js'
import artifactsRoutes from './http/artifacts-routes.js'
import { createMapService } from './maps/service.js'
import { mapPoolOptions } from './maps/pool.js'
import { createRenderHost } from './workers/render-host.js'
import mapsRoutes from './http/maps-routes.js'
import webClient from './http/static.js'
import { typeboxValidator } from './http/route-schema.js'

const BUILT_IN_TOOL_NAMES = [RENDER_ALTAIR_DECLARATION.name, DRAW_MAP_DECLARATION.name]

export interface LivegateOptions {
  /** A complete configuration (from `loadConfig`); when given, the environment is not read. */
  config?: Config
  /**
   * Variables that override the process environment, by the names of the configuration table (docs/config.md),
   * e.g. `{ LIVEGATE_CLIENT_TOKENS: 'web:<secret>,batch:<secret>' }`. Ignored when `config` is given.
   */
  env?: Readonly<Record<string, string | undefined>>
  /** Fastify's own register option: every route, WebSocket paths included, is served under it. */
  prefix?: string
}

/** The configuration a plugin registration runs with: `options.config`, else the environment with `options.env` over it. */
export function configOf (options: LivegateOptions): Config {
  return options.config ?? loadConfig(options.env === undefined ? undefined : { ...process.env, ...options.env })
}

export default async function livegate (app: FastifyInstance, options: LivegateOptions = {}): Promise<void> {
  const config = configOf(options)
  // Set per route rather than on the instance, so a host app's own bodyLimit stays its own.
  const bodyLimit = config.charts.maxSpecBytes + 64 * 1024
  app.addHook('onRoute', (route) => { route.bodyLimit ??= bodyLimit })
  const mount = app.prefix
  // Operator tools first: a module that does not load stops the start before any worker or socket exists.
  const operatorTools = await loadToolModules(config.tools.modules, BUILT_IN_TOOL_NAMES, config.tools.behavior)
  // Then Vertex credentials, for the same reason: a gateway that cannot authenticate upstream fails before it starts.
  const vertex = await vertexUpstream(app, config)
  // Renders and map draws run in a process of their own below the relay's priority, started on first use.
  const renderHost = createRenderHost({
    priority: config.charts.priority,
    log: app.log,
    charts: config.charts,
    maps: mapPoolOptions(config.charts),
  })
  const chartStack = await createChartStack(config, renderHost.charts)
  const maps = createMapService({ config, store: chartStack.artifacts, pool: renderHost.maps })
  app.addHook('onClose', async () => {
    await Promise.all([chartStack.close(), maps.close()])
    await renderHost.close()
  })
  const auth = await createAuthenticator(config)
  app.addHook('onClose', async () => { await auth.close() })
  app.decorateRequest('identity', null)
  logAuthMode(app, auth, config)
  const sharedLimits = config.limits.sessionsPerMinute !== undefined || config.limits.rendersPerMinute !== undefined || config.limits.dailyTokens !== undefined
  const limitRedis = config.store.kind === 'redis' && sharedLimits ? await connectLimitRedis(config.store.location) : undefined
  if (limitRedis !== undefined) app.addHook('onClose', async () => { await closeRedis(limitRedis) })
  const sessions = new Set<LiveSession>()
  const metrics = createMetrics({
    sessions: () => sessions,
    renderQueue: () => chartStack.charts.renderQueue(),
    artifactCache: () => chartStack.artifacts.cacheStats?.(),
  })
  const limits = createSessionLimits({
    limits: config.limits,
    counters: limitRedis === undefined ? memoryCounters() : redisCounters(limitRedis),
    underPressure: () => context.underPressure(),
    onRefusal: (limit) => { metrics.refused(limit) },
    log: app.log,
  })
  const context: LivegateContext = {
    config,
    sessions,
    limits,
    metrics,
    underPressure: () => false,
    closing: false,
    upstreamBaseUrl: config.upstream.baseUrl ?? '',
    upstreamApiKey: config.upstream.apiKey,
    artifacts: chartStack.artifacts,
    charts: chartStack.charts,
    maps,
    auth,
    publicBaseUrl: (request) => config.publicUrl ?? `${request.protocol}://${request.host}${mount}`,
  }
  app.decorate('livegate', context)
  if (config.upstream.baseUrl === undefined) await useBuiltInSimulator(app, context)
  await app.register(problemJson)
  await app.register(upgradeGuard)
  await app.register(health)
  await app.register(metricsRoute)
  const builtIn = [
    renderAltairTool(context.charts, config.tools.behavior),
    drawMapTool(context.maps, config.tools.behavior),
  ]
  const registry = createToolRegistry([...builtIn, ...operatorTools], config.tools.enabled)
  await app.register(liveRoutes, {
    ...(vertex === undefined ? {} : { vertex }),
    createInterceptor: createToolInterceptorFactory({
      registry,
      artifacts: context.artifacts,
      publicBaseUrl: context.publicBaseUrl,
      scheduling: config.tools.scheduling,
      timeoutMs: config.tools.timeoutMs,
      override: config.tools.override,
      idlessCalls: config.upstream.vertex !== undefined,
      onRun: (tool, status, seconds) => { metrics.toolRun(tool, status, seconds) },
    }),
  })
  // Under event-loop or heap pressure the REST routes answer 503 (the server's state, not the client's doing, so not
  // 429) and new sessions get 1013; health, metrics and open sessions are untouched.
  await app.register(async function restApi (rest) {
    rest.setValidatorCompiler(typeboxValidator())
    await rest.register(underPressure, {
      maxEventLoopDelay: config.limits.maxEventLoopDelayMs,
      maxHeapUsedBytes: config.limits.maxHeapUsedBytes ?? 0,
      async pressureHandler () {
        metrics.refused('pressure')
        throw new LivegateError('LG_ERR_LIMIT_PRESSURE', 'the gateway is overloaded; retry shortly or on another replica', { limitName: 'pressure', retryAfterSeconds: PRESSURE_RETRY_S })
      },
    })
    context.underPressure = () => rest.isUnderPressure()
    // Rendering costs CPU (and Maps quota) and minting hands out sessions, so both need the client's identity (a client
    // token when tokens are configured); artifacts stay public: their URLs are handed out by tool runs and must work in
    // a plain <img src>.
    await rest.register(async function authenticatedApi (scope) {
      scope.addHook('onRequest', requireClient(auth))
      await scope.register(async function renderingApi (rendering) {
        if (config.limits.rendersPerMinute !== undefined) await rendering.register(rateLimit, renderRateLimit(config, limitRedis, () => { metrics.refused('render_rate') }))
        await rendering.register(chartsRoutes, { prefix: '/v1' })
        await rendering.register(mapsRoutes, { prefix: '/v1' })
      })
      await scope.register(authTokensRoutes)
    })
    await rest.register(artifactsRoutes, { prefix: '/v1' })
  })
  await app.register(webClient)
}

/** GOOGLE_GENAI_USE_VERTEXAI: fetch the first ADC token before serving (no credentials → start-up fails, loudly). */
async function vertexUpstream (app: FastifyInstance, config: Config): Promise<{ config: VertexConfig, tokens: AccessTokenSource } | undefined> {
  const vertex = config.upstream.vertex
  if (vertex === undefined) return undefined
  const tokens = createAdcTokenSource(vertex, app.log)
  try {
    await tokens.start()
  } catch (err) {
    tokens.close()
    throw err
  }
  app.addHook('onClose', async () => { tokens.close() })
  app.log.info({ project: vertex.project, location: vertex.location }, 'Vertex AI upstream with Application Default Credentials')
  return { config: vertex, tokens }
}

const PRESSURE_RETRY_S = 10

/**
 * REST renders per client per minute (@fastify/rate-limit): counted in Redis when the store is Redis, so replicas
 * share one count; a Redis outage lets requests through (`skipOnError`) rather than failing them.
 */
function renderRateLimit (config: Config, redis: Redis | undefined, onRefusal: () => void) {
  return {
    global: true,
    max: config.limits.rendersPerMinute ?? 0,
    timeWindow: 60_000,
    ...(redis === undefined ? {} : { redis, nameSpace: 'livegate:limit:renders:' }),
    skipOnError: true,
    // Runs after requireClient (a route hook, after the scope's), so the identity is known.
    keyGenerator (request: FastifyRequest): string {
      return limitKeyOf(request.identity?.name ?? ANONYMOUS_NAME, request.ip)
    },
    errorResponseBuilder (_request: FastifyRequest, context: { max: number, ttl: number }): LivegateError {
      onRefusal()
      const retryAfterSeconds = Math.max(1, Math.ceil(context.ttl / 1000))
      return new LivegateError('LG_ERR_LIMIT_RENDER_RATE', `at most ${context.max} render requests per minute for this client; retry in ${retryAfterSeconds} s`, { limitName: 'render_rate', retryAfterSeconds })
    },
  }
}

async function closeRedis (redis: Redis): Promise<void> {
  if (redis.status === 'ready') await redis.quit().catch(() => {})
  redis.disconnect()
}

/**
 * An onRequest hook: the same identities as the WebSocket routes, refused as 401 problem+json; sets
 * `request.identity`. Ephemeral tokens are for Live sessions only, as Google's are.
 */
function requireClient (auth: Authenticator) {
  return async function identifyClient (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const identity = auth.identify({ ip: request.ip, ips: request.ips, credential: credentialOf(queryOf(request.raw.url ?? ''), request.headers) })
    if (identity.kind === 'ephemeral') {
      throw new LivegateError('LG_ERR_AUTH_TOKEN_CONSTRAINT', 'an ephemeral token opens Live sessions only: use a client token here')
    }
    request.identity = identity
    // The request's own log lines (its completion included) name the client, never the secret.
    request.log = request.log.child({ client: identity.name })
    reply.log = request.log
  }
}

/** One start-up line says who may connect, loud (warn) when that is more than the operator may expect. */
function logAuthMode (app: FastifyInstance, auth: Authenticator, config: Config): void {
  switch (auth.mode) {
    case 'tokens':
      app.log.info({ authMode: auth.mode, clients: auth.clientNames }, 'client authentication: named client tokens')
      break
    case 'loopback':
      app.log.warn({ authMode: auth.mode },
        'a Gemini key and no LIVEGATE_CLIENT_TOKENS: serving LOCAL (loopback) clients only; set LIVEGATE_CLIENT_TOKENS, or LIVEGATE_ALLOW_ANONYMOUS=true for an open relay')
      break
    case 'anonymous':
      app.log.warn({ authMode: auth.mode }, 'LIVEGATE_ALLOW_ANONYMOUS=true: ANY client that reaches this port opens sessions with the server key')
      break
    case 'open':
      app.log.info({ authMode: auth.mode }, 'no Gemini key: any client may connect (the upstream spends nothing)')
      break
  }
  if (config.clients.tokenSecret === undefined) {
    app.log.warn(auth.mintRefusal !== undefined
      ? 'LIVEGATE_TOKEN_SECRET is not set: minting ephemeral tokens is refused (replicas sharing the Redis store need one secret)'
      : 'LIVEGATE_TOKEN_SECRET is not set: ephemeral tokens are signed with a per-process key (they die with this process; no other replica accepts them)')
  }
}

/**
 * No key and no upstream URL: run the Gemini simulator in-process on a loopback port and relay to it, so the gateway
 * (and its demo page) works offline. It gets a per-process key, so the relay path is exercised exactly as with Google.
 */
async function useBuiltInSimulator (app: FastifyInstance, context: LivegateContext): Promise<void> {
  const { startSimulator } = await import('./simulator/index.js')
  const apiKey = randomBytes(18).toString('base64url')
  const simulator = await startSimulator({ host: '127.0.0.1', port: 0, apiKeys: [apiKey] })
  context.upstreamBaseUrl = simulator.url
  context.upstreamApiKey = apiKey
  app.log.warn({ simulator: simulator.url },
    'no GEMINI_API_KEY or GOOGLE_API_KEY set: using the BUILT-IN GEMINI SIMULATOR (scripted answers, not Gemini)')
  app.addHook('onClose', async () => { await simulator.close() })
}
