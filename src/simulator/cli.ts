/**
 * @module simulator/cli
 * `npm run simulator -- --port N [--host H] [--connection-age-ms N] [--go-away-notice-ms N] [--chunk-delay-ms N]
 * [--pong-delay-ms N] [--api-key K]… [--echo]`: the simulator as a process, for the benchmark and for pointing an
 * SDK at by hand.
 */
import { parseArgs } from 'node:util'
import pino from 'pino'
import { startSimulator } from './server.js'

const USAGE = 'usage: npm run simulator -- --port N [--host H] [--connection-age-ms N] [--go-away-notice-ms N] ' +
  '[--chunk-delay-ms N] [--pong-delay-ms N] [--api-key K]... [--echo]'

function integer (name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${value}"`)
  return n
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'connection-age-ms': { type: 'string' },
      'go-away-notice-ms': { type: 'string' },
      'chunk-delay-ms': { type: 'string' },
      'pong-delay-ms': { type: 'string' },
      'api-key': { type: 'string', multiple: true },
      echo: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help === true) {
    console.log(USAGE)
    return
  }
  const log = pino({ name: 'gemini-simulator' })
  const connectionAgeMs = integer('connection-age-ms', values['connection-age-ms'])
  const goAwayNoticeMs = integer('go-away-notice-ms', values['go-away-notice-ms'])
  const chunkDelayMs = integer('chunk-delay-ms', values['chunk-delay-ms'])
  const pongDelayMs = integer('pong-delay-ms', values['pong-delay-ms'])
  const sim = await startSimulator({
    host: values.host ?? '127.0.0.1',
    port: integer('port', values.port) ?? 0,
    echo: values.echo === true,
    ...(connectionAgeMs === undefined ? {} : { connectionAgeMs }),
    ...(goAwayNoticeMs === undefined ? {} : { goAwayNoticeMs }),
    ...(chunkDelayMs === undefined ? {} : { chunkDelayMs }),
    ...(pongDelayMs === undefined ? {} : { pongDelayMs }),
    ...(values['api-key'] === undefined ? {} : { apiKeys: values['api-key'] }),
    logger: log,
  })
  log.info({ url: sim.url, echo: values.echo === true, keys: values['api-key'] === undefined ? 'any' : 'listed' },
    `Gemini Live simulator listening on ${sim.url} (SDK: httpOptions.baseUrl = "${sim.url}")`)
  const stop = (): void => {
    log.info('simulator: shutting down')
    sim.close().then(() => process.exit(0), () => process.exit(1))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  console.error(USAGE)
  process.exit(2)
})
