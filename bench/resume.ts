/**
 * @module bench/resume
 * Issue 10's benchmark: N audio sessions through livegate while the simulator sends `goAway` every few seconds
 * (connection age), against the same load with no goAway, in one run. Counts the frames lost and echoed twice across
 * the switches and the pause the client sees in its echo stream at each switch. Writes the "Resumption" section of
 * bench/RESULTS.md.
 *
 *   npm run bench -- resume [--sessions 100] [--duration 20] [--warmup 1] [--age 5000] [--notice 3500] [--rounds 1]
 *                           [--variants baseline,index,noindex,latepong] [--no-write]
 *
 * Variants, each with a fresh simulator (echo mode) and a fresh livegate per round: `baseline` (no goAway),
 * `index` (goAway; livegate with LIVEGATE_RESUME_TRANSPARENT=true, so each handle names the last client message it
 * covers, as on Vertex AI) and `noindex` (goAway; livegate's default, the Gemini Developer API, where a handle carries
 * no index and livegate infers what it covers), and `latepong` (as `noindex`, with the simulator's pongs 10 s late as
 * Gemini's are, so no pong can pass a fence and livegate's quiet hold stands in for it).
 */
import { readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { spawnLivegate, spawnReporting, type Child } from './lib/children.js'
import { audioSetup, closeSessions, liveUrl, openSessions } from './lib/live-client.js'
import { cpuSeconds, machineLine } from './lib/proc-stats.js'
import { runResumeLoad, type ResumeLoadResult } from './lib/resume-load.js'
import { benchCommand, writeSection } from './lib/results-md.js'
import { fixed, ms, signedMs, summarize, table } from './lib/stats.js'
import { CLIENT_TOKEN, SERVER_KEY } from './lib/targets.js'

const { values: args } = parseArgs({
  options: {
    sessions: { type: 'string', default: '100' },
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '1' },
    age: { type: 'string', default: '5000' },
    notice: { type: 'string', default: '3500' },
    rounds: { type: 'string', default: '1' },
    variants: { type: 'string', default: 'baseline,index,noindex,latepong' },
    'no-write': { type: 'boolean', default: false },
  },
})
const SESSIONS = Number(args.sessions)
const DURATION_MS = Number(args.duration) * 1000
const WARMUP_MS = Number(args.warmup) * 1000
const AGE_MS = Number(args.age)
const NOTICE_MS = Number(args.notice)
const ROUNDS = Number(args.rounds)
const SIMULATOR_CHILD = fileURLToPath(new URL('./lib/resume-simulator-child.ts', import.meta.url))
const WARMUP_SESSIONS = 20
const WARMUP_LOAD_MS = 2_000

interface Variant { key: string, name: string, goAway: boolean, env: Record<string, string>, simArgs?: string[] }
const VARIANTS: Variant[] = [
  { key: 'baseline', name: 'no goAway', goAway: false, env: {} },
  { key: 'index', name: 'goAway, handles with index (LIVEGATE_RESUME_TRANSPARENT=true)', goAway: true, env: { LIVEGATE_RESUME_TRANSPARENT: 'true' } },
  { key: 'noindex', name: 'goAway, handles without index (default, Gemini API)', goAway: true, env: {} },
  // Gemini's pongs take 8–30 s (reference §1.6): longer than the fence, so it passes by holding back instead.
  { key: 'latepong', name: 'goAway, handles without index, pongs 10 s late (as Gemini\'s)', goAway: true, env: {}, simArgs: ['--pong-delay-ms', '10000'] },
]
const chosen = args.variants.split(',').map((key) => {
  const v = VARIANTS.find((x) => x.key === key)
  if (v === undefined) throw new Error(`unknown variant ${key}; known: ${VARIANTS.map((x) => x.key).join(', ')}`)
  return v
})

interface Round { load: ResumeLoadResult, switches: number, hostLoad: number, livegateCpuS: number, simulatorCpuS: number }

function readStats (file: string): { connections: number, resumed: number } {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { connections: number, resumed: number }
  } catch {
    return { connections: NaN, resumed: NaN }
  }
}

