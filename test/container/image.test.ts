/**
 * The container image as an operator meets it: `podman build` of the repo's Dockerfile, then `podman run` of the
 * image in front of a simulator on this host, with the server key in its environment. Checks the things the
 * Dockerfile promises (non-root, HEALTHCHECK, fonts, graceful stop on SIGTERM) and a whole seed conversation through
 * the container: text turn, server-side chart render, artifact fetch, refused client token, and no key in any
 * frame or log line.
 *
 * Needs podman (and, to make a base image where no registry serves node:20-bookworm-slim, debootstrap): `.ci/run`
 * installs both. A missing tool fails the test with what to install, never a skip.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { startSimulator } from '../../src/simulator/index.js'
import { SEED_PROMPTS, SEED_TOOLS } from '../../src/simulator/seed.js'
import { SERVER_KEY, CLIENT_TOKEN, LIVE_PATH } from '../helpers/gateway.js'
import { connect, say, hasKey, isTurnComplete, textOf } from '../helpers/ws-client.js'
import { freePort } from '../helpers/redis-server.js'

const run = promisify(execFile)
const REPO = fileURLToPath(new URL('../..', import.meta.url))
const BASE_IMAGE = 'docker.io/library/node:20-bookworm-slim'
const IMAGE = 'localhost/livegate:test'
const MODEL = 'models/gemini-3.1-flash-live-preview'
const env = { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? `${REPO}scripts/container/containers.conf` }

// Building the image from nothing (base image, npm ci, apt fonts) takes minutes on a 2-core CI machine.
t.setTimeout(20 * 60_000)

const SCHED_IDLE = 5
/** Run inside the container: the render process's pid, its threads' scheduling policies, whether its environment names a key. */
const RENDER_PROCESS_PROBE = `
const fs = require('node:fs')
const pids = fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p) && p !== String(process.pid)).filter((p) => {
  try { return fs.readFileSync('/proc/' + p + '/cmdline', 'utf8').includes('render-process') } catch { return false }
})
const policies = new Set()
let keyInEnv = false
for (const pid of pids) {
  for (const tid of fs.readdirSync('/proc/' + pid + '/task')) {
    const stat = fs.readFileSync('/proc/' + pid + '/task/' + tid + '/stat', 'utf8')
    policies.add(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]))
  }
  keyInEnv ||= /GEMINI_API_KEY|GOOGLE_API_KEY|MAPS_API_KEY/.test(fs.readFileSync('/proc/' + pid + '/environ', 'utf8'))
}
process.stdout.write(JSON.stringify({ pids: pids.map(Number), policies: [...policies], keyInEnv }))
`

async function podman (args: readonly string[], timeoutMs = 60_000): Promise<string> {
  const { stdout } = await run('podman', args, { env, cwd: REPO, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 })
  return stdout.trim()
}


async function waitForHealthy (url: string, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs
  for (;;) {
    try {
      if ((await fetch(url)).ok) return
    } catch {}
    if (Date.now() > until) throw new Error(`${url} did not answer within ${deadlineMs} ms`)
    await sleep(250)
  }
}

t.before(async () => {
  try {
    await podman(['--version'])
  } catch {
    throw new Error('podman is missing: `apt-get install podman debootstrap` (.ci/run does) to build and run the image')
  }
})

