/**
 * @module app
 * `buildApp(config)` wires the plugins into a Fastify instance. It never listens and has no side effects at import,
 * so tests can build several gateways in one process.
 */
import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import type { DestinationStream } from 'pino'
import type { Config, VertexConfig } from './config.js'
import type { LivegateContext } from './context.js'
import { loggerOptions } from './logger.js'
import problemJson from './http/problem-json.js'
import health from './http/health.js'
import liveRoutes from './live/route.js'
import { createCredentialCheck, credentialOf, queryOf } from './live/auth.js'
import { createToolInterceptorFactory } from './live/tool-interceptor.js'
import { createAdcTokenSource, type AccessTokenSource } from './live/vertex.js'
import { createToolRegistry } from './tools/registry.js'
import { renderAltairTool } from './tools/render-altair.js'
import { drawMapTool } from './tools/draw-map.js'
import { createChartStack } from './charts/chart-stack.js'
import chartsRoutes from './http/charts-routes.js'
import artifactsRoutes from './http/artifacts-routes.js'
import { createMapService } from './maps/service.js'
import mapsRoutes from './http/maps-routes.js'
import webClient from './http/static.js'
import upgradeGuard from './http/upgrade-guard.js'

export interface BuildOptions {
  /** Where logs go (tests capture them); default stdout. */
  logStream?: DestinationStream
}

export async function buildApp (config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const logger = options.logStream === undefined
    ? loggerOptions(config)
    : { ...loggerOptions(config), stream: options.logStream }
  // With LIVEGATE_TLS_CERT/KEY the one port speaks https and wss (the Python SDK dials wss:// only). The cast keeps
  // one FastifyInstance type: routes and hooks do not depend on the server class.
  const app = Fastify({
    logger,
    ...(config.tls === undefined ? {} : { https: { cert: config.tls.cert, key: config.tls.key } }),
    routerOptions: { ignoreDuplicateSlashes: true },
    trustProxy: config.trustProxy,
    bodyLimit: config.charts.maxSpecBytes + 64 * 1024,
    forceCloseConnections: true,
    return503OnClosing: true,
  }) as unknown as FastifyInstance
  const chartStack = await createChartStack(config)
  app.addHook('onClose', async () => { await chartStack.close() })
  const maps = createMapService({ config, store: chartStack.artifacts })
  app.addHook('onClose', async () => { await maps.close() })
  const context: LivegateContext = {
    config,
    sessions: new Set(),
    closing: false,
    upstreamBaseUrl: config.upstream.baseUrl ?? '',
    upstreamApiKey: config.upstream.apiKey,
    artifacts: chartStack.artifacts,
    charts: chartStack.charts,
    maps,
  }
  app.decorate('livegate', context)
  if (config.upstream.baseUrl === undefined) await useBuiltInSimulator(app, context)
  await app.register(problemJson)
  await app.register(upgradeGuard)
  await app.register(health)
  const registry = createToolRegistry([
    renderAltairTool(context.charts, config.tools.behavior),
    drawMapTool(context.maps, config.tools.behavior),
  ], config.tools.enabled)
  const vertex = await vertexUpstream(app, config)
  await app.register(liveRoutes, {
    ...(vertex === undefined ? {} : { vertex }),
    createInterceptor: createToolInterceptorFactory({
      registry,
      artifacts: context.artifacts,
      publicUrl: config.publicUrl,
      scheduling: config.tools.scheduling,
      timeoutMs: config.tools.timeoutMs,
      override: config.tools.override,
    }),
  })
  // Rendering costs CPU (and Maps quota), so it needs a client token when tokens are configured; artifacts stay public:
  // their URLs are handed out by tool runs and must work in a plain <img src>.
  await app.register(async function renderingApi (scope) {
    scope.addHook('onRequest', requireClientToken(config.clients.tokens))
    await scope.register(chartsRoutes, { prefix: '/v1' })
    await scope.register(mapsRoutes, { prefix: '/v1' })
  })
  await app.register(artifactsRoutes, { prefix: '/v1' })
  await app.register(webClient)
  return app
}

/** GOOGLE_GENAI_USE_VERTEXAI: fetch the first ADC token before listening (no credentials → boot fails, loudly). */
async function vertexUpstream (app: FastifyInstance, config: Config): Promise<{ config: VertexConfig, tokens: AccessTokenSource } | undefined> {
  const vertex = config.upstream.vertex
  if (vertex === undefined) return undefined
  const tokens = createAdcTokenSource(vertex, app.log)
  app.addHook('onClose', async () => { tokens.close() })
  try {
    await tokens.start()
  } catch (err) {
    await app.close() // stop the render workers already started
    throw err
  }
  app.log.info({ project: vertex.project, location: vertex.location }, 'Vertex AI upstream with Application Default Credentials')
  return { config: vertex, tokens }
}

/** An onRequest hook: the same credentials as the WebSocket routes, refused as 401 problem+json. */
function requireClientToken (tokens: readonly string[] | undefined) {
  const check = createCredentialCheck(tokens)
  return async function clientToken (request: FastifyRequest): Promise<void> {
    check(credentialOf(queryOf(request.raw.url ?? ''), request.headers))
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
