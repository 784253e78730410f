/**
 * @module bench/lib/simulator-child
 * The simulator in its own process for the benchmarks: echo mode (each realtimeInput audio frame answered at once
 * with one serverContent frame holding the same base64) and the render script for `render <tag>` text turns.
 * Prints `{"ready":{"url","port"}}` once listening.
 */
import { startSimulator } from '../../src/simulator/index.js'
import { renderScript } from './render-script.js'

// keepClosedConnections 0: a benchmark never inspects closed connections, and keeping the last 1,000 (the default)
// grows this process's heap, and its GC pauses with it, over a run's first thousand sessions.
const simulator = await startSimulator({ host: '127.0.0.1', port: 0, echo: true, chunkDelayMs: 0, script: renderScript(), keepClosedConnections: Number(process.env.BENCH_SIM_KEEP_CLOSED ?? 0) })
process.stdout.write(`${JSON.stringify({ ready: { url: simulator.url, port: simulator.port } })}\n`)
process.on('SIGTERM', () => { void simulator.close().then(() => process.exit(0)) })
