/**
 * @module bench/lib/priority
 * On a machine shared with other work, a benchmark's processes can be starved of CPU, and then every latency
 * measures the queue for a core rather than the code. `BENCH_NICE=-10` raises the priority of the benchmark and
 * every server it spawns: the process's nice value (inherited by children) and, where Linux groups tasks by session
 * (`/proc/sys/kernel/sched_autogroup_enabled`), the session's autogroup, without which nice only ranks tasks inside
 * this session against each other. Needs root (or CAP_SYS_NICE); the result is reported, never fatal.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'

export function applyNice (nice: number): string {
  const done: string[] = []
  try {
    os.setPriority(nice)
    done.push(`nice ${nice}`)
  } catch (err) {
    return `could not set nice ${nice}: ${(err as Error).message}`
  }
  try {
    if (readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1') {
      writeFileSync('/proc/self/autogroup', String(nice))
      done.push(`autogroup nice ${nice}`)
    }
  } catch (err) {
    done.push(`autogroup unchanged (${(err as Error).message})`)
  }
  return done.join(', ')
}
