/**
 * @module bench/relay-count
 * Work per relayed round trip that does not depend on how busy the machine is: instructions (valgrind's callgrind,
 * user space, every thread of the relay's process) and syscalls (`/proc/<pid>/io` syscr + syscw, the kernel side)
 * for a fixed workload, N sessions × M stamped audio chunks echoed one at a time per session (lib/echo-loop.ts).
 * Each target runs alone in its own process, started under callgrind with instrumentation off; it is switched on
 * (`callgrind_control -i on`) only after the sessions are open and warmed up, so start-up, tsx compiling and session
 * set-up are not counted. Writes the "Relay instruction counts" section of bench/RESULTS.md.
 *
 *   npm run bench -- relay-count [--sessions 100] [--frames 200] [--warm 200] [--rounds 1]
 *                                [--targets bare,bare-fastify,bare-merged,livegate] [--tool callgrind|none] [--no-write]
 *
 * `--tool none` runs the relays plainly and reports syscalls and CPU time per round trip instead (CPU time is only
 * meaningful on a quiet machine). `--annotate N` prints the N functions with the most instructions of each target
 * (`--keep DIR` also writes each target's whole symbolized `callgrind_annotate` listing there).
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { spawnLivegate, spawnReporting, type Child, type Launch } from './lib/children.js'
import { runEchoLoop } from './lib/echo-loop.js'
import { audioSetup, closeSessions, liveUrl, openSessions } from './lib/live-client.js'
import { cpuSeconds, machineLine } from './lib/proc-stats.js'
import { benchCommand, writeSection } from './lib/results-md.js'
import { fixed, table } from './lib/stats.js'
import { CLIENT_TOKEN, SERVER_KEY } from './lib/targets.js'

const { values: args } = parseArgs({
  options: {
    sessions: { type: 'string', default: '100' },
    frames: { type: 'string', default: '200' },
    warm: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '1' },
    targets: { type: 'string', default: 'bare,bare-fastify,livegate' },
    tool: { type: 'string', default: 'callgrind' },
    annotate: { type: 'string', default: '0' },
    keep: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
})
const SESSIONS = Number(args.sessions)
const FRAMES = Number(args.frames)
const WARM_FRAMES = Number(args.warm)
const ROUNDS = Number(args.rounds)
const TOOL = args.tool
const ANNOTATE = Number(args.annotate)
const TARGET_KEYS = args.targets.split(',')
const SIMULATOR_CHILD = fileURLToPath(new URL('./lib/simulator-child.ts', import.meta.url))
const BARE_RELAY = fileURLToPath(new URL('./bare-relay.ts', import.meta.url))
/** Under valgrind everything runs 20–100× slower; on a loaded host more. */
const VALGRIND_READY_MS = 600_000
const LOOP_TIMEOUT_MS = TOOL === 'callgrind' ? 3_600_000 : 300_000

/** With `--annotate`, V8 writes /tmp/perf-<pid>.map, which names the JIT code callgrind only knows by address. */
const RELAY_NODE_ARGS = ANNOTATE > 0 ? ['--perf-basic-prof-only-functions'] : []

interface TargetSpec {
  readonly name: string
  start (upstream: string, launch: Launch | undefined): Promise<Child>
}

/** JIT code ranges of a process from V8's perf map: `start size name` per line, hex. */
function perfMap (pid: number): Array<{ start: number, end: number, name: string }> {
  let text: string
  try {
    text = readFileSync(`/tmp/perf-${pid}.map`, 'utf8')
  } catch {
    return []
  }
  return text.split('\n').flatMap((line) => {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line)
    if (m === null) return []
    const start = parseInt(m[1] as string, 16)
    return [{ start, end: start + parseInt(m[2] as string, 16), name: m[3] as string }]
  })
}

function symbolize (fn: string, map: ReadonlyArray<{ start: number, end: number, name: string }>): string {
  const m = /^\?\?\?:0x([0-9a-f]+) \[\?\?\?\]$/.exec(fn)
  if (m === null) return fn
  const at = parseInt(m[1] as string, 16)
  // The newest entry wins: V8 may reuse an address after code is thrown away.
  for (let i = map.length - 1; i >= 0; i--) {
    const e = map[i] as { start: number, end: number, name: string }
    if (at >= e.start && at < e.end) return `JIT ${e.name}`
  }
  return fn
}

