/**
 * @module bench/render-cost
 * livegate's own CPU per chart render, apart from the render itself: K sessions (default 4) each keep one cold
 * render in flight (bench/lib/render-sessions.ts) and nothing else runs through the gateway; the gateway process's
 * CPU (all threads, and its main thread alone) and its render process's CPU, divided by the renders done. That is
 * the work a render puts on the relay's own process: the turn's frames, the tool call, the IPC hop and the store.
 * Each artifact store in turn, a fresh livegate and simulator per round, the order reversed every other round.
 *
 * Writes the "Render cost" section of bench/RESULTS.md.
 *
 *   npm run bench -- render-cost [--sessions 4] [--duration 10] [--rounds 4] [--stores fs,memory] [--no-write]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { closeSessions, openSessions, textSetup } from './lib/live-client.js'
import { cpuSecondsWithChildren, machineLine, mainThreadCpuSeconds } from './lib/proc-stats.js'
import { startRenderLoad } from './lib/render-sessions.js'
import { benchCommand, writeSection } from './lib/results-md.js'
import { fixed, table } from './lib/stats.js'
import { startTargets } from './lib/targets.js'

const { values: args } = parseArgs({
  options: {
    sessions: { type: 'string', default: '4' },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '4' },
    stores: { type: 'string', default: 'fs,memory' },
    'no-write': { type: 'boolean', default: false },
  },
})
const SESSIONS = Number(args.sessions)
const DURATION_MS = Number(args.duration) * 1000
const ROUNDS = Number(args.rounds)
const STORES = args.stores.split(',')
const WARMUP_MS = 3_000
const RUN_ID = Date.now().toString(36)

interface Totals { renders: number, gatewayS: number, mainS: number, renderS: number, wallS: number }

async function measureRound (store: string, round: number): Promise<Totals> {
  const dir = mkdtempSync(join(os.tmpdir(), 'livegate-bench-render-cost-'))
  const targets = await startTargets({ bare: false, livegateEnv: { LIVEGATE_STORE: store === 'fs' ? `fs:${dir}` : store } })
  const pid = targets.livegate.child.pid
  const sockets = await openSessions(targets.livegate.url, SESSIONS, textSetup())
  try {
    const warm = startRenderLoad(sockets, `${RUN_ID}-warm-${store}-${round}`)
    await sleep(WARMUP_MS)
    await warm.stop()
    const cpu0 = cpuSecondsWithChildren(pid)
    const main0 = mainThreadCpuSeconds(pid)
    const t0 = performance.now()
    const load = startRenderLoad(sockets, `${RUN_ID}-${store}-${round}`)
    await sleep(DURATION_MS)
    const renders = (await load.stop()).length
    const wallS = (performance.now() - t0) / 1000
    const cpu1 = cpuSecondsWithChildren(pid)
    const main1 = mainThreadCpuSeconds(pid)
    const totals = { renders, gatewayS: cpu1.own - cpu0.own, mainS: main1 - main0, renderS: cpu1.children - cpu0.children, wallS }
    process.stderr.write(`render-cost: ${store}, round ${round}: ${renders} renders, ${fixed(totals.gatewayS * 1000 / renders, 2)} ms gateway CPU per render\n`)
    return totals
  } finally {
    await closeSessions(sockets)
    await targets.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

const started = new Date()
const totals = new Map<string, Totals[]>(STORES.map((s) => [s, []]))
for (let round = 0; round < ROUNDS; round++) {
  for (const store of round % 2 === 0 ? STORES : [...STORES].reverse()) totals.get(store)?.push(await measureRound(store, round))
}
const sum = (rows: readonly Totals[], f: (t: Totals) => number): number => rows.reduce((a, t) => a + f(t), 0)
const rows = STORES.map((store) => {
  const m = totals.get(store) ?? []
  const renders = sum(m, (t) => t.renders)
  const perRoundMs = m.map((t) => fixed(t.gatewayS * 1000 / t.renders, 2)).join(', ')
  return [store, String(renders), fixed(renders / sum(m, (t) => t.wallS), 1), fixed(sum(m, (t) => t.gatewayS) * 1000 / renders, 2),
    perRoundMs, fixed(sum(m, (t) => t.mainS) * 1000 / renders, 2), fixed(sum(m, (t) => t.renderS) * 1000 / renders, 2)]
})
const body = [
  `Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machineLine()}.`,
  '',
  `Command: \`${benchCommand('')}render-cost --sessions ${SESSIONS} --duration ${DURATION_MS / 1000} --rounds ${ROUNDS} --stores ${STORES.join(',')}\` (bench/render-cost.ts).`,
  '',
  `${SESSIONS} sessions through livegate each keep one cold render of the five-film chart in flight (a new title every turn; ` +
    'nothing else runs through the gateway), for ' + `${DURATION_MS / 1000} s per round after ${WARMUP_MS / 1000} s of warm-up; ` +
    `${ROUNDS} rounds, a fresh livegate and simulator each, the stores in turn (order reversed every other round). ` +
    'CPU from /proc, divided by the renders done: the gateway process (every thread), its main thread (the relay\'s ' +
    'event loop) and the render process (the render itself, at SCHED_IDLE).',
  '',
  table(['store', 'renders', 'renders/s', 'gateway CPU ms per render', 'per round', 'of which main thread', 'render process CPU ms per render'], rows),
].join('\n')
if (!args['no-write']) writeSection('Render cost', body)
process.stdout.write(`${body}\n`)
