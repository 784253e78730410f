/**
 * @module bench/tools
 * Issue 4's benchmark (and the "relay p99 during renders" of issues 3 and 14):
 *
 * 1. Tool turnaround: time from the simulator sending `toolCall{render_altair}` (the seed's five-film chart) to it
 *    reading livegate's `toolResponse`, measured inside the simulator's script. Cold: every call has a new title,
 *    so the chart is rendered; warm: the seed's own arguments again, a cache hit. The baseline is the render alone,
 *    `app.livegate.charts.create()` on the same app with fresh titles, interleaved with the cold calls. The simulator,
 *    livegate and the client share this process (one session, one call at a time).
 * 2. Relay frame p99 during renders: livegate and the simulator in their own processes; N audio echo sessions
 *    through livegate (as in bench/relay.ts) while K other sessions keep K cold renders in flight, for K = 0 (idle),
 *    4 and 20, interleaved over rounds.
 *
 * Writes the "Tools" section of bench/RESULTS.md (with `--pin`, "Tools, gateway on CPUs of its own").
 *
 *   npm run bench -- tools [--cold 30] [--warm 200] [--audio 100] [--renders 0,4,20] [--duration 10] [--warmup 1]
 *                          [--rounds 2] [--outside 0] [--store fs] [--pin] [--no-write]
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { runAudioLoad, type AudioLoadResult } from './lib/audio-load.js'
import { audioSetup, closeSessions, openSessions, textSetup } from './lib/live-client.js'
import { pin, splitCpus, type CpuSplit } from './lib/pin.js'
import { cpuSecondsWithChildren, machineLine } from './lib/proc-stats.js'
import { startRenderLoad } from './lib/render-sessions.js'
import { measureTurnaround, type TurnaroundResult } from './lib/tool-turnaround.js'
import { benchCommand, writeSection } from './lib/results-md.js'
import { fixed, ms, signedMs, summarize, table, type Summary } from './lib/stats.js'
import { startTargets } from './lib/targets.js'

const { values: args } = parseArgs({
  options: {
    cold: { type: 'string', default: '30' },
    warm: { type: 'string', default: '200' },
    audio: { type: 'string', default: '100' },
    renders: { type: 'string', default: '0,4,20' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '2' },
    'render-threads': { type: 'string', default: 'default,default@normal' },
    /** Also measure K = 0 while this many render loops run at SCHED_IDLE outside livegate (bench/lib/render-loop.ts). */
    outside: { type: 'string', default: '0' },
    /** Artifact store of the livegate measured under renders: `fs` (a fresh directory each round) or `memory`. */
    store: { type: 'string', default: 'fs' },
    /** Give livegate (and its render process) half the CPUs and the load client and simulator the other half. */
    pin: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
})
const COLD_RUNS = Number(args.cold)
const WARM_RUNS = Number(args.warm)
const AUDIO_SESSIONS = Number(args.audio)
const OUTSIDE_LOOPS = Number(args.outside)
/** K values; a negative one, -N, is K = 0 with N render loops outside livegate. */
const RENDER_COUNTS = [...args.renders.split(',').map(Number), ...(OUTSIDE_LOOPS > 0 ? [-OUTSIDE_LOOPS] : [])]
const RENDER_LOOP = fileURLToPath(new URL('./lib/render-loop.ts', import.meta.url))
const DURATION_MS = Number(args.duration) * 1000
const WARMUP_MS = Number(args.warmup) * 1000
const ROUNDS = Number(args.rounds)
/**
 * livegate configurations for the "during renders" part: `default` (LIVEGATE_RENDER_THREADS unset) or a count, and
 * after `@` a LIVEGATE_RENDER_PRIORITY (`idle`, the default, `low` or `normal`).
 */
