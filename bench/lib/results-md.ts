/**
 * @module bench/lib/results-md
 * bench/RESULTS.md is shared: each benchmark owns one `## <Title>` section and replaces only that one (up to the
 * next `## ` heading), re-reading the file right before it writes so other sections written meanwhile survive.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const RESULTS_PATH = fileURLToPath(new URL('../RESULTS.md', import.meta.url))
const HEADER = '# livegate benchmark results\n\nProduced by `npm run bench` (bench/run.ts); each section is rewritten by its own benchmark.\n'

export function writeSection (title: string, body: string, path = RESULTS_PATH): void {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : HEADER
  const section = `## ${title}\n\n${body.trim()}\n`
  const lines = current.split('\n')
  const start = lines.findIndex((l) => l.trim() === `## ${title}`)
  let next: string
  if (start === -1) {
    next = `${current.replace(/\n*$/, '')}\n\n${section}`
  } else {
    let end = lines.findIndex((l, i) => i > start && l.startsWith('## '))
    if (end === -1) end = lines.length
    const before = lines.slice(0, start).join('\n').replace(/\n*$/, '')
    const after = lines.slice(end).join('\n')
    next = `${before}\n\n${section}${after === '' ? '' : `\n${after}`}`
  }
  writeFileSync(path, next.endsWith('\n') ? next : `${next}\n`)
}

/** The command that reproduces a run, `BENCH_NICE` included when it was set. */
export function benchCommand (rest: string): string {
  const nice = process.env.BENCH_NICE
  return `${nice === undefined || nice === '' ? '' : `BENCH_NICE=${nice} `}npm run bench -- ${rest}`
}
