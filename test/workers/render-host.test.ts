import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import type { RenderTask } from '../../src/charts/render.js'
import { themeConfig } from '../../src/charts/themes.js'
import type { LivegateError } from '../../src/errors.js'
import { createRenderHost, type RenderHost } from '../../src/workers/render-host.js'
import type { RenderPriority } from '../../src/config.js'

const FIVE_FILMS = readFileSync(new URL('../fixtures/charts/five-films.vl.json', import.meta.url), 'utf8')
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
const SECRET = 'AIzaSy-render-host-test-secret-0001'
/** A catastrophic-backtracking regex: only the timeout (terminating the worker) stops it. */
const SLOW = JSON.stringify({ data: { values: [{ s: `${'a'.repeat(40)}!` }] }, transform: [{ filter: 'test(/(a+)+$/, datum.s)' }], mark: 'point' })
const SCHED_OTHER = 0
const SCHED_IDLE = 5
const CHRT_WORKS = process.platform === 'linux' && spawnSync('chrt', ['--idle', '0', 'true']).status === 0

const chart = (specJson: string): RenderTask => ({
  kind: 'vega-lite', specJson, themeConfig: themeConfig('default'), format: 'png', scale: 1,
  maxRows: 1e6, maxPixels: 4096 * 4096, urlAllowlist: [],
})

interface Logged { level: 'info' | 'error', details: Record<string, unknown>, message: string }

function host (priority: RenderPriority, timeoutMs = 20_000, logged: Logged[] = []): RenderHost {
  return createRenderHost({
    priority,
    log: {
      info (details, message) { logged.push({ level: 'info', details, message }) },
      error (details, message) { logged.push({ level: 'error', details, message }) },
    },
    charts: { threads: 1, queue: 4, timeoutMs, heapMb: 256 },
    maps: { threads: 1, queue: 4, heapMb: 256, timeoutMs },
  })
}

/** Field `n` (1-based, as proc(5) numbers them, n ≥ 3) of a `/proc/.../stat` file: counted after the command name. */
function statField (file: string, n: number): number {
  const stat = readFileSync(file, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[n - 3])
}

/** Scheduling policy of every thread of `pid` (field 41 of /proc/<pid>/task/<tid>/stat). */
function policies (pid: number): Set<number> {
  const found = new Set<number>()
  for (const tid of readdirSync(`/proc/${pid}/task`)) found.add(statField(`/proc/${pid}/task/${tid}/stat`, 41))
  return found
}

async function failure (promise: Promise<unknown>): Promise<LivegateError> {
  try { await promise } catch (err) { return err as LivegateError }
  throw new Error('expected a failure')
}