async function runVariant (variant: Variant, round: number): Promise<Round> {
  const statsFile = join(os.tmpdir(), `livegate-bench-resume-${process.pid}-${round}-${variant.key}.json`)
  const simArgs = ['--stats', statsFile, ...(variant.goAway ? ['--connection-age-ms', String(AGE_MS), '--go-away-notice-ms', String(NOTICE_MS)] : []), ...(variant.simArgs ?? [])]
  const started: Child[] = []
  try {
    const simulator = await spawnReporting('simulator', SIMULATOR_CHILD, simArgs)
    started.push(simulator)
    const livegate = await spawnLivegate({
      GEMINI_API_KEY: SERVER_KEY,
      LIVEGATE_UPSTREAM_URL: String(simulator.info.url),
      LIVEGATE_CLIENT_TOKENS: CLIENT_TOKEN,
      ...variant.env,
    })
    started.push(livegate)
    const url = liveUrl(`http://127.0.0.1:${String(livegate.info.port)}`, CLIENT_TOKEN)
    // JIT warm-up of every process on the path.
    const warm = await openSessions(url, WARMUP_SESSIONS, audioSetup())
    await runResumeLoad(warm, { durationMs: WARMUP_LOAD_MS, warmupMs: 0 })
    await closeSessions(warm)
    const sockets = await openSessions(url, SESSIONS, audioSetup())
    const closes = new Map<string, number>()
    for (const ws of sockets) {
      ws.on('close', (code: number, reason: Buffer) => {
        const key = `${code} ${reason.toString()}`
        closes.set(key, (closes.get(key) ?? 0) + 1)
      })
    }
    await sleep(500)
    const hostLoad = os.loadavg()[0] ?? NaN
    const before = readStats(statsFile).resumed
    const cpu0 = [cpuSeconds(livegate.pid), cpuSeconds(simulator.pid)] as const
    // Switches while frames are sent: an idle session in the drain also moves, with no stream to pause.
    let switches = NaN
    const load = await runResumeLoad(sockets, {
      durationMs: DURATION_MS,
      warmupMs: WARMUP_MS,
      onSent: () => { switches = readStats(statsFile).resumed - before },
    })
    const livegateCpuS = cpuSeconds(livegate.pid) - cpu0[0]
    const simulatorCpuS = cpuSeconds(simulator.pid) - cpu0[1]
    const closedEarly = sockets.filter((ws) => ws.readyState !== ws.OPEN).length
    await closeSessions(sockets)
    const rtt = summarize(load.rtts)
    process.stderr.write(`resume: ${variant.key} round ${round + 1}: sent ${load.sent}, lost ${load.lost}, duplicates ${load.duplicates}, ` +
      `misrouted ${load.misrouted}, switches ${switches}, client sockets closed early ${closedEarly}, ` +
      `RTT p50 ${ms(rtt.p50)} p99 ${ms(rtt.p99)} ms, cores livegate ${fixed(livegateCpuS * 1000 / load.wallMs, 2)} ` +
      `simulator ${fixed(simulatorCpuS * 1000 / load.wallMs, 2)}, wall ${fixed(load.wallMs / 1000, 1)} s, host load ${fixed(hostLoad, 1)}\n`)
    if (closedEarly > 0) throw new Error(`${closedEarly} client sockets closed during the run: ${JSON.stringify([...closes])}`)
    return { load, switches, hostLoad, livegateCpuS, simulatorCpuS }
  } finally {
    await Promise.all(started.map(async (c) => { await c.stop() }))
    rmSync(statsFile, { force: true })
    rmSync(`${statsFile}.tmp`, { force: true })
  }
}

/** The `k` largest values, largest first. */
function largest (samples: Float64Array, k: number): Float64Array {
  return Float64Array.from(samples).sort().reverse().slice(0, Math.max(0, k))
}

interface Row {
  variant: Variant
  sent: number
  lost: number
  duplicates: number
  misrouted: number
  switches: number
  rtt: ReturnType<typeof summarize>
  gap: ReturnType<typeof summarize>
  /** The largest gaps, one per switch (for the baseline: as many as the goAway runs had switches). */
  pause: ReturnType<typeof summarize>
  hostLoad: number
}