/** livegate as bench/relay.ts runs it; extra environment per variant (e.g. `livegate:LIVEGATE_X=1`). */
function livegateSpec (name: string, env: Record<string, string>): TargetSpec {
  return {
    name,
    start: async (upstream, launch) => await spawnLivegate({
      GEMINI_API_KEY: SERVER_KEY,
      LIVEGATE_UPSTREAM_URL: upstream,
      LIVEGATE_CLIENT_TOKENS: CLIENT_TOKEN,
      LIVEGATE_RENDER_THREADS: '1',
      // Under valgrind the start alone outlasts Fastify's 10 s; the ready timeout below bounds it instead.
      LIVEGATE_STARTUP_TIMEOUT_MS: String(VALGRIND_READY_MS),
      ...env,
    }, RELAY_NODE_ARGS, launch),
  }
}

function spec (key: string): TargetSpec {
  if (key === 'bare') return { name: 'bare ws relay', start: async (up, launch) => await spawnReporting('bare-relay', BARE_RELAY, ['--upstream', up], RELAY_NODE_ARGS, launch) }
  if (key === 'bare-fastify') {
    return { name: 'bare relay on Fastify + @fastify/websocket', start: async (up, launch) => await spawnReporting('bare-relay', BARE_RELAY, ['--upstream', up, '--fastify'], RELAY_NODE_ARGS, launch) }
  }
  if (key === 'bare-like') {
    return { name: 'bare relay + livegate\'s per-frame work', start: async (up, launch) => await spawnReporting('bare-relay', BARE_RELAY, ['--upstream', up, '--like-livegate'], RELAY_NODE_ARGS, launch) }
  }
  if (key === 'bare-merged') {
    return { name: 'bare relay, frames written in one write', start: async (up, launch) => await spawnReporting('bare-relay', BARE_RELAY, ['--upstream', up, '--merged'], RELAY_NODE_ARGS, launch) }
  }
  if (key === 'livegate') return livegateSpec('livegate', {})
  const variant = /^livegate:(.+)$/.exec(key)
  if (variant !== null) {
    const env = Object.fromEntries((variant[1] as string).split('+').map((kv) => kv.split('=') as [string, string]))
    return livegateSpec(`livegate (${variant[1] as string})`, env)
  }
  throw new Error(`unknown target ${key}`)
}

