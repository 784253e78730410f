/**
 * @module bench/relay-profile
 * Where a relayed frame's CPU goes: the V8 sampling profiler runs in the bare relay and in livegate during the same
 * audio load as bench/relay.ts (default 100 sessions), only over the measured window (lib/profile-hook.mjs), and the
 * busy samples are split by area (ws, livegate's src/live, pino, fastify, Node net/streams, GC, ...). Each area's
 * share times the process's CPU per frame gives µs per frame, so the gap between livegate and the bare relay is
 * pinned to the code that makes it. Writes the "Relay CPU profile" section of bench/RESULTS.md.
 *
 *   npm run bench -- relay-profile [--sessions 100] [--duration 10] [--no-write]
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { runAudioLoad } from './lib/audio-load.js'
import { summarizeProfile, type ProfileSummary } from './lib/cpu-profile.js'
import { audioSetup, closeSessions, openSessions } from './lib/live-client.js'
import { cpuSeconds, machineLine } from './lib/proc-stats.js'
import { benchCommand, writeSection } from './lib/results-md.js'
import { fixed, table } from './lib/stats.js'
import { startTargets, type Target } from './lib/targets.js'

const { values: args } = parseArgs({
  options: {
    sessions: { type: 'string', default: '100' },
    duration: { type: 'string', default: '10' },
    'no-write': { type: 'boolean', default: false },
  },
})
const SESSIONS = Number(args.sessions)
const DURATION_MS = Number(args.duration) * 1000
const PROFILE_HOOK = fileURLToPath(new URL('./lib/profile-hook.mjs', import.meta.url))

interface Measured { target: string, usPerFrame: number, profile: ProfileSummary }

async function profiled (target: Target, dir: string): Promise<Measured> {
  const warm = await openSessions(target.url, 50, audioSetup())
  await runAudioLoad(warm, { durationMs: 3_000, warmupMs: 0 })
  await closeSessions(warm)
  const sockets = await openSessions(target.url, SESSIONS, audioSetup())
  await sleep(500)
  const pid = target.child.pid
  process.kill(pid, 'SIGTTIN')
  await sleep(100)
  const cpu0 = cpuSeconds(pid)
  const load = await runAudioLoad(sockets, { durationMs: DURATION_MS, warmupMs: 0 })
  const cpuS = cpuSeconds(pid) - cpu0
  process.kill(pid, 'SIGTTIN')
  const file = join(dir, `${pid}.cpuprofile`)
  for (let i = 0; i < 100 && !existsSync(file); i++) await sleep(100)
  await sleep(200)
  await closeSessions(sockets)
  const usPerFrame = cpuS * 1e6 / (load.sent + load.received)
  process.stderr.write(`relay-profile: ${target.name}: ${fixed(usPerFrame, 1)} µs CPU/frame under the profiler\n`)
  return { target: target.name, usPerFrame, profile: summarizeProfile(file, 20) }
}

function report (bare: Measured, livegate: Measured, started: Date): string {
  const areas = [...new Set([...livegate.profile.areas, ...bare.profile.areas].map((a) => a.area))]
  const us = (m: Measured, area: string): number => (m.profile.areas.find((a) => a.area === area)?.share ?? 0) * m.usPerFrame
  const areaRows = areas
    .map((area) => ({ area, b: us(bare, area), l: us(livegate, area) }))
    .sort((x, y) => (y.l - y.b) - (x.l - x.b))
    .map(({ area, b, l }) => [area, fixed(b, 2), fixed(l, 2), `${l - b >= 0 ? '+' : '−'}${fixed(Math.abs(l - b), 2)}`])
  areaRows.push(['**total (all threads)**', fixed(bare.usPerFrame, 2), fixed(livegate.usPerFrame, 2),
    `${livegate.usPerFrame >= bare.usPerFrame ? '+' : '−'}${fixed(Math.abs(livegate.usPerFrame - bare.usPerFrame), 2)}`])
  const topRows = (m: Measured): string[][] => m.profile.top.map((t) => [`\`${t.fn}\``, t.area, `${fixed(t.share * 100, 1)} %`, fixed(t.share * m.usPerFrame, 2)])
  return [
    `Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machineLine()}.`,
    '',
    `Command: \`${benchCommand('')}relay-profile --sessions ${SESSIONS} --duration ${DURATION_MS / 1000}\` (bench/relay-profile.ts).`,
    '',
    `Method: the audio load of the Relay section (${SESSIONS} sessions, 50 frames/s each, ${DURATION_MS / 1000} s) through ` +
      'the bare relay, then through livegate, each with the V8 sampling profiler (200 µs interval) running in the relay\'s ' +
      'main thread over the load window only. CPU per frame is measured as in the Relay section (all threads, ' +
      'profiler overhead included, so higher than there); each area\'s share of the main thread\'s busy samples is ' +
      'applied to it. Self time: a function\'s own samples, not its callees\'.',
    '',
    '### CPU per relayed frame by area (µs), largest livegate excess first',
    '',
    table(['area', 'bare ws relay', 'livegate', 'livegate − bare'], areaRows),
    '',
    '### livegate: hottest functions (self time)',
    '',
    table(['function', 'area', 'share of busy samples', 'µs/frame'], topRows(livegate)),
    '',
    '### bare ws relay: hottest functions (self time)',
    '',
    table(['function', 'area', 'share of busy samples', 'µs/frame'], topRows(bare)),
  ].join('\n')
}

const started = new Date()
const dir = mkdtempSync(join(os.tmpdir(), 'livegate-bench-profile-'))
process.env.BENCH_PROFILE_DIR = dir
const targets = await startTargets({ relayNodeArgs: ['--import', PROFILE_HOOK], livegateEnv: { BENCH_PROFILE_DIR: dir } })
let body: string
try {
  if (targets.bare === undefined) throw new Error('no bare relay')
  const bare = await profiled(targets.bare, dir)
  const livegate = await profiled(targets.livegate, dir)
  body = report(bare, livegate, started)
} finally {
  await targets.stop()
  rmSync(dir, { recursive: true, force: true })
}
if (!args['no-write']) writeSection('Relay CPU profile', body)
process.stdout.write(`${body}\n`)
