/**
 * @module bench/run
 * `npm run bench`: every benchmark in bench/*.ts in turn, each in its own process, or only the ones named:
 *
 *   npm run bench                          # all of them
 *   npm run bench -- relay                 # bench/relay.ts
 *   npm run bench -- relay tools --rounds 1   # names first; the flags after them go to each benchmark
 *   BENCH_NICE=-10 npm run bench -- relay  # raise the priority of the run on a busy machine (lib/priority.ts)
 *
 * Each benchmark writes its own section of bench/RESULTS.md.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { applyNice } from './lib/priority.js'

const BENCH_DIR = fileURLToPath(new URL('./', import.meta.url))
/**
 * A benchmark is a bench/*.ts that writes its section of RESULTS.md (`writeSection(`); helpers that live next to
 * them (the bare relay, spec fixtures, this runner) do not.
 */
const WRITES_RESULTS = /\bwriteSection\(/

const available = readdirSync(BENCH_DIR)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== 'run.ts')
  .filter((f) => WRITES_RESULTS.test(readFileSync(join(BENCH_DIR, f), 'utf8')))
  .map((f) => f.slice(0, -3))
  .sort()

const argv = process.argv.slice(2)
const firstFlag = argv.findIndex((a) => a.startsWith('-'))
const names = firstFlag === -1 ? argv : argv.slice(0, firstFlag)
const passOn = firstFlag === -1 ? [] : argv.slice(firstFlag)
const unknown = names.filter((n) => !available.includes(n))
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark ${unknown.join(', ')}; available: ${available.join(', ')}\n`)
  process.exit(2)
}

const nice = process.env.BENCH_NICE
if (nice !== undefined && nice !== '') process.stderr.write(`bench: ${applyNice(Number(nice))}\n`)

let failed = 0
for (const name of names.length > 0 ? names : available) {
  process.stderr.write(`\nbench: ${name}\n`)
  const child = spawn(process.execPath, ['--import', 'tsx', `bench/${name}.ts`, ...passOn], {
    cwd: fileURLToPath(new URL('../', import.meta.url)),
    stdio: 'inherit',
  })
  const [code, signal] = await once(child, 'exit') as [number | null, NodeJS.Signals | null]
  if (code !== 0) {
    failed++
    process.stderr.write(`bench: ${name} failed (${signal ?? `exit ${code}`})\n`)
  }
}
process.exit(failed === 0 ? 0 : 1)