/** Read and write syscalls of a process so far (`/proc/<pid>/io`; reads include recv, writes writev/send). */
function syscalls (pid: number): number {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8')
  const get = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)$`, 'm').exec(io)?.[1] ?? NaN)
  return get('syscr') + get('syscw')
}

function callgrindControl (pid: number, flag: string): void {
  execFileSync('callgrind_control', [...flag.split(' '), String(pid)], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 })
}

/** The `totals:`/`summary:` Ir of the newest dump of `pid` in `dir`. */
function dumpedInstructions (dir: string, pid: number): { ir: number, file: string } {
  const dumps = readdirSync(dir).filter((f) => f.startsWith(`cg.${pid}`)).sort()
  const file = join(dir, dumps[dumps.length - 1] ?? '')
  const text = readFileSync(file, 'utf8')
  const match = /^(?:totals|summary):\s+(\d+)/m.exec(text)
  if (match === null) throw new Error(`no totals in ${file}`)
  return { ir: Number(match[1]), file }
}

const IDLE_WINDOW_MS = 10_000
/** Wait until the relay's process is quiet (start-up work, e.g. render worker threads loading, has finished). */
async function settle (pid: number): Promise<void> {
  const deadline = Date.now() + (TOOL === 'callgrind' ? 600_000 : 60_000)
  for (;;) {
    const cpu0 = cpuSeconds(pid)
    await sleep(2_000)
    const busy = (cpuSeconds(pid) - cpu0) / 2
    if (busy < 0.05 || Date.now() > deadline) {
      process.stderr.write(`relay-count: settled at ${fixed(busy * 100, 1)} % of a core\n`)
      return
    }
  }
}

interface Row { target: string, round: number, roundTrips: number, irPerRoundTrip: number, syscallsPerRoundTrip: number, cpuUsPerRoundTrip: number, wallMs: number }

async function measure (key: string, round: number, upstream: string, dir: string): Promise<Row> {
  const target = spec(key)
  const launch: Launch | undefined = TOOL === 'callgrind'
    ? { launcher: ['valgrind', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${join(dir, 'cg.%p')}`], readyTimeoutMs: VALGRIND_READY_MS }
    : undefined
  process.stderr.write(`relay-count: starting ${target.name}\n`)
  const child = await target.start(upstream, launch)
  try {
    const port = String(child.info.port)
    const sockets = await openSessions(liveUrl(`http://127.0.0.1:${port}`, CLIENT_TOKEN), SESSIONS, audioSetup(), 10)
    if (WARM_FRAMES > 0) await runEchoLoop(sockets, WARM_FRAMES, LOOP_TIMEOUT_MS)
    await settle(child.pid)
    // What the process does with no frames at all (timers, idle worker threads), per second, to take out of the
    // loaded window: under valgrind a round trip lasts ~100× longer, so per-second work would weigh ~100× more.
    let idleIrPerS = 0
    if (TOOL === 'callgrind') {
      callgrindControl(child.pid, '-i on')
      const idleStart = Date.now()
      await sleep(IDLE_WINDOW_MS)
      callgrindControl(child.pid, '-d')
      idleIrPerS = dumpedInstructions(dir, child.pid).ir * 1000 / (Date.now() - idleStart)
    }
    const sys0 = syscalls(child.pid)
    const cpu0 = cpuSeconds(child.pid)
    const loop = await runEchoLoop(sockets, FRAMES, LOOP_TIMEOUT_MS)
    const cpuS = cpuSeconds(child.pid) - cpu0
    const sys = syscalls(child.pid) - sys0
    let ir = NaN
    if (TOOL === 'callgrind') {
      callgrindControl(child.pid, '-d')
      callgrindControl(child.pid, '-i off')
      const dumped = dumpedInstructions(dir, child.pid)
      ir = dumped.ir - idleIrPerS * loop.wallMs / 1000
      process.stderr.write(`relay-count: ${target.name}: idle ${fixed(idleIrPerS, 0)} Ir/s; loaded window ${dumped.ir} Ir, ${fixed(idleIrPerS * loop.wallMs / 1000, 0)} of them idle work\n`)
      if (args.keep !== undefined) copyFileSync(dumped.file, join(args.keep, `callgrind.${key.replace(/[^a-z0-9=+-]/gi, '_')}.${round}.out`))
      if (ANNOTATE > 0) {
        const top = execFileSync('callgrind_annotate', ['--threshold=100', dumped.file], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 })
        const lines = top.split('\n')
        const first = lines.findIndex((l) => /file:function/.test(l))
        const map = perfMap(child.pid)
        if (args.keep !== undefined) {
          const symbolized = lines.map((l) => l.replace(/\?\?\?:0x[0-9a-f]+ \[\?\?\?\]/, (fn) => symbolize(fn, map)))
          writeFileSync(join(args.keep, `${key.replace(/[^a-z0-9=+-]/gi, '_')}.${round}.txt`), symbolized.join('\n'))
        }
        process.stderr.write(`\n${target.name}: top functions (Ir per round trip)\n`)
        for (const line of lines.slice(first + 2, first + 2 + ANNOTATE)) {
          const m = /^\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(.*)$/.exec(line)
          if (m === null) continue
          process.stderr.write(`${fixed(Number((m[1] as string).replace(/,/g, '')) / loop.roundTrips, 0).padStart(8)} ${(m[2] as string).padStart(6)}%  ${symbolize(m[3] as string, map).slice(0, 150)}\n`)
        }
      }
    }
    await closeSessions(sockets)
    const row: Row = {
      target: target.name,
      round,
      roundTrips: loop.roundTrips,
      irPerRoundTrip: ir / loop.roundTrips,
      syscallsPerRoundTrip: sys / loop.roundTrips,
      cpuUsPerRoundTrip: cpuS * 1e6 / loop.roundTrips,
      wallMs: loop.wallMs,
    }
    process.stderr.write(`relay-count: ${target.name}: ${fixed(row.irPerRoundTrip, 0)} Ir, ${fixed(row.syscallsPerRoundTrip, 2)} syscalls, ` +
      `${fixed(row.cpuUsPerRoundTrip, 1)} µs CPU per round trip (${loop.roundTrips} round trips in ${loop.wallMs} ms)\n`)
    return row
  } finally {
    await child.stop()
    rmSync(`/tmp/perf-${child.pid}.map`, { force: true })
  }
}

