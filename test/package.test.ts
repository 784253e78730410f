/**
 * The npm package as a user gets it: `npm pack`, install the tarball into an empty folder, `npx livegate`. The
 * installed copy has no TypeScript sources and no tsx in its path: the compiled workers must carry a chart render.
 */
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { freePort } from './helpers/redis-server.js'

const run = promisify(execFile)
const NPM_OPTIONS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error']
const WAIT_MS = 120_000

// Packing builds dist/ (prepack) and the install resolves every dependency: minutes on a loaded 2-core machine.
t.setTimeout(900_000)

async function waitForHealthy (url: string, child: { exitCode: number | null }): Promise<Response> {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    if (child.exitCode !== null) throw new Error(`livegate exited with ${child.exitCode}`)
    const res = await fetch(url).catch(() => undefined)
    if (res?.ok === true) return res
    if (Date.now() > deadline) throw new Error(`${url} not healthy within ${WAIT_MS} ms`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

t.test('npm pack makes a package that installs into an empty folder and whose `npx livegate` serves /healthz', async (t) => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'livegate-pack-'))
  t.teardown(() => rm(work, { recursive: true, force: true }))
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { maxBuffer: 64 * 1024 * 1024 })
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string, files: Array<{ path: string }> }>
  const files = info!.files.map((f) => f.path)
  t.ok(files.includes('dist/src/index.js') && files.includes('dist/src/index.d.ts'), 'the built JavaScript and its types')
  t.ok(files.includes('dist/src/charts/render-worker.js') && files.includes('dist/src/maps/render-worker.js'), 'the compiled workers')
  t.ok(files.includes('public/index.html'), 'the web client')
  t.notOk(files.some((f) => f.startsWith('src/') || f.startsWith('test/')), 'no sources or tests')

  const app = path.join(work, 'app')
  await run('mkdir', ['-p', app])
  await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'uses-livegate', version: '1.0.0', private: true, type: 'module' }))
  await run('npm', ['install', ...NPM_OPTIONS, path.join(work, info!.filename)], { cwd: app, maxBuffer: 64 * 1024 * 1024 })
  t.ok((await readdir(path.join(app, 'node_modules', 'livegate', 'dist', 'src'))).includes('cli.js'))

  const help = await run('npx', ['--no-install', 'livegate', '--help'], { cwd: app })
  t.match(help.stdout, /Usage: livegate \[--port N\] \[--host ADDRESS\]/)
  t.match(help.stdout, /LIVEGATE_STORE\s+"?/, 'the configuration table')

  const port = await freePort()
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), LIVEGATE_STORE: 'memory', LIVEGATE_RENDER_THREADS: '1', LIVEGATE_LOG_LEVEL: 'warn' }
  const child = spawn('npx', ['--no-install', 'livegate', '--port', String(port), '--host', '127.0.0.1'], { cwd: app, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  t.teardown(() => { try { process.kill(-child.pid!, 'SIGTERM') } catch {} })
  const health = await waitForHealthy(`http://127.0.0.1:${port}/healthz`, child).catch((err: Error) => { throw new Error(`${err.message}\n${stderr}`) })
  t.same(await health.json(), { status: 'ok' })
  const chart = await fetch(`http://127.0.0.1:${port}/v1/charts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'image/png' },
    body: JSON.stringify({ data: { values: [{ a: 1 }, { a: 2 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' } } }),
  })
  t.equal(chart.status, 200, 'a chart renders in the compiled worker')
  t.equal(Buffer.from(await chart.arrayBuffer()).subarray(1, 4).toString(), 'PNG')
})