const THREAD_SETTINGS = args['render-threads'].split(',')
const DEFAULT_THREADS = Math.max(1, Math.min(4, os.availableParallelism()))
/** Targets: issue 4 (turnaround), issue 3 (relay p99 during 4 renders within 10 % of idle), issue 14 (within 1.25×). */
const WARM_TARGET_MS = 5
const COLD_OVER_RENDER_TARGET_MS = 5
const P99_DURING_RENDERS_TARGET = 0.10
const P99_DURING_RENDERS_RATIO_TARGET = 1.25
const RUN_ID = Date.now().toString(36)
const CPU_SPLIT: CpuSplit | undefined = args.pin ? splitCpus() : undefined
if (args.pin && CPU_SPLIT === undefined) throw new Error('--pin needs at least 2 CPUs')

interface RenderRow {
  /** LIVEGATE_RENDER_THREADS of the livegate measured. */
  threads: number
  /** The configuration as given (`default`, `1`, `default+nice`, ...). */
  setting: string
  renders: number
  rtt: Summary
  sent: number
  lost: number
  rendersDone: number
  renderTurn: Summary
  /** livegate's CPU (all threads, render workers included) over the runs, in cores. */
  livegateCores: number
  /** The render process's CPU (livegate's child), in cores. */
  renderCores: number
  hostLoad: number
}

function startRenderLoops (n: number): ChildProcess[] {
  const loop = ['chrt', '--idle', '0', process.execPath, '--import', 'tsx', RENDER_LOOP]
  // Outside livegate but on livegate's CPUs when pinned: the floor for renders sharing the relay's cores.
  const argv = CPU_SPLIT === undefined ? loop : ['taskset', '-c', CPU_SPLIT.gateway, ...loop]
  return Array.from({ length: n }, () => spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] }))
}

async function stopLoop (loop: ChildProcess): Promise<void> {
  if (loop.exitCode !== null || loop.signalCode !== null) return
  const exited = once(loop, 'exit')
  loop.kill('SIGKILL')
  await exited
}

