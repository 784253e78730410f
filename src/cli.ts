#!/usr/bin/env -S node --initial-old-space-size=128
/**
 * @module cli
 * The package's `livegate` bin: `--help` prints the configuration table (ENV_VARS), `--port` and `--host` override
 * LIVEGATE_PORT and LIVEGATE_HOST; everything else is the environment, as for `node dist/src/main.js`.
 */
import { parseArgs } from 'node:util'
import { ENV_VARS, setEnvOverrides } from './config.js'

const USAGE = `Usage: livegate [--port N] [--host ADDRESS] [--help]

The Gemini Live gateway. Configuration is the environment (12-factor); --port and --host override
LIVEGATE_PORT and LIVEGATE_HOST.
`

function table (): string {
  const rows = ENV_VARS.map((v) => `  ${v.name.padEnd(38)} ${v.default === undefined ? '(unset)' : JSON.stringify(v.default)}\n      ${v.doc}`)
  return `Environment variables (name, default, what it does):\n${rows.join('\n')}\n`
}

let values: { port?: string, host?: string, help?: boolean }
try {
  values = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`)
  process.exit(64) // EX_USAGE
}
if (values.help === true) {
  process.stdout.write(`${USAGE}\n${table()}`)
  process.exit(0)
}
setEnvOverrides({ LIVEGATE_PORT: values.port, LIVEGATE_HOST: values.host })
await import('./main.js')