async function gone (pid: number, withinMs: number): Promise<boolean> {
  for (const until = Date.now() + withinMs; Date.now() < until;) {
    if (!existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return false
}

t.test('a chart renders in a child process started on first use, every thread of it at SCHED_IDLE, with no secrets', { skip: CHRT_WORKS ? false : 'chrt --idle is not available here' }, async (t) => {
  process.env.GEMINI_API_KEY = SECRET
  process.env.MAPS_API_KEY = SECRET
  t.teardown(() => { delete process.env.GEMINI_API_KEY; delete process.env.MAPS_API_KEY })
  const renders = host('idle')
  t.teardown(async () => { await renders.close() })
  t.equal(renders.pid, undefined, 'nothing runs before the first render')
  const image = await renders.charts.run(chart(FIVE_FILMS))
  t.ok(Buffer.isBuffer(image.bytes) && image.bytes.subarray(0, 8).equals(PNG_SIGNATURE), 'PNG bytes, as a Buffer')
  t.ok(image.width > 100 && image.height > 100)
  const pid = renders.pid
  if (pid === undefined) throw new Error('no render process')
  t.not(pid, process.pid)
  t.equal(renders.launchedAs, 'SCHED_IDLE')
  t.same([...policies(pid)], [SCHED_IDLE], 'the main thread, V8\'s helpers and the render workers alike')
  t.same([...policies(process.pid)], [SCHED_OTHER], 'the gateway itself keeps its priority')
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8')
  t.notMatch(environ, SECRET, 'no key in the render process\'s environment')
  t.notMatch(environ, /GEMINI_API_KEY|MAPS_API_KEY/)
  t.equal(renders.charts.started, 1)
  t.equal(renders.charts.pending, 0)
})

t.test('priority normal: the render process runs as the gateway does', async (t) => {
  const renders = host('normal')
  t.teardown(async () => { await renders.close() })
  await renders.charts.run(chart(FIVE_FILMS))
  t.equal(renders.launchedAs, 'normal')
  if (process.platform === 'linux' && renders.pid !== undefined) t.ok(policies(renders.pid).has(SCHED_OTHER))
})

t.test('refusals, timeouts and cancellations come back as the in-process pool gives them', async (t) => {
  const renders = host('idle', 1500)
  t.teardown(async () => { await renders.close() })
  const invalid = await failure(renders.charts.run(chart('{"mark": "nonsense"}')))
  t.equal(invalid.code, 'LG_ERR_RENDER_INVALID_SPEC')
  t.equal(invalid.status, 422)
  t.match(invalid.detail, /^invalid Vega-Lite spec: /)

  const slow = await failure(renders.charts.run(chart(SLOW)))
  t.equal(slow.code, 'LG_ERR_RENDER_TIMEOUT')
  t.same(slow.extra, { limitMs: 1500 })

  const controller = new AbortController()
  const cancelled = failure(renders.charts.run(chart(SLOW), controller.signal))
  setTimeout(() => { controller.abort(new Error('client went away')) }, 100)
  const reason = await cancelled as unknown as Error
  t.equal(reason.message, 'client went away', 'the caller\'s own abort reason, at once')
  t.equal(renders.charts.pending, 0)

  const mapController = new AbortController()
  const map = failure(renders.maps.geocode(['Sydney'], mapController.signal))
  mapController.abort()
  t.equal((await map).code, 'LG_ERR_MAP_ABORTED')

  const places = await renders.maps.geocode(['Sydney', 'nowhere-at-all-xyzzy'])
  t.match(places[0], { name: /Sydney/ })
  t.equal(places[1], null)
  const image = await renders.charts.run(chart(FIVE_FILMS))
  t.ok(image.bytes.subarray(0, 8).equals(PNG_SIGNATURE), 'still rendering after all of that')
})

t.test('a malformed task fails its call with a code, and the render process keeps serving', async (t) => {
  const renders = host('idle')
  t.teardown(async () => { await renders.close() })
  await renders.charts.run(chart(FIVE_FILMS))
  const pid = renders.pid
  for (const task of [42, null, { kind: 'vega-lite' }, { specJson: { not: 'a string' } }]) {
    const err = await failure(renders.charts.run(task as unknown as RenderTask))
    t.match(err.code, /^LG_ERR_RENDER_/, `${JSON.stringify(task)}: ${err.code}`)
  }
  const badMap = await failure(renders.maps.render({ scene: 'nope' } as unknown as Parameters<RenderHost['maps']['render']>[0]))
  t.ok(badMap instanceof Error, 'a malformed map task fails its call')
  t.ok((await renders.charts.run(chart(FIVE_FILMS))).width > 100)
  t.equal(renders.pid, pid, 'the same render process, still serving')
})

t.test('calls that arrive together share one render process', async (t) => {
  const renders = host('idle')
  t.teardown(async () => { await renders.close() })
  const places = await Promise.all(['Sydney', 'Paris', 'Tokyo'].map(async (name) => await renders.maps.geocode([name])))
  t.equal(places.filter(([place]) => place !== null).length, 3)
  const mine = readdirSync('/proc').filter((entry) => {
    if (!/^\d+$/.test(entry)) return false
    try {
      return statField(`/proc/${entry}/stat`, 4) === process.pid &&
        readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('render-process')
    } catch { return false }
  })
  t.same(mine.map(Number), [renders.pid], 'one render process, the host\'s')
})

t.test('a render process that dies fails the calls in flight, and the next call starts a new one', async (t) => {
  const logged: Logged[] = []
  const renders = host('idle', 20_000, logged)
  t.teardown(async () => { await renders.close() })
  await renders.charts.run(chart(FIVE_FILMS))
  const first = renders.pid as number
  const inFlight = failure(renders.charts.run(chart(SLOW)))
  await new Promise((resolve) => setTimeout(resolve, 100))
  process.kill(first, 'SIGKILL')
  const err = await inFlight
  t.equal(err.code, 'LG_ERR_RENDER_CRASHED')
  t.match(err.detail, /SIGKILL/)
  // It had run for less than 10 s: the next start waits a moment, and a call before then is told when to come back.
  const early = await failure(renders.charts.run(chart(FIVE_FILMS)))
  t.equal(early.code, 'LG_ERR_RENDER_BUSY')
  t.same(early.extra, { retryAfterSeconds: 1 })
  await new Promise((resolve) => setTimeout(resolve, 300))
  const image = await renders.charts.run(chart(FIVE_FILMS))
  t.ok(image.width > 100)
  t.not(renders.pid, first, 'a new render process')
  t.same(logged.map((l) => [l.level, l.message, l.details.pid]), [
    ['info', 'render process started', first],
    ['error', 'render process stopped unexpectedly; the next render starts another', first],
    ['info', 'render process started', renders.pid],
  ], 'the gateway\'s log tells the operator')
  t.match(logged[1]?.details, { how: 'signal SIGKILL', inFlight: 1, restartDelayMs: 250 })
})

t.test('a render process that cannot start is retried after a growing delay, not on every call', async (t) => {
  const logged: Logged[] = []
  const renders = host('idle', 20_000, logged)
  t.teardown(async () => { await renders.close() })
  // A preload that does not exist: every render process started while this is set dies at once.
  const saved = process.env.NODE_OPTIONS
  process.env.NODE_OPTIONS = '--require /nonexistent/livegate-render-host-test.cjs'
  t.teardown(() => { if (saved === undefined) delete process.env.NODE_OPTIONS; else process.env.NODE_OPTIONS = saved })
  const starts = (): number => logged.filter((l) => l.message === 'render process started').length
  const delays: unknown[] = []
  for (let attempt = 0; attempt < 3; attempt++) {
    const err = await failure(renders.charts.run(chart(FIVE_FILMS)))
    t.equal(err.code, 'LG_ERR_RENDER_CRASHED', `start ${attempt + 1} fails`)
    const refused = await Promise.all([1, 2, 3, 4, 5].map(async () => await failure(renders.charts.run(chart(FIVE_FILMS)))))
    t.ok(refused.every((e) => e.code === 'LG_ERR_RENDER_BUSY'), 'calls meanwhile are refused at once')
    t.equal(starts(), attempt + 1, 'and start no process')
    const delay = logged.at(-1)?.details.restartDelayMs as number
    delays.push(delay)
    await new Promise((resolve) => setTimeout(resolve, delay + 50))
  }
  t.same(delays, [250, 500, 1000], 'the delay doubles while starts keep failing')
  if (saved === undefined) delete process.env.NODE_OPTIONS; else process.env.NODE_OPTIONS = saved
  const image = await renders.charts.run(chart(FIVE_FILMS))
  t.ok(image.width > 100, 'and the renderer comes back once it can start')
})

t.test('close stops the render process; calls after it are refused', async (t) => {
  const renders = host('idle')
  await renders.charts.run(chart(FIVE_FILMS))
  const pid = renders.pid as number
  await renders.close()
  t.ok(await gone(pid, 5_000), 'the render process exited')
  const late = await failure(renders.charts.run(chart(FIVE_FILMS)))
  t.equal(late.code, 'LG_ERR_RENDER_BUSY')
})

t.test('the render process never outlives a gateway that is killed', async (t) => {
  const script = fileURLToPath(new URL('./render-host-child.ts', import.meta.url))
  const parent = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: parent.stdout })
  const [line] = await once(lines, 'line') as [string]
  const pid = Number(JSON.parse(line).renderPid)
  t.ok(pid > 0 && existsSync(`/proc/${pid}`), 'the render process runs')
  parent.kill('SIGKILL')
  await once(parent, 'exit')
  t.ok(await gone(pid, 10_000), 'and exits once its gateway has gone')
})
