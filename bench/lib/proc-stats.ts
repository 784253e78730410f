/**
 * @module bench/lib/proc-stats
 * What the benchmarks read about a process from outside it: CPU time (utime + stime from `/proc/<pid>/stat`, all
 * threads included) and resident memory (`VmRSS`), plus the machine line every result table carries. Linux only.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'

/** Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`; 100 on every common Linux). */
export const CLOCK_TICKS_PER_S = ((): number => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100
  } catch {
    return 100
  }
})()

/** The fields of `/proc/<pid>/stat` after the command name: index 0 is field 3 (state), 1 the parent pid. */
function statAfterName (pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing parenthesis.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/** CPU seconds (user + system, every thread) from `/proc/<pid>/stat`, in clock ticks (10 ms steps). */
export function cpuSecondsFromStat (pid: number): number {
  const { user, system } = cpuSplit(pid)
  return user + system
}

/**
 * User and system CPU seconds (every thread) from `/proc/<pid>/stat`, in clock ticks (10 ms steps): where a relay's
 * time goes between its own code and the kernel's socket work.
 */
export function cpuSplit (pid: number): { user: number, system: number } {
  const rest = statAfterName(pid)
  return { user: Number(rest[11]) / CLOCK_TICKS_PER_S, system: Number(rest[12]) / CLOCK_TICKS_PER_S }
}

/**
 * CPU seconds the process's live threads have spent on a CPU, in nanoseconds from the scheduler
 * (`/proc/<pid>/task/<tid>/schedstat`, first field), so short runs are not rounded to 10 ms ticks. Threads that
 * exited between two readings are missed: fine for relays, whose threads live as long as the process. Falls back
 * to `/proc/<pid>/stat` where schedstat is missing.
 */
export function cpuSeconds (pid: number): number {
  let tids: string[]
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    return cpuSecondsFromStat(pid)
  }
  let ns = 0
  for (const tid of tids) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // The thread exited while we read.
    }
  }
  return Number.isFinite(ns) && ns > 0 ? ns / 1e9 : cpuSecondsFromStat(pid)
}

/** CPU seconds of the process's main thread alone (its tid is the pid): the event loop, without GC helpers and workers. */
export function mainThreadCpuSeconds (pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e9
  } catch {
    return NaN
  }
}

/** Resident set size in bytes. */
export function rssBytes (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(match[1]) * 1024
}

export interface Machine {
  cpu: string
  cores: number
  memoryGiB: number
  node: string
  os: string
}

export function machine (): Machine {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    // The machine's, not this process's affinity mask (bench/tools.ts --pin narrows that).
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  }
}

export function machineLine (m: Machine = machine()): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, Node ${m.node}, ${m.os}`
}

/** The pids whose parent is `pid` (livegate's render process), from each `/proc/<pid>/stat`. */
export function childPids (pid: number): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (Number(statAfterName(Number(entry))[1]) === pid) found.push(Number(entry))
    } catch {
      // Gone while we read.
    }
  }
  return found
}

/** CPU seconds of a process and its children, each read live (`/proc/<pid>/stat`): a gateway and its render process. */
export function cpuSecondsWithChildren (pid: number): { own: number, children: number } {
  let children = 0
  for (const child of childPids(pid)) {
    try { children += cpuSecondsFromStat(child) } catch { /* exited */ }
  }
  return { own: cpuSecondsFromStat(pid), children }
}
