/**
 * @module bench/relay
 * Issue 2's benchmark: audio frames through livegate versus straight to the simulator, with a bare `ws` relay as the
 * peer, at 1, 100 and 500 concurrent sessions, all in one run. Each server runs in its own process; this process is
 * the load client. Reports round-trip p50/p99 and the latency each relay adds over the direct baseline, CPU per
 * relayed frame of each relay process, and RSS per idle session. Writes the "Relay" section of bench/RESULTS.md.
 *
 *   npm run bench -- relay [--sessions 1,100,500] [--duration 10] [--warmup 1] [--idle 500] [--rounds 3]
 *                          [--targets direct,bare,livegate] [--no-write]
 *
 * `--targets` may add `bare-like`: the bare relay doing livegate's per-frame work (bare-relay.ts --like-livegate),
 * which separates the cost of that work from the rest of livegate's process; and `bare-fastify`: the bare pipe behind
 * Fastify + @fastify/websocket, as livegate accepts clients; and `bare-merged`: the bare pipe writing each frame in one
 * write with an all-zero masking key upstream (src/live/frame-writer.ts), as livegate does.
 */
import { parseArgs } from 'node:util'
import { runAudioLoad } from './lib/audio-load.js'
import { audioSetup, closeSessions, openSessions } from './lib/live-client.js'
import { machineLine } from './lib/proc-stats.js'
import { idleRun, loadRound, pool, type IdleRow, type LoadRow, type RoundMeasure } from './lib/relay-measure.js'
import { benchCommand, writeSection } from './lib/results-md.js'
import { fixed, ms, signedMs, table } from './lib/stats.js'
import { startTargets } from './lib/targets.js'

const { values: args } = parseArgs({
  options: {
    sessions: { type: 'string', default: '1,100,500' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '1' },
    idle: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
    targets: { type: 'string', default: 'direct,bare,livegate' },
    /** `K=V,K=V` added to livegate's environment, e.g. `LIVEGATE_RESUME_BUFFER_MESSAGES=0` to measure without the replay log. */
    'livegate-env': { type: 'string', default: '' },
    'no-write': { type: 'boolean', default: false },
  },
})
const SESSION_COUNTS = args.sessions.split(',').map(Number)
const DURATION_MS = Number(args.duration) * 1000
const WARMUP_MS = Number(args.warmup) * 1000
const IDLE_SESSIONS = Number(args.idle)
/**
 * Each (sessions, target) run is repeated this many times, each round with fresh processes and the targets in a
 * rotated order, and the samples pooled.
 */
