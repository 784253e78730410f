import { readFileSync } from 'node:fs'
import t0, { test } from 'tap'
import { createRenderPool, type RenderPool } from '../../src/charts/render-pool.js'
import type { RenderTask } from '../../src/charts/render.js'
import { themeConfig } from '../../src/charts/themes.js'
import type { LivegateError } from '../../src/errors.js'

const FIVE_FILMS = readFileSync(new URL('../fixtures/charts/five-films.vl.json', import.meta.url), 'utf8')
const task = (spec: unknown, overrides: Partial<RenderTask> = {}): RenderTask => ({
  kind: 'vega-lite', specJson: typeof spec === 'string' ? spec : JSON.stringify(spec), themeConfig: themeConfig('default'),
  format: 'png', scale: 1, maxRows: 1e8, maxPixels: 4096 * 4096, urlAllowlist: [], ...overrides,
})
/** A catastrophic-backtracking regex: pure JS, so only the timeout (terminating the worker) stops it. */
const SLOW = task({ data: { values: [{ s: `${'a'.repeat(40)}!` }] }, transform: [{ filter: 'test(/(a+)+$/, datum.s)' }], mark: 'point' })
/**
 * 50,000 rows (within the row limit) of a 100 kB string each: 5 GB of separate allocations, which the worker's heap
 * limit stops cleanly. (One array grown by push() to 1e7 can abort the whole process instead, nodejs/node#47224, which
 * is why a sequence's size is checked before any render: see spec-input.ts.)
 */
const HEAP_BOMB = task({ data: { sequence: { start: 0, stop: 50000, as: 'v' } }, transform: [{ calculate: "pad('', 100000 + datum.v, 'x')", as: 's' }], mark: 'tick', encoding: { x: { field: 'v', type: 'quantitative' } } }, { maxRows: 100_000 })

async function failure (promise: Promise<unknown>): Promise<unknown> {
  try { await promise } catch (err) { return err }
  throw new Error('expected the render to fail')
}

/**
 * Run once the pool has replaced a killed worker: with no queue, a task that arrives before the replacement is BUSY (as a
 * client honouring Retry-After would). A replacement worker's first renders JIT-compile vega, which on a loaded machine
 * can outlast the short timeout these tests use; that is retried a few times too, since speed is not what they check.
 */
async function runWhenReady (pool: RenderPool, job: RenderTask): Promise<{ width: number }> {
  let timeouts = 0
  for (let attempt = 0; ; attempt++) {
    try {
      return await pool.run(job)
    } catch (err) {
      const code = (err as LivegateError).code
      if (code === 'LG_ERR_RENDER_TIMEOUT' && ++timeouts <= 3) continue
      if (code !== 'LG_ERR_RENDER_BUSY' || attempt > 300) throw err
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

// One worker, no queue, a short timeout: enough to see timeouts, aborts and a full pool.
const small: RenderPool = createRenderPool({ threads: 1, queue: 0, timeoutMs: 1500, heapMb: 512 })
t0.teardown(async () => { await small.close() })
// Each timeout, abort and crash here costs a worker restart (importing vega), slow on a loaded machine.
t0.setTimeout(300_000)

test('a render past the timeout fails with LG_ERR_RENDER_TIMEOUT; while it runs a full pool answers LG_ERR_RENDER_BUSY', async (t) => {
  await runWhenReady(small, task(FIVE_FILMS)) // warm: the timeout counts from when the worker starts the task
  const slow = failure(small.run(SLOW))
  await new Promise((resolve) => setTimeout(resolve, 50))
  const busy = await failure(small.run(task(FIVE_FILMS))) as LivegateError
  t.equal(busy.code, 'LG_ERR_RENDER_BUSY', 'one worker, no queue: the second render is refused at once')
  t.equal(busy.status, 503)
  t.equal(busy.extra?.retryAfterSeconds, 1)
  const err = await slow as LivegateError
  t.equal(err.code, 'LG_ERR_RENDER_TIMEOUT')
  t.equal(err.extra?.limitMs, 1500)
  const ok = await runWhenReady(small, task(FIVE_FILMS))
  t.ok(ok.width > 0, 'the next render works')
  t.equal(small.pending, 0)
})

test('aborting the caller\'s signal cancels the render with the signal\'s reason', async (t) => {
  const controller = new AbortController()
  const run = small.run(SLOW, controller.signal)
  setTimeout(() => controller.abort(new Error('model cancelled the call')), 200)
  const err = await failure(run) as Error
  t.equal(err.message, 'model cancelled the call')
  t.notOk('code' in err && String((err as LivegateError).code).startsWith('LG_ERR'), 'not reported as a render error')
  const already = await failure(small.run(task(FIVE_FILMS), AbortSignal.abort(new Error('gone'))))
  t.equal((already as Error).message, 'gone', 'an already aborted signal never reaches the pool')
  t.ok((await runWhenReady(small, task(FIVE_FILMS))).width > 0, 'the pool still renders')
})

test('a worker killed by its heap limit fails that render only; the process and the pool keep serving', async (t) => {
  const pool = createRenderPool({ threads: 1, queue: 8, timeoutMs: 90_000, heapMb: 128 })
  t.teardown(async () => { await pool.close() })
  const err = await failure(pool.run(HEAP_BOMB)) as LivegateError
  t.equal(err.code, 'LG_ERR_RENDER_CRASHED')
  t.match(err.detail, /out of memory/)
  const after = await pool.run(task(FIVE_FILMS))
  t.ok(after.width > 500, 'a replacement worker renders the next chart')
  t.ok(process.memoryUsage().heapUsed < 512 * 1024 * 1024, 'the main heap never held the bomb')
})

test('render worker threads run at a low CPU priority so the relay thread wins the cores', { skip: process.platform !== 'linux' && 'per-thread nice is Linux-only' }, async (t) => {
  const { readdirSync, readFileSync } = await import('node:fs')
  const { WORKER_NICE: RENDER_WORKER_NICE } = await import('../../src/workers/priority.js')
  const niceOf = (tid: string): number => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) // field 19 (nice), counted after "(comm)"
  }
  await runWhenReady(small, task(FIVE_FILMS))
  const nices = readdirSync('/proc/self/task').map(niceOf)
  const os = await import('node:os')
  t.equal(niceOf(String(process.pid)), os.getPriority(), 'the main thread keeps its priority')
  t.ok(nices.includes(RENDER_WORKER_NICE), `a worker thread runs at nice ${RENDER_WORKER_NICE} (${nices.join(',')})`)
})
