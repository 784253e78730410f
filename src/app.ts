/**
 * @module app
 * `buildApp(config)`: the standalone server, which is the livegate plugin (plugin.ts) on a bare Fastify instance.
 * It never listens and has no side effects at import, so tests can build several gateways in one process.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { DestinationStream } from 'pino'
import type { Config } from './config.js'
import { LivegateError } from './errors.js'
import { loggerOptions } from './logger.js'
import livegate, { type LivegateOptions } from './plugin.js'

export interface BuildOptions {
  /** Where logs go (tests capture them); default stdout. */
  logStream?: DestinationStream
}

/**
 * On its own instance livegate owns the root, so it is registered without encapsulation: `app.livegate` (sessions,
 * store, renderers) is then visible on the instance `buildApp` returns.
 */
const livegateAtRoot = fp<LivegateOptions>(async function livegateAtRoot (app, options) {
  // A new function: fp marks the function it is given, and the exported plugin must stay encapsulated.
  await livegate(app, options)
}, { name: 'livegate', fastify: '5.x' })

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
    forceCloseConnections: true,
    return503OnClosing: true,
    pluginTimeout: config.startupTimeoutMs,
  }) as unknown as FastifyInstance
  try {
    await app.register(livegateAtRoot, { config })
  } catch (err) {
    // avvio's own message blames a forgotten `done`; the operator's lever is the timeout.
    if ((err as { code?: unknown }).code === 'AVV_ERR_PLUGIN_EXEC_TIMEOUT') {
      throw new LivegateError('LG_ERR_CONFIG_STARTUP_TIMEOUT', `livegate did not start within ${config.startupTimeoutMs} ms (LIVEGATE_STARTUP_TIMEOUT_MS)`, undefined, { cause: err })
    }
    throw err
  }
  return app
}