const ROUNDS = Number(args.rounds)
const TARGET_KEYS = args.targets.split(',') as Array<'direct' | 'bare' | 'bare-like' | 'bare-fastify' | 'bare-merged' | 'livegate'>
const LIVEGATE_ENV = Object.fromEntries(args['livegate-env'].split(',').filter((kv) => kv.includes('=')).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
const WARMUP_SESSIONS = 50
const WARMUP_LOAD_MS = 3_000
/**
 * Issue 14's targets: CPU per round trip ≤ 1.05× the bare relay at 100 and 500 sessions, no frame lost at 500 and
 * 1,000, p50 and p99 at 500 within 1.1× the bare relay's, ≤ 32 KB per idle session; and the session count at which
 * the p99 stays under 20 ms, recorded.
 */
const CPU_RATIO_TARGET = 1.05
const CPU_RATIO_SESSIONS = [100, 500]
const LOSS_SESSIONS = [500, 1000]
const LATENCY_SESSIONS = 500
const LATENCY_RATIO_TARGET = 1.1
const IDLE_KB_TARGET = 32
const P99_BOUND_MS = 20

/** `(0.98–1.40)`: the lowest and highest round-by-round ratio of CPU per frame, livegate over bare. */
function roundRange (livegate: LoadRow, bare: LoadRow): string {
  const ratios = livegate.roundCpuUsPerFrame.map((us, i) => us / (bare.roundCpuUsPerFrame[i] ?? NaN)).filter(Number.isFinite)
  if (ratios.length < 2) return ''
  return `(${fixed(Math.min(...ratios), 2)}–${fixed(Math.max(...ratios), 2)})`
}

function report (rows: readonly LoadRow[], idle: readonly IdleRow[], started: Date): string {
  const loadRows = rows.map((row) => {
    const direct = rows.find((r) => r.sessions === row.sessions && r.target === 'direct to simulator')
    const bare = rows.find((r) => r.sessions === row.sessions && r.target === 'bare ws relay')
    const isDirect = row === direct
    const isRelay = !isDirect
    return [
      String(row.sessions),
      row.target,
      String(row.sent),
      String(row.lost + row.misrouted),
      ms(row.rtt.p50),
      ms(row.rtt.p99),
      isDirect || direct === undefined ? '—' : signedMs(row.rtt.p50 - direct.rtt.p50),
      isDirect || direct === undefined ? '—' : signedMs(row.rtt.p99 - direct.rtt.p99),
      isRelay ? fixed(row.cpuUsPerFrame, 1) : `(sim ${fixed(row.simulatorCpuUsPerFrame, 1)})`,
      isRelay && row !== bare && bare !== undefined ? `${fixed(row.cpuUsPerFrame / bare.cpuUsPerFrame, 2)}× ${roundRange(row, bare)}` : '—',
      isDirect ? `— / ${fixed(row.cores.simulator, 2)} / ${fixed(row.cores.client, 2)}`
        : `${fixed(row.cores.target, 2)} / ${fixed(row.cores.simulator, 2)} / ${fixed(row.cores.client, 2)}`,
      ms(row.lag.p99),
      fixed(row.hostLoad, 1),
    ]
  })
  const idleRows = idle.map((row) => [
    row.target,
    String(row.sessions),
    fixed(row.beforeBytes / 2 ** 20, 1),
    fixed(row.afterBytes / 2 ** 20, 1),
    fixed((row.afterBytes - row.beforeBytes) / row.sessions / 1024, 1),
    fixed(row.moreBytes / 2 ** 20, 1),
    fixed((row.moreBytes - row.afterBytes) / row.sessions / 1024, 1),
    fixed(row.afterCloseBytes / 2 ** 20, 1),
    `${fixed(row.heapUsed.before / 2 ** 20, 1)} / ${fixed(row.heapUsed.open / 2 ** 20, 1)} / ${fixed(row.heapUsed.closed / 2 ** 20, 1)}`,
    fixed((row.heapUsed.open - row.heapUsed.before) / row.sessions / 1024, 1),
  ])

  const verdict = (ok: boolean): string => ok ? '**met**' : '**missed**'
  const row = (n: number, target: string): LoadRow | undefined => rows.find((r) => r.sessions === n && r.target === target)
  const targets: string[] = []
  const cpuAt = CPU_RATIO_SESSIONS.filter((n) => SESSION_COUNTS.includes(n)).map((n) => {
    const lg = row(n, 'livegate')
    const bare = row(n, 'bare ws relay')
    return { n, ratio: lg !== undefined && bare !== undefined ? lg.cpuUsPerFrame / bare.cpuUsPerFrame : NaN }
  })
  if (cpuAt.length > 0) {
    targets.push(`- CPU per round trip ≤ ${CPU_RATIO_TARGET}× the bare relay at ${cpuAt.map((r) => r.n).join(' and ')} sessions (pooled over the rounds): ` +
      cpuAt.map((r) => `${fixed(r.ratio, 3)}× at ${r.n}`).join(', ') + `: ${verdict(cpuAt.every((r) => r.ratio <= CPU_RATIO_TARGET))}`)
  }
  const lossAt = LOSS_SESSIONS.filter((n) => SESSION_COUNTS.includes(n)).map((n) => ({ n, lost: row(n, 'livegate'), bare: row(n, 'bare ws relay') }))
  if (lossAt.length > 0) {
    targets.push(`- 0 frames lost at ${lossAt.map((r) => r.n).join(' and ')} sessions: ` +
      lossAt.map((r) => `${r.lost === undefined ? 'n/a' : r.lost.lost + r.lost.misrouted} at ${r.n} (bare ${r.bare === undefined ? 'n/a' : r.bare.lost + r.bare.misrouted})`).join(', ') +
      `: ${verdict(lossAt.every((r) => r.lost !== undefined && r.lost.lost + r.lost.misrouted === 0))}`)
  }
  const lg500 = row(LATENCY_SESSIONS, 'livegate')
  const bare500 = row(LATENCY_SESSIONS, 'bare ws relay')
  if (lg500 !== undefined && bare500 !== undefined) {
    const p50 = lg500.rtt.p50 / bare500.rtt.p50
    const p99 = lg500.rtt.p99 / bare500.rtt.p99
    targets.push(`- p50 and p99 round trip at ${LATENCY_SESSIONS} sessions within ${LATENCY_RATIO_TARGET}× the bare relay: p50 ${ms(lg500.rtt.p50)} vs ` +
      `${ms(bare500.rtt.p50)} ms (${fixed(p50, 2)}×), p99 ${ms(lg500.rtt.p99)} vs ${ms(bare500.rtt.p99)} ms (${fixed(p99, 2)}×): ` +
      verdict(p50 <= LATENCY_RATIO_TARGET && p99 <= LATENCY_RATIO_TARGET))
  }
  const lgIdle = idle.find((r) => r.target === 'livegate')
  const bareIdle = idle.find((r) => r.target === 'bare ws relay')
  if (lgIdle !== undefined) {
    const first = (row: IdleRow): number => (row.afterBytes - row.beforeBytes) / row.sessions / 1024
    const next = (row: IdleRow): number => (row.moreBytes - row.afterBytes) / row.sessions / 1024
    targets.push(`- ≤ ${IDLE_KB_TARGET} KB RSS per idle session (marginal: the next ${lgIdle.sessions}): livegate ${fixed(next(lgIdle), 1)} KB ` +
      `(bare relay ${bareIdle === undefined ? 'n/a' : fixed(next(bareIdle), 1)} KB); the first ${lgIdle.sessions}, one-time growth included: ` +
      `livegate ${fixed(first(lgIdle), 1)} KB (bare relay ${bareIdle === undefined ? 'n/a' : fixed(first(bareIdle), 1)} KB): ${verdict(next(lgIdle) <= IDLE_KB_TARGET)}`)
  }
  // Sessions per core: the most sessions measured at which livegate's p99 stayed under the bound, and the cores its
  // process used there.
  const under = rows.filter((r) => r.target === 'livegate' && r.rtt.p99 < P99_BOUND_MS).sort((a, b) => b.sessions - a.sessions)[0]
  const over = rows.filter((r) => r.target === 'livegate' && r.rtt.p99 >= P99_BOUND_MS).sort((a, b) => a.sessions - b.sessions)[0]
  targets.push(`- Sessions at which livegate's p99 round trip stays under ${P99_BOUND_MS} ms: ` +
    (under === undefined ? 'none of the measured counts' : `${under.sessions} (p99 ${ms(under.rtt.p99)} ms, livegate's process using ${fixed(under.cores.target, 2)} cores there)`) +
    (over === undefined ? '' : `; at ${over.sessions} it was ${ms(over.rtt.p99)} ms`) + ' (recorded, no target)')

  return [
    `Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machineLine()}.`,
    '',
    `Command: \`${benchCommand('')}relay --sessions ${SESSION_COUNTS.join(',')} --duration ${DURATION_MS / 1000} ` +
      `--warmup ${WARMUP_MS / 1000} --idle ${IDLE_SESSIONS} --rounds ${ROUNDS} --targets ${TARGET_KEYS.join(',')}` +
      `${args['livegate-env'] === '' ? '' : ` --livegate-env ${args['livegate-env']}`}\` (bench/relay.ts).`,
    '',
    'Method: three servers, each in its own process: the simulator in echo mode (`startSimulator({ echo: true })`), ' +
      'the bare `ws` relay (bench/bare-relay.ts: pipes `(data, isBinary)` both ways, no parsing) and livegate ' +
      '(`src/main.ts` as `npm start` runs it, default config, client tokens on, server tools on, pino at info to ' +
      '/dev/null). The load client (this process) opens N sessions to each target in turn, sends `setup`, waits for ' +
      '`setupComplete`, then sends 640-byte 16 kHz PCM chunks (base64 `realtimeInput.audio` text frames) at 50 ' +
      `frames/s per session for ${DURATION_MS / 1000} s, phases spread evenly, open loop; ${ROUNDS} rounds, each with ` +
      'fresh processes of all three servers (one process\'s CPU per frame differs from the next one\'s of the same ' +
      'program by more than the relays differ) and the targets in a rotated order (direct, bare, livegate; then ' +
      'bare, livegate, direct; …), samples pooled. Each chunk carries a stamp ' +
      '(session, sequence) that comes back in the echo; RTT is send → echo in the load client. The first ' +
      `${WARMUP_MS / 1000} s of each round is left out of the percentiles, and at the start of each round each target ran ` +
      `${WARMUP_SESSIONS} sessions for ${WARMUP_LOAD_MS / 1000} s (JIT warm-up). "Added" is the relay's percentile minus the ` +
      'direct run\'s at the same N in the same run. CPU/frame is utime+stime of the relay process ' +
      '(the scheduler\'s run time of all its threads, `/proc/<pid>/task/*/schedstat`, ns) over the run, divided by ' +
      'the frames it relayed (client→upstream plus ' +
      'upstream→client); the direct row shows the simulator\'s own. Idle RSS: a full GC in the relay process ' +
      '(SIGUSR2 hook preloaded with `--expose-gc`), VmRSS, open N sessions (setup done, then silent), wait 1 s, GC, ' +
      'VmRSS again; the delta / N; then N more, GC, VmRSS: that delta / N is the marginal cost of an idle session (the ' +
      'first figure also holds one-time growth of the heap and code, and depends on the free room the heap had before).',
    '',
    '### Audio round trip (20 ms chunks, 50 frames/s per session)',
    '',
    table(['sessions', 'target', 'frames sent', 'not echoed', 'p50 RTT ms', 'p99 RTT ms', 'p50 added ms', 'p99 added ms',
      'CPU µs/frame', 'CPU vs bare', 'cores: relay / sim / client', 'send lag p99 ms', 'host load'], loadRows),
    '',
    '### RSS per idle session',
    '',
    table(['relay', 'idle sessions (N)', 'RSS before MiB', 'RSS with N MiB', 'KB per session, first N', 'RSS with 2N MiB',
      'KB per session, next N (marginal)', 'RSS after closing MiB',
      'V8 heap used MiB: before / open / closed', 'heap KB per session'], idleRows),
    '',
    '### Targets (issue 14)',
    '',
    ...targets,
    '',
    '### Caveats',
    '',
    `- The machine has ${machineLine().split(', ')[1] ?? 'few cores'}: the load client, the simulator and the relay ` +
      'share them, so at high session counts each RTT includes time waiting for a core (see the cores ' +
      'column; when the client is short of CPU its send lag grows). Added latency compares runs ' +
      'with the same contention, but it is an upper bound on what a relay adds on a machine of its own.',
    '- The direct baseline has one process fewer on the CPUs than the relayed runs; part of the added latency is ' +
      'that extra process competing for the same cores, for the bare relay and livegate alike.',
    '- At 1 session the relay is idle between frames, so each frame pays a full wake-up (epoll, read, write): the ' +
      'per-frame CPU there is dominated by that and by the process\'s idle timers, not by relaying.',
    '- "not echoed": frames that never came back (after the last send the load waits until every echo came or none came ' +
      'for 3 s: an overloaded host delivers seconds late, and that lateness is in the RTT columns). The cores column adds up what the three ' +
      'processes used; when it nears the machine\'s core count (minus what other tenants take, see host load) every ' +
      'queue grows, and RTTs measure that backlog.',
    '- "host load" is the 1-minute load average at the start of each round: other work on the machine. The run ' +
      'raises its own priority with `BENCH_NICE=-10` (bench/lib/priority.ts) so that other tenants do not starve it.',
    '- Percentiles are exact (every sample kept); the one-session runs have ≈450 samples, so their p99 is a handful of frames.',
  ].join('\n')
}

/** `[a, b, c]` rotated left by n: round r starts with the r-th target, so no target always runs first or last. */
function rotate<T> (items: readonly T[], n: number): T[] {
  const k = items.length === 0 ? 0 : n % items.length
  return [...items.slice(k), ...items.slice(0, k)]
}

const started = new Date()
const rows: LoadRow[] = []
const idle: IdleRow[] = []
const measures = new Map<string, RoundMeasure[]>()
const names = new Map<string, string>()
const measureKey = (sessions: number, key: string): string => `${sessions}\u0000${key}`
// Every round starts fresh processes: CPU per frame differs from one process of the same program to the next (JIT
// decisions, which core it lands on beside the load client), by more than the relays differ. New processes each
// round average that out instead of crediting it to one relay.
for (let round = 0; round < ROUNDS; round++) {
  const targets = await startTargets({ livegateEnv: LIVEGATE_ENV, bareLikeLivegate: TARGET_KEYS.includes('bare-like'), bareOnFastify: TARGET_KEYS.includes('bare-fastify'), bareMerged: TARGET_KEYS.includes('bare-merged') })
  try {
    if (round === 0 && IDLE_SESSIONS > 0) {
      for (const target of [targets.bare, targets.livegate]) if (target !== undefined) idle.push(await idleRun(target, IDLE_SESSIONS))
    }
    const chosen = TARGET_KEYS.flatMap((key) => {
      const target = targets[key]
      return target === undefined ? [] : [{ key, target }]
    })
    // JIT warm-up: every process on the path runs the hot code before anything is measured.
    for (const { target } of chosen) {
      const sockets = await openSessions(target.url, WARMUP_SESSIONS, audioSetup())
      await runAudioLoad(sockets, { durationMs: WARMUP_LOAD_MS, warmupMs: 0 })
      await closeSessions(sockets)
    }
    for (const sessions of SESSION_COUNTS) {
      for (const { key, target } of rotate(chosen, round)) {
        names.set(key, target.name)
        const measure = await loadRound(target, targets.simulator.pid, sessions, { durationMs: DURATION_MS, warmupMs: WARMUP_MS })
        measures.set(measureKey(sessions, key), [...(measures.get(measureKey(sessions, key)) ?? []), measure])
      }
    }
  } finally {
    await targets.stop()
  }
}
for (const sessions of SESSION_COUNTS) {
  for (const key of TARGET_KEYS) {
    const pooled = measures.get(measureKey(sessions, key))
    if (pooled !== undefined) rows.push(pool(sessions, names.get(key) ?? key, pooled))
  }
}
const body = report(rows, idle, started)
if (!args['no-write']) writeSection('Relay', body)
process.stdout.write(`${body}\n`)
