/**
 * @module workers/render-host
 * Renders and map draws run in a child process (workers/render-process.ts) started on first use, at the lowest CPU
 * priority the host offers: on Linux SCHED_IDLE (`chrt --idle`), which runs it only on cores nothing else wants and
 * lets a waking relay thread preempt it at once; else nice 19. Worker threads inside the gateway could not give
 * that: V8 runs every isolate's garbage collection and optimising compiles on the process's shared helper threads,
 * at the relay's priority (≈ 0.3 of a core with 4 renders in flight, bench/RESULTS.md "Relay cost"). The child gets no
 * secrets in its environment. If it dies, the calls in flight fail (LG_ERR_RENDER_CRASHED) and the next call starts
 * a new one.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RenderPool } from '../charts/render-pool.js'
import type { RenderOutcome } from '../charts/render.js'
import { ENV_VARS, type RenderPriority } from '../config.js'
import { LivegateError } from '../errors.js'
import type { Place } from '../maps/geocode.js'
import type { MapPool } from '../maps/pool.js'
import type { RenderOutput } from '../maps/render-worker.js'
import { errorFromRemote, isHostReply, type HostOptions, type HostRequest, type RenderOp as Op } from './render-protocol.js'

/** The part of a pino logger the host uses. */
export interface RenderHostLog {
  info (details: Record<string, unknown>, message: string): void
  error (details: Record<string, unknown>, message: string): void
}

export interface RenderHostOptions extends HostOptions {
  readonly priority: RenderPriority
  /** Where the render process's starts and unexpected exits are reported (the gateway's logger). */
  readonly log?: RenderHostLog
}

export interface RenderHost {
  readonly charts: RenderPool
  readonly maps: MapPool
  /** The render process's pid while one runs (tests, diagnostics). */
  readonly pid: number | undefined
  /** How the render process was started: `SCHED_IDLE`, `nice 19` or `normal` (once it has been). */
  readonly launchedAs: string | undefined
  close (): Promise<void>
}

interface Call { resolve: (value: unknown) => void, reject: (err: unknown) => void, op: Op }

const EXIT_GRACE_MS = 5_000
const PROBE_TIMEOUT_MS = 10_000
/**
 * A render process that dies sooner than this after its start is crash-looping (a broken install, a module that will
 * not load): the next start waits, from FIRST_RESTART_DELAY_MS doubling up to MAX_RESTART_DELAY_MS, so that a storm of
 * renders does not become a storm of process starts on the relay's cores. Calls in the meantime are refused at once.
 */
const STABLE_AFTER_MS = 10_000
const FIRST_RESTART_DELAY_MS = 250
const MAX_RESTART_DELAY_MS = 10_000
/** Names that may hold a credential: none of them reaches the render process. */
const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL/i
const SECRET_VARS = new Set(ENV_VARS.filter((v) => v.secret === true).map((v) => v.name))

function entryFile (): { file: string, execArgv: string[] } {
  const here = fileURLToPath(import.meta.url)
  const ext = path.extname(here)
  const file = path.join(path.dirname(here), `render-process${ext}`)
  // Under tsx (development, tests) the child loads TypeScript the same way; dist/ runs plain JavaScript.
  return { file, execArgv: ext === '.ts' ? ['--import', 'tsx'] : [] }
}

interface Launcher { readonly argv: readonly string[], readonly as: string }

async function succeeds (argv: readonly string[]): Promise<boolean> {
  return await new Promise((resolve) => {
    execFile(argv[0] as string, [...argv.slice(1), 'true'], { timeout: PROBE_TIMEOUT_MS }, (err) => { resolve(err === null) })
  })
}

/**
 * The launcher that gives the child `priority`, checked by running it once on `true` (it may be missing, or a
 * container may forbid the call); asynchronously, since a gateway starts it from the relay's event loop.
 */
async function launcherFor (priority: RenderPriority): Promise<Launcher> {
  if (priority === 'idle' && process.platform === 'linux' && await succeeds(['chrt', '--idle', '0'])) {
    return { argv: ['chrt', '--idle', '0'], as: 'SCHED_IDLE' }
  }
  if (priority !== 'normal' && process.platform !== 'win32' && await succeeds(['nice', '-n', '19'])) {
    return { argv: ['nice', '-n', '19'], as: 'nice 19' }
  }
  return { argv: [], as: 'normal' }
}

function childEnv (options: HostOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!SECRET_VARS.has(name) && !SECRET_NAME.test(name)) env[name] = value
  }
  env.LIVEGATE_RENDER_PROCESS_OPTIONS = JSON.stringify(options)
  return env
}

function abortError (op: Op, signal: AbortSignal): unknown {
  return op === 'chart' ? signal.reason : new LivegateError('LG_ERR_MAP_ABORTED', 'the map was cancelled before it was drawn')
}

function shuttingDown (): LivegateError {
  return new LivegateError('LG_ERR_RENDER_BUSY', 'the renderer is shutting down', { retryAfterSeconds: 5 })
}

function crashed (how: string): LivegateError {
  return new LivegateError('LG_ERR_RENDER_CRASHED', `the render process stopped unexpectedly (${how}); try again`)
}

