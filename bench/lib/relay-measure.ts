/**
 * @module bench/lib/relay-measure
 * One measured round of the relay benchmark (N sessions of audio through one target, with the CPU of the target's
 * process and the simulator's over it), pooling rounds into a table row, and the idle-session RSS measurement.
 */
import os from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { runAudioLoad, type AudioLoadOptions, type AudioLoadResult } from './audio-load.js'
import { audioSetup, closeSessions, openSessions } from './live-client.js'
import { cpuSeconds, cpuSplit, mainThreadCpuSeconds, rssBytes } from './proc-stats.js'
import { fixed, ms, summarize, type Summary } from './stats.js'
import type { Target } from './targets.js'

export interface LoadRow {
  sessions: number
  target: string
  /** One per round, in order. */
  rounds: AudioLoadResult[]
  sent: number
  received: number
  lost: number
  misrouted: number
  rtt: Summary
  lag: Summary
  /** CPU of the target's process over the runs, per frame it relayed (µs); the simulator's own for the direct row. */
  cpuUsPerFrame: number
  /** The same, round by round (rounds of different targets with the same index ran back to back). */
  roundCpuUsPerFrame: number[]
  simulatorCpuUsPerFrame: number
  /** Cores busy over the runs: the target's process, the simulator, the load client. */
  cores: { target: number, simulator: number, client: number }
  /** Mean 1-minute load average of the host at the start of each round (other work on the machine shows here). */
  hostLoad: number
}

export interface IdleRow {
  target: string
  sessions: number
  beforeBytes: number
  afterBytes: number
  /** RSS with twice `sessions` open (after a full GC). */
  moreBytes: number
  /** RSS after the sessions closed and a full GC (the allocator may keep freed pages: not a leak test). */
  afterCloseBytes: number
  /** V8 heap in use after a full GC: before, with the sessions open, after they closed (a leak test). */
  heapUsed: { before: number, open: number, closed: number }
}

export interface RoundMeasure {
  load: AudioLoadResult
  cpuS: number
  simulatorCpuS: number
  hostLoad: number
  /** The relay's CPU per frame split by `/proc/<pid>/stat` (10 ms ticks): its own code vs the kernel's. */
  userUsPerFrame: number
  systemUsPerFrame: number
}

export async function loadRound (target: Target, simulatorPid: number, sessions: number, options: AudioLoadOptions): Promise<RoundMeasure> {
  const sockets = await openSessions(target.url, sessions, audioSetup())
  await sleep(500)
  const hostLoad = os.loadavg()[0] ?? NaN
  const cpu0 = cpuSeconds(target.child.pid)
  const split0 = cpuSplit(target.child.pid)
  const main0 = mainThreadCpuSeconds(target.child.pid)
  const sim0 = cpuSeconds(simulatorPid)
  const load = await runAudioLoad(sockets, options)
  const cpuS = cpuSeconds(target.child.pid) - cpu0
  const split1 = cpuSplit(target.child.pid)
  const mainUs = (mainThreadCpuSeconds(target.child.pid) - main0) * 1e6 / (load.sent + load.received)
  const frames = load.sent + load.received
  const userUs = (split1.user - split0.user) * 1e6 / frames
  const systemUs = (split1.system - split0.system) * 1e6 / frames
  const simulatorCpuS = cpuSeconds(simulatorPid) - sim0
  await closeSessions(sockets)
  await sleep(500)
  process.stderr.write(`relay: ${sessions} sessions, ${target.name}: p50 ${ms(summarize(load.rtts).p50)} ms, ` +
    `p99 ${ms(summarize(load.rtts).p99)} ms, ${fixed(cpuS * 1e6 / (load.sent + load.received), 1)} µs CPU/frame ` +
    `(user ${fixed(userUs, 1)}, system ${fixed(systemUs, 1)}; main thread ${fixed(mainUs, 1)}), lost ${load.lost}, misrouted ${load.misrouted}, host load ${fixed(hostLoad, 1)}\n`)
  return { load, cpuS, simulatorCpuS, hostLoad, userUsPerFrame: userUs, systemUsPerFrame: systemUs }
}