t.test('the Dockerfile builds with podman', async (t) => {
  const hasBase = await podman(['image', 'exists', BASE_IMAGE]).then(() => true, () => false)
  if (!hasBase) {
    // No container registry is reachable here: make the base image from Debian's and npm's archives.
    await run('bash', ['scripts/container/base-image.sh', BASE_IMAGE], { env, cwd: REPO, timeout: 10 * 60_000 })
  }
  await podman(['build', '--format', 'docker', '--network', 'host', '--pull=never', '--tag', IMAGE, '.'], 15 * 60_000)
  // Each build with changed sources leaves the previous image untagged: drop those so repeated runs do not fill the disk.
  t.teardown(() => podman(['image', 'prune', '--force']).then(() => {}, () => {}))
  interface Healthcheck { Test?: string[] }
  const [config] = JSON.parse(await podman(['image', 'inspect', IMAGE])) as Array<{
    Healthcheck?: Healthcheck
    Config: { User?: string, ExposedPorts?: Record<string, unknown>, Healthcheck?: Healthcheck, Entrypoint?: string[] }
  }>
  t.equal(config?.Config.User, 'node', 'runs as the unprivileged node user')
  t.ok(config?.Config.ExposedPorts?.['8080/tcp'], 'exposes 8080')
  t.match((config?.Healthcheck ?? config?.Config.Healthcheck)?.Test?.join(' ') ?? '', /\/healthz/, 'HEALTHCHECK probes /healthz')
  t.same(config?.Config.Entrypoint, ['/usr/bin/tini', '--'], 'tini is PID 1')
  const listing = await podman(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', IMAGE, '-c', 'ls /app /app/node_modules'])
  const [app = '', modules = ''] = listing.split(/\n\s*\n/)
  t.same(app.split('\n').slice(1).sort(), ['dist', 'node_modules', 'package.json', 'public'], 'only the build, its dependencies and the web client in /app')
  t.ok(modules.split('\n').includes('fastify'), 'runtime dependencies are installed')
  for (const dev of ['tap', 'typescript', 'playwright-core', 'autocannon']) {
    t.notOk(modules.split('\n').includes(dev), `no dev dependency ${dev}`)
  }
})

t.test('the image serves a seed conversation with the server key kept inside', async (t) => {
  const sim = await startSimulator({ chunkDelayMs: 0, apiKeys: [SERVER_KEY] })
  t.teardown(() => sim.close())
  const port = await freePort()
  const name = `livegate-test-${process.pid}`
  await podman(['run', '--detach', '--name', name, '--network', 'host',
    '--env', `LIVEGATE_PORT=${port}`, '--env', 'LIVEGATE_HOST=127.0.0.1',
    '--env', `GEMINI_API_KEY=${SERVER_KEY}`, '--env', `LIVEGATE_UPSTREAM_URL=${sim.url}`,
    '--env', `LIVEGATE_CLIENT_TOKENS=${CLIENT_TOKEN}`, '--env', 'LIVEGATE_RENDER_TIMEOUT_MS=60000',
    // The seed notebook declares render_altair itself: the server runs it only by the operator's override.
    '--env', 'LIVEGATE_SERVER_TOOLS_OVERRIDE=render_altair', IMAGE])
  t.teardown(() => podman(['rm', '--force', '--time', '1', name]).then(() => {}, () => {}))
  const httpUrl = `http://127.0.0.1:${port}`
  await waitForHealthy(`${httpUrl}/healthz`, 60_000)

  t.equal(await podman(['exec', name, 'id', '-u']), '1000', 'the server process runs as uid 1000')
  await podman(['healthcheck', 'run', name]).then(() => t.pass('the HEALTHCHECK command passes'), (err: Error) => t.fail(`HEALTHCHECK failed: ${err.message}`))
  const fonts = await podman(['exec', name, 'fc-list', ':', 'family'])
  t.match(fonts, /DejaVu Sans/, 'chart fonts are installed')
  t.match(fonts, /Noto Sans CJK/, 'CJK fonts are installed')

  const refused = await connect(`ws://127.0.0.1:${port}${LIVE_PATH}?key=wrong-token`)
  const refusal = await refused.closed
  t.equal(refusal.code, 1008, 'a wrong client token is refused with 1008')
  t.match(refusal.reason, /^LG_ERR_AUTH/)

  const client = await connect(`ws://127.0.0.1:${port}${LIVE_PATH}?key=${CLIENT_TOKEN}`)
  client.send({ setup: { model: MODEL, tools: SEED_TOOLS.plotting, generation_config: { response_modalities: ['TEXT'] } } })
  await client.waitFor(hasKey('setupComplete'), 10_000)
  say(client, SEED_PROMPTS.films)
  await client.waitFor(isTurnComplete, 30_000)
  t.match(client.frames.map(textOf).join(''), /Villeneuve/, 'the text turn streams through the container')

  const before = client.frames.length
  say(client, SEED_PROMPTS.plot)
  await client.waitFor((f) => client.frames.indexOf(f) >= before && isTurnComplete(f), 90_000)
  const conn = sim.connections[0]!
  const responseFrame = await conn.waitFor((f) => f.kind === 'toolResponse', 1000)
  const [response] = (responseFrame.message.toolResponse as { functionResponses: Array<{ name: string, response: { result?: string, image?: { png: string } } }> }).functionResponses
  t.equal(response?.name, 'render_altair')
  t.equal(response?.response.result, 'ok', 'the chart rendered inside the container')
  const png = await fetch(response?.response.image?.png ?? `${httpUrl}/missing`)
  t.equal(png.status, 200, 'its artifact URL is served by the container')
  t.equal(png.headers.get('content-type'), 'image/png')
  t.ok(Buffer.from(await png.arrayBuffer()).subarray(0, 8).equals(Buffer.from('89504e470d0a1a0a', 'hex')), 'a real PNG')
  const renderProcess = JSON.parse(await podman(['exec', name, 'node', '-e', RENDER_PROCESS_PROBE])) as { pids: number[], policies: number[], keyInEnv: boolean }
  t.equal(renderProcess.pids.length, 1, 'the chart rendered in the render process')
  t.same(renderProcess.policies, [SCHED_IDLE], 'every thread of it at SCHED_IDLE: chrt is in the image and allowed to the node user')
  t.equal(renderProcess.keyInEnv, false, 'no key in its environment')
  client.ws.close()
  await client.closed

  t.notOk(client.frames.some((f) => f.data.includes(SERVER_KEY)), 'the server key is in no frame sent to the client')
  t.ok(sim.connections.length > 0 && sim.connections.every((c) => c.credential === SERVER_KEY), 'the container dials upstream with the server key')

  const stoppedAt = Date.now()
  await podman(['stop', '--time', '10', name], 30_000)
  const stopMs = Date.now() - stoppedAt
  const exitCode = await podman(['inspect', '--format', '{{.State.ExitCode}}', name])
  t.equal(exitCode, '0', 'SIGTERM stops the gateway gracefully (exit 0)')
  t.ok(stopMs < 10_000, `it stopped before podman's 10 s SIGKILL deadline (${stopMs} ms)`)
  const logs = await podman(['logs', name])
  t.match(logs, /"msg":"Server listening at http:\/\/127\.0\.0\.1:/, 'pino JSON logs on stdout')
  t.notMatch(logs, SERVER_KEY, 'the server key is in no log line')
  t.notMatch(logs, CLIENT_TOKEN, 'nor the client token')
})