async function measureUnderRenders (threadSetting: string): Promise<RenderRow[]> {
  const [count = 'default', priority] = threadSetting.split('@')
  const threads = count === 'default' ? DEFAULT_THREADS : Number(count)
  const measures = new Map<number, Array<{ load: AudioLoadResult, turns: number[], cpuS: number, renderCpuS: number, wallS: number, hostLoad: number }>>(
    RENDER_COUNTS.map((k) => [k, []]))
  // Fresh processes every round, and the order of K reversed every other round: the simulator's heap grows with the
  // sessions and renders a round opens (resumption handles live two hours), and with it its pauses, so a fixed order
  // in one long-lived set of processes would charge that growth to whichever K comes later.
  for (let round = 0; round < ROUNDS; round++) {
    const storeDir = mkdtempSync(join(os.tmpdir(), 'livegate-bench-tools-'))
    const env: Record<string, string> = { LIVEGATE_STORE: args.store === 'memory' ? 'memory' : `fs:${storeDir}` }
    if (count !== 'default') env.LIVEGATE_RENDER_THREADS = String(threads)
    if (priority !== undefined) env.LIVEGATE_RENDER_PRIORITY = priority
    const targets = await startTargets({ bare: false, livegateEnv: env })
    const url = targets.livegate.url
    const pid = targets.livegate.child.pid
    if (CPU_SPLIT !== undefined) {
      pin(pid, CPU_SPLIT.gateway)
      pin(targets.simulator.pid, CPU_SPLIT.load)
    }
    try {
      // Warm-up: the relay path and the render workers.
      const warmAudio = await openSessions(url, 50, audioSetup())
      const warmRender = await openSessions(url, 2, textSetup())
      const warmLoad = startRenderLoad(warmRender, `${RUN_ID}-warm-${round}`)
      await runAudioLoad(warmAudio, { durationMs: 3_000, warmupMs: 0 })
      await warmLoad.stop()
      await closeSessions([...warmAudio, ...warmRender])

      for (const k of round % 2 === 0 ? RENDER_COUNTS : [...RENDER_COUNTS].reverse()) {
        const audio = await openSessions(url, AUDIO_SESSIONS, audioSetup())
        const renderSockets = k > 0 ? await openSessions(url, k, textSetup()) : []
        const loops = k < 0 ? startRenderLoops(-k) : []
        const renders = startRenderLoad(renderSockets, `${RUN_ID}-r${round}-k${k}`)
        await sleep(500)
        const hostLoad = os.loadavg()[0] ?? NaN
        const cpu0 = cpuSecondsWithChildren(pid)
        const wall0 = performance.now()
        const load = await runAudioLoad(audio, { durationMs: DURATION_MS, warmupMs: WARMUP_MS })
        const cpu1 = cpuSecondsWithChildren(pid)
        const cpuS = cpu1.own - cpu0.own
        const renderCpuS = cpu1.children - cpu0.children
        const wallS = (performance.now() - wall0) / 1000
        const turns = await renders.stop()
        await Promise.all(loops.map(stopLoop))
        await closeSessions([...audio, ...renderSockets])
        await sleep(500)
        measures.get(k)?.push({ load, turns, cpuS, renderCpuS, wallS, hostLoad })
        process.stderr.write(`tools: ${threadSetting} render threads, round ${round}, ${k} renders at once: audio p99 ${ms(summarize(load.rtts).p99)} ms, ${turns.length} renders, ` +
          `host load ${fixed(hostLoad, 1)}\n`)
      }
    } finally {
      await targets.stop()
      rmSync(storeDir, { recursive: true, force: true })
    }
  }
  return RENDER_COUNTS.map((k) => {
    const m = measures.get(k) ?? []
    const rtts = Float64Array.from(m.flatMap((x) => Array.from(x.load.rtts)))
    const turns = m.flatMap((x) => x.turns)
    return {
      threads,
      setting: threadSetting,
      renders: k,
      rtt: summarize(rtts),
      sent: m.reduce((a, x) => a + x.load.sent, 0),
      lost: m.reduce((a, x) => a + x.load.lost + x.load.misrouted, 0),
      rendersDone: turns.length,
      renderTurn: summarize(turns),
      livegateCores: m.reduce((a, x) => a + x.cpuS, 0) / m.reduce((a, x) => a + x.wallS, 0),
      renderCores: m.reduce((a, x) => a + x.renderCpuS, 0) / m.reduce((a, x) => a + x.wallS, 0),
      hostLoad: m.reduce((a, x) => a + x.hostLoad, 0) / Math.max(1, m.length),
    }
  })
}

