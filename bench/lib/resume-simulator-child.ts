/**
 * @module bench/lib/resume-simulator-child
 * The simulator in echo mode for the resumption benchmark, with an optional connection-age clock
 * (`--connection-age-ms`, `--go-away-notice-ms`) and pong delay (`--pong-delay-ms`, Gemini's late pongs). Prints `{"ready":{"url","port"}}` once listening; with `--stats
 * FILE` it keeps `{"connections","resumed"}` (accepted sockets, and those that resumed with a handle) in that file,
 * so the load client can count the switches a run went through.
 */
import { renameSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { startSimulator } from '../../src/simulator/index.js'

const { values } = parseArgs({
  options: {
    'connection-age-ms': { type: 'string' },
    'go-away-notice-ms': { type: 'string' },
    'pong-delay-ms': { type: 'string' },
    stats: { type: 'string' },
  },
})
const age = values['connection-age-ms'] === undefined ? undefined : Number(values['connection-age-ms'])
const notice = values['go-away-notice-ms'] === undefined ? undefined : Number(values['go-away-notice-ms'])
const pongDelay = values['pong-delay-ms'] === undefined ? undefined : Number(values['pong-delay-ms'])
const simulator = await startSimulator({
  host: '127.0.0.1',
  port: 0,
  echo: true,
  chunkDelayMs: 0,
  ...(age === undefined ? {} : { connectionAgeMs: age }),
  ...(notice === undefined ? {} : { goAwayNoticeMs: notice }),
  ...(pongDelay === undefined ? {} : { pongDelayMs: pongDelay }),
})
const statsFile = values.stats
// The simulator forgets closed connections past a bound, so they are counted as they are seen (ids only grow, and
// a connection lives far longer than the polling interval).
let lastId = 0
const resumedIds = new Set<number>()
function writeStats (): void {
  if (statsFile === undefined) return
  for (const c of simulator.connections) {
    if (c.id > lastId) lastId = c.id
    if (c.resumedFrom !== undefined) resumedIds.add(c.id)
  }
  // Written aside and renamed, so a reader never sees half a file.
  writeFileSync(`${statsFile}.tmp`, JSON.stringify({ connections: lastId, resumed: resumedIds.size }))
  renameSync(`${statsFile}.tmp`, statsFile)
}
if (statsFile !== undefined) {
  writeStats()
  setInterval(writeStats, 100).unref()
}
process.stdout.write(`${JSON.stringify({ ready: { url: simulator.url, port: simulator.port } })}\n`)
process.on('SIGTERM', () => { void simulator.close().then(() => process.exit(0)) })