export function pool (sessions: number, target: string, measures: readonly RoundMeasure[]): LoadRow {
  const rounds = measures.map((m) => m.load)
  const sum = (f: (r: AudioLoadResult) => number): number => rounds.reduce((acc, r) => acc + f(r), 0)
  const concat = (f: (r: AudioLoadResult) => Float64Array): Float64Array => {
    const out = new Float64Array(sum((r) => f(r).length))
    let at = 0
    for (const r of rounds) { out.set(f(r), at); at += f(r).length }
    return out
  }
  // Each echoed frame crossed the relay twice (in and out).
  const frames = sum((r) => r.sent + r.received)
  return {
    sessions,
    target,
    rounds,
    sent: sum((r) => r.sent),
    received: sum((r) => r.received),
    lost: sum((r) => r.lost),
    misrouted: sum((r) => r.misrouted),
    rtt: summarize(concat((r) => r.rtts)),
    lag: summarize(concat((r) => r.sendLag)),
    cpuUsPerFrame: measures.reduce((acc, m) => acc + m.cpuS, 0) * 1e6 / frames,
    roundCpuUsPerFrame: measures.map((m) => m.cpuS * 1e6 / (m.load.sent + m.load.received)),
    simulatorCpuUsPerFrame: measures.reduce((acc, m) => acc + m.simulatorCpuS, 0) * 1e6 / frames,
    hostLoad: measures.reduce((acc, m) => acc + m.hostLoad, 0) / measures.length,
    cores: {
      target: measures.reduce((acc, m) => acc + m.cpuS, 0) * 1000 / sum((r) => r.wallMs),
      simulator: measures.reduce((acc, m) => acc + m.simulatorCpuS, 0) * 1000 / sum((r) => r.wallMs),
      client: sum((r) => r.clientCpuMs) / sum((r) => r.wallMs),
    },
  }
}

/**
 * RSS growth of the target's process per idle session (after a full GC each time), past a small warm-up: for the
 * first `sessions` (what opening them cost, one-time growth of the heap and code included), and for `sessions` more
 * (the marginal cost, the slope: what each further idle session costs once the process is warm). The first figure
 * depends on how much free room the heap had before (a process that loaded more modules has more), the slope does not.
 */
export async function idleRun (target: Target, sessions: number): Promise<IdleRow> {
  await closeSessions(await openSessions(target.url, 20, audioSetup()))
  await sleep(500)
  const heapBefore = await target.child.collectGarbage()
  const beforeBytes = rssBytes(target.child.pid)
  const sockets = await openSessions(target.url, sessions, audioSetup())
  await sleep(1000)
  const heapOpen = await target.child.collectGarbage()
  const afterBytes = rssBytes(target.child.pid)
  const more = await openSessions(target.url, sessions, audioSetup())
  await sleep(1000)
  await target.child.collectGarbage()
  const moreBytes = rssBytes(target.child.pid)
  await closeSessions(more)
  await closeSessions(sockets)
  await sleep(1000)
  const heapClosed = await target.child.collectGarbage()
  const afterCloseBytes = rssBytes(target.child.pid)
  process.stderr.write(`relay: ${sessions} idle sessions, ${target.name}: +${fixed((afterBytes - beforeBytes) / sessions / 1024, 1)} KB/session, ` +
    `${sessions} more: +${fixed((moreBytes - afterBytes) / sessions / 1024, 1)} KB/session\n`)
  const heapUsed = { before: heapBefore?.heapUsed ?? NaN, open: heapOpen?.heapUsed ?? NaN, closed: heapClosed?.heapUsed ?? NaN }
  return { target: target.name, sessions, beforeBytes, afterBytes, moreBytes, afterCloseBytes, heapUsed }
}