function report (t: TurnaroundResult, rows: readonly RenderRow[], started: Date): string {
  const verdict = (ok: boolean): string => ok ? '**met**' : '**missed**'
  const defaults = rows.filter((r) => r.setting === 'default')
  const idle = defaults.find((r) => r.renders === 0)
  const four = defaults.find((r) => r.renders === 4)
  const coldOver = t.cold.p50 - t.render.p50
  const targets = [
    `- Warm-cache turnaround ≤ ${WARM_TARGET_MS} ms: p50 ${ms(t.warm.p50)} ms ${verdict(t.warm.p50 <= WARM_TARGET_MS)}, ` +
      `p90 ${ms(t.warm.p90)} ms ${verdict(t.warm.p90 <= WARM_TARGET_MS)}, p99 ${ms(t.warm.p99)} ms ${verdict(t.warm.p99 <= WARM_TARGET_MS)}`,
    `- Cold turnaround ≤ render time + ${COLD_OVER_RENDER_TARGET_MS} ms: p50 ${ms(t.cold.p50)} ms vs render p50 ${ms(t.render.p50)} ms ` +
      `(${signedMs(coldOver)} ms) ${verdict(coldOver <= COLD_OVER_RENDER_TARGET_MS)}; p90 ${ms(t.cold.p90)} vs ${ms(t.render.p90)} ms ` +
      `(${signedMs(t.cold.p90 - t.render.p90)} ms) ${verdict(t.cold.p90 - t.render.p90 <= COLD_OVER_RENDER_TARGET_MS)}`,
  ]
  if (idle !== undefined && four !== undefined) {
    const rise = four.rtt.p99 / idle.rtt.p99 - 1
    targets.push(`- Relay p99 with 4 renders at once within ${P99_DURING_RENDERS_TARGET * 100} % of idle (issue 3, default config): ` +
      `${ms(four.rtt.p99)} ms vs ${ms(idle.rtt.p99)} ms (${rise >= 0 ? '+' : ''}${fixed(rise * 100, 0)} %): ${verdict(rise <= P99_DURING_RENDERS_TARGET)}`)
    targets.push(`- Relay p99 with 4 renders at once ≤ ${P99_DURING_RENDERS_RATIO_TARGET}× idle (issue 14, default config): ` +
      `${fixed(four.rtt.p99 / idle.rtt.p99, 2)}× ${verdict(four.rtt.p99 / idle.rtt.p99 <= P99_DURING_RENDERS_RATIO_TARGET)}`)
  }
  const renderRows = rows.map((r) => {
    const base = rows.find((x) => x.setting === r.setting && x.renders === 0)
    return [
      `${r.threads}, ${r.setting.split('@')[1] ?? 'idle'}`,
      r.renders < 0 ? `0 (+${-r.renders} render loops outside livegate, SCHED_IDLE)` : String(r.renders),
      String(AUDIO_SESSIONS),
      String(r.sent),
      String(r.lost),
      ms(r.rtt.p50),
      ms(r.rtt.p99),
      base === undefined || r === base ? '—' : `${r.rtt.p99 >= base.rtt.p99 ? '+' : ''}${fixed((r.rtt.p99 / base.rtt.p99 - 1) * 100, 0)} %`,
      String(r.rendersDone),
      r.rendersDone === 0 ? '—' : ms(r.renderTurn.p50),
      fixed(r.livegateCores, 2),
      fixed(r.renderCores, 2),
      fixed(r.hostLoad, 1),
    ]
  })

  return [
    `Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machineLine()}.`,
    '',
    `Command: \`${benchCommand('')}tools --cold ${COLD_RUNS} --warm ${WARM_RUNS} --audio ${AUDIO_SESSIONS} ` +
      `--renders ${args.renders} --outside ${OUTSIDE_LOOPS} --duration ${DURATION_MS / 1000} --warmup ${WARMUP_MS / 1000} --rounds ${ROUNDS} ` +
      `--render-threads ${THREAD_SETTINGS.join(',')} --store ${args.store}${args.pin ? ' --pin' : ''}\` (bench/tools.ts).`,
    '',
    '### Tool turnaround: upstream `toolCall` → `toolResponse` upstream (five-film chart, one call at a time)',
    '',
    'Measured in the simulator (bench/lib/render-script.ts): from just before it sends `toolCall{render_altair}` to ' +
      'just after it has read livegate\'s `toolResponse` for that id. Simulator, livegate (`buildApp`, default ' +
      'config, fs store in a fresh temp dir) and the client share one process. Cold calls carry a new chart title ' +
      'each (a cache miss); the baseline is `app.livegate.charts.create()` on the same app, fresh titles, ' +
      'interleaved with the cold calls; warm calls repeat the seed\'s own arguments (a cache hit).',
    '',
    table(['case', 'runs', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'], [
      ['cold: tool turnaround', String(t.cold.n), ms(t.cold.p50), ms(t.cold.p90), ms(t.cold.p99), ms(t.cold.max)],
      ['cold: render alone (`charts.create`)', String(t.render.n), ms(t.render.p50), ms(t.render.p90), ms(t.render.p99), ms(t.render.max)],
      ['warm: tool turnaround', String(t.warm.n), ms(t.warm.p50), ms(t.warm.p90), ms(t.warm.p99), ms(t.warm.max)],
      ['warm: `charts.create` cache hit alone', String(t.warmDirect.n), ms(t.warmDirect.p50), ms(t.warmDirect.p90), ms(t.warmDirect.p99), ms(t.warmDirect.max)],
    ]),
    '',
    '### Relay frame round trip while renders run',
    '',
    `livegate (\`src/main.ts\`, default config: ${DEFAULT_THREADS} render threads here; also with \`LIVEGATE_RENDER_THREADS\` ` +
      `set to ${THREAD_SETTINGS.filter((t) => !t.startsWith('default')).join(', ') || '(none)'}, each in a livegate of its own; ` +
      'renders and map draws run in livegate\'s render process, a child started at LIVEGATE_RENDER_PRIORITY (the ' +
      'setting after the thread count; `idle`, the default, is SCHED_IDLE on Linux: src/workers/render-host.ts), ' +
      'a fresh livegate and simulator every round) and the simulator ' +
      `(echo mode plus the render script) in their own processes; ${AUDIO_SESSIONS} audio sessions at 50 frames/s through livegate ` +
      `(bench/lib/audio-load.ts, as in the Relay section) for ${DURATION_MS / 1000} s per round while K other sessions each ` +
      'keep one cold render in flight (ask, wait for `turnComplete`, ask again with a new title). ' +
      `${ROUNDS} rounds, K in turn (the order reversed every other round), samples pooled; the first ${WARMUP_MS / 1000} s of each measurement left out.` +
      (OUTSIDE_LOOPS > 0
        ? ` The "render loops outside livegate" row has no render sessions: ${OUTSIDE_LOOPS} processes of their own render the same chart in a loop ` +
          'at SCHED_IDLE (bench/lib/render-loop.ts), so it shows what idle-priority renders cost the relay on shared cores ' +
          '(caches, memory bandwidth, preemption) with none of livegate\'s work for them.'
        : '') +
      (CPU_SPLIT !== undefined
        ? ` Pinned (\`--pin\`, bench/lib/pin.ts): livegate and its render process on CPU ${CPU_SPLIT.gateway}, the load client and ` +
          `the simulator on CPU ${CPU_SPLIT.load}, so the rows measure what renders cost the relay on the gateway's own cores, ` +
          'not the load client waiting for a core the renders took; the outside loops run on the gateway\'s CPUs.'
        : ''),
    '',
    table(['render threads, priority', 'renders at once (K)', 'audio sessions', 'frames', 'lost', 'p50 RTT ms', 'p99 RTT ms', 'p99 vs idle',
      'renders done', 'render turn p50 ms', 'gateway process CPU (cores)', 'render process CPU (cores)', 'host load'], renderRows),
    '',
    '### Targets (issues 4, 3 and 14)',
    '',
    ...targets,
    '',
    '### Caveats',
    '',
    CPU_SPLIT === undefined
      ? `- ${machineLine().split(', ')[1] ?? 'Few cores'}: the render process, livegate's relay thread, the simulator and the ` +
        'load client all share them. At `normal` priority a render that occupies a core takes it from the relay and the ' +
        'load client alike; at `idle` it runs only when they leave a core free.'
      : `- Pinned: the render process shares CPU ${CPU_SPLIT.gateway} with livegate's relay thread only; the load client and the ` +
        `simulator share CPU ${CPU_SPLIT.load}, which no render touches: whatever spread the idle rows have is not the renders'.`,
    '- The render turn (last table) is the client\'s view: its text turn from `render <tag>` to `turnComplete`, which ' +
      'includes the simulator\'s scripted reply after the tool response.',
    '- Below normal priority the render process gives way to every normal-priority task, other tenants\' included: on ' +
      'a shared host that can cut render throughput (fewer renders done, longer render turns); compare the rows.',
  ].join('\n')
}

const started = new Date()
const turnaround = await measureTurnaround({ coldRuns: COLD_RUNS, warmRuns: WARM_RUNS })
const rows: RenderRow[] = []
// After the turnaround, which runs livegate in this process: only the load client shares the load's CPUs.
if (CPU_SPLIT !== undefined) pin(process.pid, CPU_SPLIT.load)
for (const setting of THREAD_SETTINGS) rows.push(...await measureUnderRenders(setting))
const body = report(turnaround, rows, started)
if (!args['no-write']) writeSection(CPU_SPLIT === undefined ? 'Tools' : 'Tools, gateway on CPUs of its own', body)
process.stdout.write(`${body}\n`)
