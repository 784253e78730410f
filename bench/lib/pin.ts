/**
 * @module bench/lib/pin
 * Splits the host's CPUs between the gateway under test and the load that drives it (the load client and the
 * simulator), so a benchmark of the gateway's latency does not also measure the load client waiting for a core that
 * the gateway's own work (renders) took. In production the client and Gemini are other machines; on one host this is
 * the nearest thing. `taskset -a` sets every thread of a running process; its later children inherit the mask.
 */
import { execFileSync } from 'node:child_process'
import os from 'node:os'

export interface CpuSplit {
  /** CPUs for the gateway (and every process it starts), as taskset's list syntax. */
  readonly gateway: string
  /** CPUs for the load client and the simulator. */
  readonly load: string
}

/** The upper half of the CPUs for the gateway, the lower half for the load; undefined on a single CPU. */
export function splitCpus (): CpuSplit | undefined {
  const n = os.availableParallelism()
  if (n < 2) return undefined
  const loadCount = Math.floor(n / 2)
  const list = (from: number, to: number): string => from === to ? String(from) : `${from}-${to}`
  return { load: list(0, loadCount - 1), gateway: list(loadCount, n - 1) }
}

/** Restrict every thread of `pid` to `cpus` (taskset list syntax). */
export function pin (pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' })
}