export function createRenderHost (options: RenderHostOptions): RenderHost {
  const { priority, log, ...hostOptions } = options
  const calls = new Map<number, Call>()
  let child: ChildProcess | undefined
  let starting: Promise<ChildProcess> | undefined
  let launcher: Promise<Launcher> | undefined
  let launchedAs: string | undefined
  let nextId = 0
  let closed = false
  let restartDelayMs = 0
  /** No new render process before this (Date.now()): see STABLE_AFTER_MS. */
  let restartAt = 0
  let chartsPending = 0
  let chartsStarted = 0

  function start ({ argv, as }: Launcher): ChildProcess {
    const { file, execArgv } = entryFile()
    const [command = process.execPath, ...prefix] = argv
    const args = argv.length === 0 ? [...execArgv, file] : [...prefix, process.execPath, ...execArgv, file]
    launchedAs = as
    // stdout is the gateway's JSON log stream: nothing the render process prints may land in it.
    const proc = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced', env: childEnv(hostOptions) })
    log?.info({ pid: proc.pid, priority: as }, 'render process started')
    proc.on('message', (message: unknown) => {
      if (!isHostReply(message)) return
      const call = calls.get(message.id)
      if (call === undefined) return // cancelled here already
      calls.delete(message.id)
      settled()
      if ('error' in message) call.reject(errorFromRemote(call.op, message.error))
      else call.resolve(message.value)
    })
    const startedAt = Date.now()
    const gone = (how: string): void => {
      if (child !== proc) return
      child = undefined
      restartDelayMs = Date.now() - startedAt < STABLE_AFTER_MS ? Math.min(MAX_RESTART_DELAY_MS, Math.max(FIRST_RESTART_DELAY_MS, restartDelayMs * 2)) : 0
      restartAt = Date.now() + restartDelayMs
      log?.error({ pid: proc.pid, how, inFlight: calls.size, restartDelayMs }, 'render process stopped unexpectedly; the next render starts another')
      failAll(() => crashed(how))
    }
    proc.on('exit', (code, signal) => { gone(signal === null ? `exit code ${String(code)}` : `signal ${signal}`) })
    proc.on('error', (err) => { gone(err.message) })
    return proc
  }

  /** The running render process, or a new one (one at a time, however many calls ask at once). */
  async function running (): Promise<ChildProcess> {
    if (child !== undefined) return child
    const waitMs = restartAt - Date.now()
    if (starting === undefined && waitMs > 0) {
      throw new LivegateError('LG_ERR_RENDER_BUSY', `the render process is restarting after a crash; try again in ${Math.ceil(waitMs / 1000)} s`, { retryAfterSeconds: Math.ceil(waitMs / 1000) })
    }
    starting ??= (async () => {
      const proc = start(await (launcher ??= launcherFor(priority)))
      child = proc
      return proc
    })().finally(() => { starting = undefined })
    return await starting
  }

  /** Read through a function: TypeScript would otherwise keep the narrowing from before an await. */
  function isClosed (): boolean { return closed }
  function isAborted (signal: AbortSignal | undefined): boolean { return signal?.aborted === true }

  /** Every call waiting fails with `error()`. */
  function failAll (error: () => LivegateError): void {
    for (const [id, waiting] of calls) {
      calls.delete(id)
      waiting.reject(error())
    }
  }

  /** The channel keeps the gateway's event loop alive only while a call waits on it. */
  function settled (): void {
    if (calls.size === 0) { child?.unref(); child?.channel?.unref() }
  }

  async function call<T> (op: Op, task: unknown, signal: AbortSignal | undefined): Promise<T> {
    if (closed) throw shuttingDown()
    if (signal?.aborted === true) throw abortError(op, signal)
    const proc = await running()
    if (isClosed()) throw shuttingDown()
    if (isAborted(signal)) throw abortError(op, signal as AbortSignal)
    proc.ref()
    proc.channel?.ref()
    const id = ++nextId
    return await new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        if (!calls.delete(id)) return
        settled()
        if (proc.connected) proc.send({ id, op: 'cancel' } satisfies HostRequest)
        reject(abortError(op, signal as AbortSignal))
      }
      const waiting: Call = {
        op,
        resolve: (value) => { signal?.removeEventListener('abort', onAbort); resolve(value as T) },
        reject: (err) => { signal?.removeEventListener('abort', onAbort); reject(err) },
      }
      calls.set(id, waiting)
      signal?.addEventListener('abort', onAbort, { once: true })
      try {
        proc.send({ id, op, task } satisfies HostRequest)
      } catch (err) {
        calls.delete(id)
        settled()
        waiting.reject(crashed((err as Error).message))
      }
    })
  }

  const charts: RenderPool = {
    get pending () { return chartsPending },
    get started () { return chartsStarted },
    // Piscina runs one task per worker thread: what is not running waits.
    get queued () { return Math.max(0, chartsPending - hostOptions.charts.threads) },
    async run (task, signal) {
      chartsPending++
      chartsStarted++
      try {
        const outcome = await call<Extract<RenderOutcome, { ok: true }>>('chart', task, signal)
        return { ...outcome, bytes: Buffer.from(outcome.bytes.buffer, outcome.bytes.byteOffset, outcome.bytes.byteLength) }
      } finally {
        chartsPending--
      }
    },
    async close () { /* the host owns the process: RenderHost.close */ },
  }

  const maps: MapPool = {
    async geocode (queries, signal) { return await call<Array<Place | null>>('geocode', queries, signal) },
    async render (task, signal) { return await call<RenderOutput>('map', task, signal) },
    async close () { /* the host owns the process: RenderHost.close */ },
  }

  return {
    charts,
    maps,
    get pid () { return child?.pid },
    get launchedAs () { return launchedAs },
    async close () {
      if (closed) return
      closed = true
      const proc = child ?? await starting?.catch(() => undefined)
      child = undefined
      failAll(shuttingDown)
      if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return
      const exited = new Promise<void>((resolve) => { proc.once('exit', () => { resolve() }) })
      // Closing the channel tells the process to stop its pools and exit (render-process.ts).
      if (proc.connected) proc.disconnect()
      else proc.kill('SIGTERM')
      const timer = setTimeout(() => { proc.kill('SIGKILL') }, EXIT_GRACE_MS)
      await exited
      clearTimeout(timer)
    },
  }
}
