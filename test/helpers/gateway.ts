/**
 * Start a real gateway on a loopback port in front of a real simulator, for tests. Everything is closed in teardown.
 */
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js'
import { createLogSink, type LogSink } from './log-sink.js'

export const SERVER_KEY = 'AIzaSy-test-server-key-0123456789abcdef'
export const CLIENT_TOKEN = 'lg-client-token-test-1'
export const LIVE_PATH = '/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent'

export interface Gateway {
  readonly app: FastifyInstance
  readonly sim: Simulator
  readonly logs: LogSink
  /** `http://127.0.0.1:PORT` (`https://` with LIVEGATE_TLS_CERT/KEY) */
  readonly httpUrl: string
  /** `ws://127.0.0.1:PORT` (`wss://` with TLS) + LIVE_PATH + `?key=<client token>` */
  readonly wsUrl: string
  close (): Promise<void>
}

export interface GatewayOptions {
  env?: Record<string, string>
  sim?: SimulatorOptions
}

interface Teardown { teardown (fn: () => Promise<void> | void): void }

export async function startGateway (t: Teardown, options: GatewayOptions = {}): Promise<Gateway> {
  const sim = await startSimulator({ chunkDelayMs: 0, apiKeys: [SERVER_KEY], ...options.sim })
  const logs = createLogSink()
  const config = loadConfig({
    GEMINI_API_KEY: SERVER_KEY,
    LIVEGATE_UPSTREAM_URL: sim.url,
    LIVEGATE_CLIENT_TOKENS: CLIENT_TOKEN,
    LIVEGATE_LOG_LEVEL: 'debug',
    LIVEGATE_STORE: 'memory',
    LIVEGATE_RENDER_THREADS: '1',
    // Behaviour tests, not speed tests: a loaded CI machine must not turn a render into a timeout.
    LIVEGATE_RENDER_TIMEOUT_MS: '30000',
    ...options.env,
  })
  const app = await buildApp(config, { logStream: logs.stream }).catch(async (err: unknown) => {
    await sim.close()
    throw err
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const secure = config.tls !== undefined
  const httpUrl = `${secure ? 'https' : 'http'}://127.0.0.1:${port}`
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await app.close()
    await sim.close()
  }
  t.teardown(close)
  return { app, sim, logs, httpUrl, wsUrl: `${secure ? 'wss' : 'ws'}://127.0.0.1:${port}${LIVE_PATH}?key=${CLIENT_TOKEN}`, close }
}
