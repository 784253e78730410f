/**
 * @module bench/lib/children
 * Each server under test runs in its own process, so its CPU time and RSS can be read from `/proc` and it does not
 * share an event loop with the load client. Children run through tsx with the GC hook preloaded; ours print one
 * JSON line (`{"ready": {...}}`) when they listen, livegate is polled on `/healthz`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { RELAY_NODE_FLAGS } from '../../src/node-flags.js'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const GC_HOOK = fileURLToPath(new URL('./gc-hook.mjs', import.meta.url))
const READY_TIMEOUT_MS = 30_000
/** Time given to a signalled full GC before memory is read. */
const GC_SETTLE_MS = 500

/** `process.memoryUsage()` of a child, in bytes. */
export interface HeapUsage { rss: number, heapTotal: number, heapUsed: number, external: number, arrayBuffers: number }

export interface Child {
  readonly name: string
  readonly pid: number
  /** What the child reported when ready (our children), or `{ port }` (livegate). */
  readonly info: Record<string, unknown>
  /** Full GC in the child (see gc-hook.mjs), then a pause for it to finish; resolves with its heap after the GC. */
  collectGarbage (): Promise<HeapUsage | undefined>
  stop (): Promise<void>
}

function nodeArgs (script: string, args: readonly string[], extra: readonly string[]): string[] {
  return ['--expose-gc', '--import', 'tsx', '--import', GC_HOOK, ...extra, script, ...args]
}

/**
 * How a child is started: plain `node`, or under a launcher such as valgrind (`['valgrind', '--tool=callgrind']`),
 * which execs node in the same process, so the pid still names the server. A launcher makes startup slow: give it
 * a longer `readyTimeoutMs`.
 */
export interface Launch {
  readonly launcher?: readonly string[] | undefined
  readonly readyTimeoutMs?: number | undefined
}

function command (launch: Launch | undefined, args: string[]): [string, string[]] {
  const launcher = launch?.launcher ?? []
  if (launcher.length === 0) return [process.execPath, args]
  return [launcher[0] as string, [...launcher.slice(1), process.execPath, ...args]]
}

function wrap (name: string, proc: ChildProcess, info: Record<string, unknown>): Child {
  const pid = proc.pid
  if (pid === undefined) throw new Error(`${name}: no pid`)
  return {
    name,
    pid,
    info,
    async collectGarbage () {
      const file = join(tmpdir(), `livegate-bench-heap-${pid}.json`)
      rmSync(file, { force: true })
      process.kill(pid, 'SIGUSR2')
      await sleep(GC_SETTLE_MS)
      if (!existsSync(file)) return undefined
      const usage = JSON.parse(readFileSync(file, 'utf8')) as HeapUsage
      rmSync(file, { force: true })
      return usage
    },
    async stop () {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      const exited = once(proc, 'exit')
      proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    },
  }
}

function exitError (name: string, proc: ChildProcess): Promise<never> {
  return new Promise((_resolve, reject) => {
    proc.once('exit', (code, signal) => reject(new Error(`${name} exited early (code ${code}, signal ${signal})`)))
    proc.once('error', reject)
  })
}

/** A bench child entry (simulator-child.ts, bare-relay.ts) that prints `{"ready": {...}}` once listening. */
export async function spawnReporting (name: string, script: string, args: readonly string[] = [], extraNodeArgs: readonly string[] = [], launch?: Launch): Promise<Child> {
  const readyTimeoutMs = launch?.readyTimeoutMs ?? READY_TIMEOUT_MS
  const proc = spawn(...command(launch, nodeArgs(script, args, extraNodeArgs)), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream })
  const ready = new Promise<Record<string, unknown>>((resolve) => {
    lines.on('line', (line) => {
      if (!line.startsWith('{"ready"')) return
      resolve((JSON.parse(line) as { ready: Record<string, unknown> }).ready)
    })
  })
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(new Error(`${name} not ready within ${readyTimeoutMs} ms`))
    }, readyTimeoutMs)
  })
  try {
    const info = await Promise.race([ready, exitError(name, proc), timeout])
    return wrap(name, proc, info)
  } finally {
    clearTimeout(timer)
  }
}

export async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  server.close()
  await once(server, 'close')
  return port
}

/**
 * livegate exactly as `npm start` runs it (src/main.ts through tsx), with `env` on top of a clean environment. Its
 * pino log goes to /dev/null: writing it is part of the cost measured, reading it is not.
 */
export async function spawnLivegate (env: Record<string, string>, extraNodeArgs: readonly string[] = [], launch?: Launch): Promise<Child> {
  const readyTimeoutMs = launch?.readyTimeoutMs ?? READY_TIMEOUT_MS
  const port = await freePort()
  const childEnv: Record<string, string> = { PATH: process.env.PATH ?? '', LIVEGATE_HOST: '127.0.0.1', ...env, LIVEGATE_PORT: String(port) }
  // With the heap flags `npm start` gives (src/node-flags.ts).
  const proc = spawn(...command(launch, nodeArgs('src/main.ts', [], [...RELAY_NODE_FLAGS, ...extraNodeArgs])), { cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', 'ignore', 'inherit'] })
  const failed = exitError('livegate', proc)
  failed.catch(() => {})
  const deadline = Date.now() + readyTimeoutMs
  for (;;) {
    if (proc.exitCode !== null) await failed
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`)
      await res.body?.cancel()
      if (res.ok) break
    } catch {}
    if (Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`livegate not healthy within ${readyTimeoutMs} ms`)
    }
    await sleep(100)
  }
  return wrap('livegate', proc, { port })
}