const started = new Date()
const dir = mkdtempSync(join(os.tmpdir(), 'livegate-relay-count-'))
const rows: Row[] = []
try {
  for (let round = 0; round < ROUNDS; round++) {
    const simulator = await spawnReporting('simulator', SIMULATOR_CHILD)
    try {
      for (const key of TARGET_KEYS) rows.push(await measure(key, round, String(simulator.info.url), dir))
    } finally {
      await simulator.stop()
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}

const names = [...new Set(rows.map((r) => r.target))]
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
const summary = names.map((name) => {
  const mine = rows.filter((r) => r.target === name)
  return { name, ir: mean(mine.map((r) => r.irPerRoundTrip)), sys: mean(mine.map((r) => r.syscallsPerRoundTrip)), cpu: mean(mine.map((r) => r.cpuUsPerRoundTrip)) }
})
const bare = summary.find((s) => s.name === 'bare ws relay')
const body = [
  `Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machineLine()}; 1-minute load average ${fixed(os.loadavg()[0] ?? NaN, 1)} at the end.`,
  '',
  `Command: \`${benchCommand('')}relay-count --sessions ${SESSIONS} --frames ${FRAMES} --warm ${WARM_FRAMES} --rounds ${ROUNDS} --targets ${TARGET_KEYS.join(',')} --tool ${TOOL}\` (bench/relay-count.ts).`,
  '',
  `Method: the simulator (echo mode) in its own process; each relay in turn in its own process${TOOL === 'callgrind' ? ', under `valgrind --tool=callgrind --instr-atstart=no`' : ''}. ` +
    `${SESSIONS} sessions open (setup done), ${WARM_FRAMES} warm-up round trips each, then ${FRAMES} measured round trips each: a stamped 640-byte ` +
    'audio chunk (the relay benchmark\'s `realtimeInput` text frame) sent, the next one only after its echo (one frame in flight per session). ' +
    'Counted over the measured round trips only, in the relay\'s process: instructions in user space, every thread (callgrind `Ir`, switched ' +
    'on with `callgrind_control -i on` once the process is quiet after the warm-up), less the idle rate (instructions per second with the ' +
    'sessions open and silent, measured for 10 s just before) times the loaded window\'s length: under valgrind a round trip lasts ~100× ' +
    'longer, so timers would otherwise weigh ~100× more; and read + write syscalls (`/proc/<pid>/io` syscr + syscw). A round trip is two ' +
    'relayed frames (client → upstream, upstream → client). Counts do not depend on the load of the host; CPU time does.',
  '',
  table(['target', 'instructions per round trip', 'vs bare', TOOL === 'callgrind' ? 'syscalls per round trip (valgrind\'s own included: `--tool none` for the relay\'s)' : 'syscalls per round trip', 'vs bare', TOOL === 'callgrind' ? 'CPU µs per round trip (under valgrind)' : 'CPU µs per round trip'],
    summary.map((s) => [
      s.name,
      fixed(s.ir, 0),
      bare === undefined || s === bare ? '—' : `${fixed(s.ir / bare.ir, 3)}×`,
      fixed(s.sys, 2),
      bare === undefined || s === bare ? '—' : `${fixed(s.sys / bare.sys, 3)}×`,
      fixed(s.cpu, 1),
    ])),
].join('\n')
if (!args['no-write']) writeSection('Relay instruction counts', body)
process.stdout.write(`${body}\n`)
