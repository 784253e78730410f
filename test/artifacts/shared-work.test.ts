import { test } from 'tap'
import { createSharedWork } from '../../src/artifacts/shared-work.js'

function deferred (): { promise: Promise<string>, resolve: (v: string) => void } {
  let resolve!: (v: string) => void
  const promise = new Promise<string>((r) => { resolve = r })
  return { promise, resolve }
}

test('callers of the same key share one run; a different key runs on its own', async (t) => {
  const work = createSharedWork<string>()
  let runs = 0
  const gate = deferred()
  const job = async (): Promise<string> => { runs++; return await gate.promise }
  const a = work.run('k', job)
  const b = work.run('k', job)
  const c = work.run('other', async () => 'c')
  t.equal(work.size, 2)
  gate.resolve('done')
  t.same(await a, { value: 'done', shared: false })
  t.same(await b, { value: 'done', shared: true })
  t.same(await c, { value: 'c', shared: false })
  t.equal(runs, 1)
  t.equal(work.size, 0, 'forgotten once settled')
})

test('one caller giving up does not cancel the run another caller still waits for', async (t) => {
  const work = createSharedWork<string>()
  const gate = deferred()
  let workSignal: AbortSignal | undefined
  const job = async (signal: AbortSignal): Promise<string> => { workSignal = signal; return await gate.promise }
  const impatient = new AbortController()
  const first = work.run('k', job, impatient.signal)
  const second = work.run('k', job, new AbortController().signal)
  await Promise.resolve()
  impatient.abort(new Error('model cancelled'))
  await t.rejects(first, { message: 'model cancelled' })
  t.equal(workSignal?.aborted, false, 'the shared run goes on')
  gate.resolve('chart')
  t.same(await second, { value: 'chart', shared: true })
})

test('when every caller gives up, the run itself is aborted and the key freed', async (t) => {
  const work = createSharedWork<string>()
  let workSignal: AbortSignal | undefined
  const job = async (signal: AbortSignal): Promise<string> => {
    workSignal = signal
    return await new Promise((_resolve, reject) => { signal.addEventListener('abort', () => reject(signal.reason)) })
  }
  const one = new AbortController()
  const two = new AbortController()
  const a = work.run('k', job, one.signal)
  const b = work.run('k', job, two.signal)
  await Promise.resolve()
  one.abort(new Error('one'))
  two.abort(new Error('two'))
  await t.rejects(a, { message: 'one' })
  await t.rejects(b, { message: 'two' })
  t.equal(workSignal?.aborted, true)
  t.equal(work.size, 0)
  t.same(await work.run('k', async () => 'fresh'), { value: 'fresh', shared: false }, 'a new caller starts a new run')
  await t.rejects(work.run('k', async () => 'x', AbortSignal.abort(new Error('late'))), { message: 'late' })
})
