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
 * await app.register(livegate, { prefix: '/gemini', env: { LIVEGATE_CLIENT_TOKENS: 'secret' } })
 */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { loadConfig, type Config } from './config.js'
import type { LivegateContext } from './context.js'
import problemJson from './http/problem-json.js'
import health from './http/health.js'
import liveRoutes from './live/route.js'
import { createCredentialCheck, credentialOf, queryOf } from './live/auth.js'
import { createToolInterceptorFactory } from './live/tool-interceptor.js'
import { createToolRegistry } from './tools/registry.js'
import { RENDER_ALTAIR_DECLARATION, renderAltairTool } from './tools/render-altair.js'
import { DRAW_MAP_DECLARATION, drawMapTool } from './tools/draw-map.js'
import { loadToolModules } from './tools/tool-modules.js'
import { createChartStack } from './charts/chart-stack.js'
import chartsRoutes from './http/charts-routes.js'
import artifactsRoutes from './http/artifacts-routes.js'
import { createMapService } from './maps/service.js'
import mapsRoutes from './http/maps-routes.js'
import webClient from './http/static.js'

const BUILT_IN_TOOL_NAMES = [RENDER_ALTAIR_DECLARATION.name, DRAW_MAP_DECLARATION.name]

export interface LivegateOptions {
  /** A complete configuration (from `loadConfig`); when given, the environment is not read. */
  config?: Config
  /**
   * Variables that override the process environment, by the names of the configuration table (docs/config.md),
   * e.g. `{ LIVEGATE_CLIENT_TOKENS: 'a,b' }`. Ignored when `config` is given.
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
    publicBaseUrl: (request) => config.publicUrl ?? `${request.protocol}://${request.host}${mount}`,
  }
  app.decorate('livegate', context)
  if (config.upstream.baseUrl === undefined) await useBuiltInSimulator(app, context)
  await app.register(problemJson)
  await app.register(health)
  const builtIn = [
    renderAltairTool(context.charts, config.tools.behavior),
    drawMapTool(context.maps, config.tools.behavior),
  ]
  const registry = createToolRegistry([...builtIn, ...operatorTools], config.tools.enabled)
  await app.register(liveRoutes, {
    createInterceptor: createToolInterceptorFactory({
      registry,
      artifacts: context.artifacts,
      publicBaseUrl: context.publicBaseUrl,
      scheduling: config.tools.scheduling,
      timeoutMs: config.tools.timeoutMs,
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
