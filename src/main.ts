/**
 * @module main
 * Process entry: read config, build the app, listen, and shut down gracefully on SIGINT/SIGTERM (node as PID 1 in a
 * container ignores SIGTERM unless the program handles it). SIGTERM (an orchestrator's stop) drains first: readiness
 * 503, open sessions get LIVEGATE_DRAIN_MS, then 1012 (see live/drain.ts); SIGINT (a developer's Ctrl-C) closes now.
 */
// First: V8 settings that must hold before the gateway allocates (module comment of heap-tuning).
import { missingNodeFlags } from './heap-tuning.js'
import { loadConfig } from './config.js'
import { buildApp } from './app.js'
import { isLivegateError } from './errors.js'
import { drain } from './live/drain.js'

async function main (): Promise<void> {
  let config
  try {
    config = loadConfig()
  } catch (err) {
    process.stderr.write(`${isLivegateError(err) ? `${err.code}: ${err.message}` : String(err)}\n`)
    process.exit(78) // EX_CONFIG
  }
  let app
  try {
    app = await buildApp(config)
  } catch (err) {
    // A tool module that does not load, a store that cannot open: a clear line and EX_CONFIG, not a stack trace.
    if (!isLivegateError(err)) throw err
    process.stderr.write(`${err.code}: ${err.message}\n`)
    process.exit(78)
  }
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    const drainMs = signal === 'SIGTERM' ? config.drainMs : 0
    app.log.info({ signal, drainMs, sessions: app.livegate.sessions.size }, 'shutting down')
    const force = setTimeout(() => process.exit(1), drainMs + 15_000)
    force.unref()
    drain(app.livegate, drainMs).then(async () => { await app.close() }).then(() => process.exit(0), (err: unknown) => {
      app.log.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
  await app.listen({ host: config.host, port: config.port })
  const missing = missingNodeFlags()
  if (missing.length > 0) {
    app.log.warn({ missingNodeFlags: missing }, 'node was started without livegate\'s heap flags: under load its garbage collector will take more CPU (`npm start`, the livegate bin and the container give them)')
  }
}

await main()