function concat (parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

function pool (variant: Variant, rounds: readonly Round[], switchesForBaseline: readonly number[]): Row {
  const sum = (f: (r: Round) => number): number => rounds.reduce((n, r) => n + f(r), 0)
  // Per round: the gaps of that round's run, and as many of its largest as switches happened (the baseline takes the
  // count of the goAway run of the same round, so the two columns compare like with like).
  const pauses = rounds.map((r, i) => largest(r.load.gaps, variant.goAway ? r.switches : (switchesForBaseline[i] ?? 0)))
  return {
    variant,
    sent: sum((r) => r.load.sent),
    lost: sum((r) => r.load.lost),
    duplicates: sum((r) => r.load.duplicates),
    misrouted: sum((r) => r.load.misrouted),
    switches: sum((r) => r.switches),
    rtt: summarize(concat(rounds.map((r) => r.load.rtts))),
    gap: summarize(concat(rounds.map((r) => r.load.gaps))),
    pause: summarize(concat(pauses)),
    hostLoad: sum((r) => r.hostLoad) / rounds.length,
  }
}

function report (rows: readonly Row[], started: Date, uptime: string): string {
  const base = rows.find((r) => r.variant.key === 'baseline')
  const lines = rows.map((r) => [
    r.variant.name,
    String(r.sent),
    String(r.lost),
    String(r.duplicates + r.misrouted),
    r.variant.goAway ? String(r.switches) : '—',
    r.variant.goAway ? `${ms(r.pause.p50)} / ${ms(r.pause.p99)} / ${ms(r.pause.max)}` : `(${ms(r.pause.p50)} / ${ms(r.pause.p99)} / ${ms(r.pause.max)})`,
    r.variant.goAway && base !== undefined ? `${signedMs(r.pause.p50 - base.gap.p50)} / ${signedMs(r.pause.p99 - base.gap.p50)}` : '—',
    `${ms(r.gap.p50)} / ${ms(r.gap.p99)}`,
    `${ms(r.rtt.p50)} / ${ms(r.rtt.p99)}`,
    r.variant.goAway && base !== undefined ? `${signedMs(r.rtt.p50 - base.rtt.p50)} / ${signedMs(r.rtt.p99 - base.rtt.p99)} (${fixed(r.rtt.p99 / base.rtt.p99, 2)}×)` : '—',
    fixed(r.hostLoad, 1),
  ])
  const goAways = rows.filter((r) => r.variant.goAway)
  const verdicts = goAways.map((r) => `- ${r.variant.name}: ${r.lost} frames lost, ${r.duplicates} echoed twice over ${r.switches} switches: ` +
    `${r.lost === 0 ? '**met**' : '**missed**'} (target 0 lost)`)
  return [
    `Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machineLine()}; \`uptime\` at the start: ${uptime}.`,
    '',
    `Command: \`${benchCommand('')}resume --sessions ${SESSIONS} --duration ${DURATION_MS / 1000} --warmup ${WARMUP_MS / 1000} ` +
      `--age ${AGE_MS} --notice ${NOTICE_MS} --rounds ${ROUNDS} --variants ${chosen.map((v) => v.key).join(',')}\` (bench/resume.ts).`,
    '',
    `Method: ${SESSIONS} audio sessions through livegate (\`src/main.ts\` as \`npm start\` runs it), 640-byte 16 kHz PCM ` +
      `chunks at 50 frames/s per session for ${DURATION_MS / 1000} s, open loop, phases spread, each chunk stamped ` +
      '(session, sequence) — the load of the relay benchmark. The simulator runs in echo mode in its own process; in ' +
      `the goAway runs with a connection age of ${AGE_MS} ms and \`goAway\` ${NOTICE_MS} ms before it, so every upstream ` +
      'connection sends `goAway` about ' + `${fixed((AGE_MS - NOTICE_MS) / 1000, 1)} s after it opened and livegate moves the session ` +
      'to a new one: with the index at the next resumable handle (in echo mode the simulator issues one a second after the ' +
      'previous one when frames were echoed since, src/simulator/README.md); without it livegate fences the old ' +
      'connection first (holds new frames back, pings it, and moves with the first handle after the pong, at most ' +
      '`LIVEGATE_RESUME_FENCE_MS`), at the latest with a quarter of `timeLeft` to spare. Each variant gets a fresh simulator and a fresh livegate per round, ' +
      `variants back to back in one run, each after a ${WARMUP_LOAD_MS / 1000} s warm-up load of ${WARMUP_SESSIONS} sessions. ` +
      '"lost": sent, never echoed (none of the missing echoes came for 5 s after the last send); "twice": echoes of a frame already received (plus any of another ' +
      'session). "switches": connections the simulator accepted with a resumption handle during the load. "echo gap": ' +
      'time between two consecutive echoes of one session, every gap of every session; "pause per switch": the ' +
      'largest gaps of the run, as many as there were switches (a switch shows as the longest silence of its ' +
      'stretch of stream; where a switch is quicker than the load\'s own jitter the count takes a jitter gap instead, ' +
      'so this is an upper bound). For the baseline the same count of largest gaps is shown in brackets: the longest ' +
      'silences the load has without any switch. "pause − normal gap" subtracts the baseline\'s median echo gap. RTT: ' +
      `send → echo in the load client, first ${WARMUP_MS / 1000} s left out.`,
    '',
    table(['run', 'frames sent', 'lost', 'twice', 'switches', 'pause per switch ms p50 / p99 / max',
      'pause − normal gap ms p50 / p99', 'echo gap ms p50 / p99', 'RTT ms p50 / p99', 'RTT vs no goAway p50 / p99', 'host load'], lines),
    '',
    '### Target (issue 10): frames lost across switches = 0',
    '',
    ...verdicts,
    '',
    '### Caveats',
    '',
    '- The machine is shared with other tenants (see host load and uptime); every figure includes waiting for a core. ' +
      'The variants ran back to back in the same conditions, which is what the differences compare.',
    '- The simulator answers each frame at once, so the pause is livegate\'s switch (close of the old upstream, dial, ' +
      'setup with the handle, setupComplete, replay) plus loopback; against Gemini add a dial and a setup round trip.',
    '- Without an index (the Gemini Developer API, livegate\'s default) a handle does not say which of the frames in ' +
      'flight when it was issued it covers. livegate learns it from ordering (src/live/resumption.ts): a handle that ' +
      'arrives after the pong to a ping covers what was sent before the ping, so before a switch it holds new frames ' +
      'back, pings, and moves with the first handle after the pong. The frames held meanwhile reach the model late, ' +
      'not lost: that wait (up to the simulator\'s next handle, a second apart) is the pause of this variant, longer ' +
      'than with the index, where the switch can use the newest handle at once. Against Gemini the wait is its own ' +
      'handle cadence; when no handle comes within `LIVEGATE_RESUME_FENCE_MS` (2 s) livegate moves with the newest one ' +
      'and splits the uncertain frames by the shortest round trip it has measured, where a frame in flight may be lost or repeated. ' +
      'Gemini\'s own pongs come 8–30 s late (longer than the fence): where pongs are not known to come in time, the ' +
      'fence passes after holding back for four of the shortest measured round trips (at least 100 ms) instead, and ' +
      'the handle after that is taken to cover everything sent (exact while the upstream reads a frame within the hold). ' +
      'The "pongs 10 s late" variant is that case.',
  ].join('\n')
}

const started = new Date()
const uptime = os.loadavg().map((l) => fixed(l, 2)).join(', ')
const perVariant = new Map<string, Round[]>()
for (let round = 0; round < ROUNDS; round++) {
  const order = chosen.map((_v, i) => chosen[(i + round) % chosen.length] as Variant)
  for (const variant of order) {
    perVariant.set(variant.key, [...(perVariant.get(variant.key) ?? []), await runVariant(variant, round)])
  }
}
const goAwayRounds = chosen.filter((v) => v.goAway).map((v) => perVariant.get(v.key) ?? [])
const switchesForBaseline = Array.from({ length: ROUNDS }, (_x, i) => {
  const counts = goAwayRounds.map((rs) => rs[i]?.switches ?? 0)
  return counts.length === 0 ? 0 : Math.round(counts.reduce((a, b) => a + b, 0) / counts.length)
})
const rows = chosen.map((v) => pool(v, perVariant.get(v.key) ?? [], switchesForBaseline))
const body = report(rows, started, `load average ${uptime}`)
if (!args['no-write']) writeSection('Resumption', body)
process.stdout.write(`${body}\n`)
