/**
 * @module app
 * `buildApp(config)` wires the plugins into a Fastify instance. It never listens and has no side effects at import,
 * so tests can build several gateways in one process.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import type { DestinationStream } from 'pino'
import type { Config } from './config.js'
import type { LivegateContext } from './context.js'
import { loggerOptions } from './logger.js'
import problemJson from './http/problem-json.js'
import health from './http/health.js'

export interface BuildOptions {
  /** Where logs go (tests capture them); default stdout. */
  logStream?: DestinationStream
}

export async function buildApp (config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const logger = options.logStream === undefined
    ? loggerOptions(config)
    : { ...loggerOptions(config), stream: options.logStream }
  const app = Fastify({
    logger,
    routerOptions: { ignoreDuplicateSlashes: true },
    trustProxy: config.trustProxy,
    bodyLimit: config.charts.maxSpecBytes + 64 * 1024,
    disableRequestLogging: false,
    forceCloseConnections: true,
    return503OnClosing: true,
  })
  const context: LivegateContext = {
    config,
    sessions: new Set(),
    closing: false,
    upstreamBaseUrl: config.upstream.baseUrl ?? '',
  }
  app.decorate('livegate', context)
  await app.register(problemJson)
  await app.register(health)
  return app
}
