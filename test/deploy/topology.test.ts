/**
 * deploy/'s topology run for real on loopback: two livegate processes sharing Redis behind HAProxy, with
 * deploy/haproxy.cfg itself (its addresses come from the environment). Sessions spread over both replicas; a chart
 * rendered by one is served by the other; SIGTERM drains a replica: /readyz turns 503, HAProxy sends new sessions to
 * the other, and the draining replica's open session keeps working until LIVEGATE_DRAIN_MS, then closes with 1012.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import t from 'tap'
import { DEFAULT_KEY_PREFIX } from '../../src/artifacts/redis-store.js'
import { CLIENT_TOKEN, LIVE_PATH } from '../helpers/gateway.js'
import { deleteKeys, freePort, testRedisUrl } from '../helpers/redis-server.js'
import { connect, hasKey, isTurnComplete, type TestClient } from '../helpers/ws-client.js'

const TOPOLOGY_DB = 8
const DRAIN_MS = 8000
const WAIT_MS = 60_000
const MODEL = 'models/gemini-3.1-flash-live-preview'

t.setTimeout(280_000)

interface Proc { readonly child: ChildProcess, output (): string }

function start (t: { teardown (fn: () => void): void }, command: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  child.stdout?.on('data', (c: Buffer) => { output += c.toString() })
  child.stderr?.on('data', (c: Buffer) => { output += c.toString() })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL') })
  return { child, output: () => output }
}

async function until<T> (what: string, probe: () => Promise<T | undefined>, proc?: Proc): Promise<T> {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (proc !== undefined && (proc.child.exitCode !== null || proc.child.signalCode !== null)) throw new Error(`${what}: the process exited first\n${proc.output()}`)
    if (Date.now() > deadline) throw new Error(`${what}: not within ${WAIT_MS} ms\n${proc?.output() ?? ''}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

interface Replica { readonly name: string, readonly url: string, readonly proc: Proc }

async function readyz (replica: Replica): Promise<{ status: number, sessions: number }> {
  const res = await fetch(`${replica.url}/readyz`)
  const body = await res.json() as { sessions?: number }
  return { status: res.status, sessions: body.sessions ?? -1 }
}

t.test('two replicas behind HAProxy: sessions spread, artifacts are shared, SIGTERM drains one', async (t) => {
  const redisUrl = new URL(await testRedisUrl(t))
  redisUrl.pathname = `/${TOPOLOGY_DB}`
  await deleteKeys(redisUrl.href, DEFAULT_KEY_PREFIX)
  t.teardown(async () => { await deleteKeys(redisUrl.href, DEFAULT_KEY_PREFIX) })

  const replicas: Replica[] = []
  for (const name of ['livegate1', 'livegate2']) {
    const port = await freePort()
    const proc = start(t, process.execPath, ['--import', 'tsx', path.resolve('src/main.ts')], {
      LIVEGATE_HOST: '127.0.0.1',
      LIVEGATE_PORT: String(port),
      LIVEGATE_STORE: redisUrl.href,
      LIVEGATE_CLIENT_TOKENS: CLIENT_TOKEN,
      LIVEGATE_TRUST_PROXY: 'true',
      LIVEGATE_DRAIN_MS: String(DRAIN_MS),
      LIVEGATE_RENDER_THREADS: '1',
      LIVEGATE_RENDER_TIMEOUT_MS: '30000',
      LIVEGATE_LOG_LEVEL: 'warn',
    })
    replicas.push({ name, url: `http://127.0.0.1:${port}`, proc })
  }
  for (const r of replicas) await until(`${r.name} healthy`, async () => (await fetch(`${r.url}/healthz`)).ok || undefined, r.proc)
  const [one, two] = replicas as [Replica, Replica]

  const haPort = await freePort()
  const haproxy = start(t, 'haproxy', ['-db', '-f', path.resolve('deploy/haproxy.cfg')], {
    HAPROXY_BIND: `127.0.0.1:${haPort}`,
    LIVEGATE_1: one.url.slice('http://'.length),
    LIVEGATE_2: two.url.slice('http://'.length),
  })
  const lb = `http://127.0.0.1:${haPort}`
  await until('HAProxy answering', async () => (await fetch(`${lb}/healthz`)).ok || undefined, haproxy)

  // SDK sessions through HAProxy land on both replicas.
  const { GoogleGenAI } = await import('@google/genai')
  const ai = new GoogleGenAI({ apiKey: CLIENT_TOKEN, httpOptions: { baseUrl: lb } })
  const sessions = []
  for (let i = 0; i < 4; i++) {
    let done: () => void = () => {}
    const turn = new Promise<void>((resolve) => { done = resolve })
    const session = await ai.live.connect({
      model: MODEL,
      config: { responseModalities: ['TEXT' as never] },
      callbacks: { onmessage (m) { if (m.serverContent?.turnComplete === true) done() } },
    })
    session.sendClientContent({ turns: [{ role: 'user', parts: [{ text: 'hello' }] }], turnComplete: true })
    await turn
    sessions.push(session)
  }
  const counts = await Promise.all(replicas.map(readyz))
  t.ok(counts.every((c) => c.status === 200 && c.sessions >= 1), `SDK sessions landed on both replicas: ${JSON.stringify(counts)}`)
  t.equal(counts.reduce((n, c) => n + c.sessions, 0), 4, 'every session is on one of them')
  for (const s of sessions) s.close()
  await until('the SDK sessions closed', async () => (await Promise.all(replicas.map(readyz))).every((c) => c.sessions === 0) || undefined)

  // A chart rendered through one replica is served by the other (LIVEGATE_STORE=redis://).
  const created = await fetch(`${one.url}/v1/charts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_TOKEN}` },
    body: JSON.stringify({ data: { values: [{ a: 'x', b: 1 }, { a: 'y', b: 3 }] }, mark: 'bar', encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' } } }),
  })
  t.equal(created.status, 201)
  const { id } = await created.json() as { id: string }
  const fromOne = await fetch(`${one.url}/v1/artifacts/${id}.png`)
  const fromTwo = await fetch(`${two.url}/v1/artifacts/${id}.png`)
  t.equal(fromTwo.status, 200, 'the other replica serves it')
  t.equal(fromTwo.headers.get('etag'), fromOne.headers.get('etag'), 'the same bytes')

  // A session through HAProxy; the replica it landed on is the one that drains.
  const liveUrl = `ws://127.0.0.1:${haPort}${LIVE_PATH}?key=${CLIENT_TOKEN}`
  const open = async (): Promise<TestClient> => {
    const client = await connect(liveUrl)
    client.send({ setup: { model: MODEL, generationConfig: { responseModalities: ['TEXT'] } } })
    await client.waitFor(hasKey('setupComplete'), WAIT_MS)
    return client
  }
  const kept = await open()
  const landed = await Promise.all(replicas.map(readyz))
  const draining = landed[0]!.sessions === 1 ? one : two
  const other = draining === one ? two : one
  draining.proc.child.kill('SIGTERM')

  const drainingReady = await until('/readyz 503 on the draining replica', async () => {
    const r = await readyz(draining)
    return r.status === 503 ? r : undefined
  }, draining.proc)
  t.equal(drainingReady.status, 503, 'SIGTERM turns /readyz to 503 while the replica still runs')
  await until('HAProxy marks the draining replica down', async () => haproxy.output().includes(`livegate/${draining.name} is DOWN`) || undefined, haproxy)

  const before = (await readyz(other)).sessions
  const fresh = [await open(), await open(), await open()]
  t.equal((await readyz(other)).sessions, before + 3, 'new sessions go to the other replica')

  kept.send({ clientContent: { turns: [{ role: 'user', parts: [{ text: 'hello again' }] }], turnComplete: true } })
  await kept.waitFor(isTurnComplete, WAIT_MS)
  t.pass('the draining replica\'s session still completes a turn')
  const closed = await Promise.race([kept.closed, new Promise<undefined>((resolve) => setTimeout(() => { resolve(undefined) }, DRAIN_MS + WAIT_MS))])
  t.equal(closed?.code, 1012, 'and is closed with 1012 (service restart) when the drain ends')
  for (const c of fresh) c.ws.close()
})
