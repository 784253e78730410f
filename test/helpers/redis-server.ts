/**
 * Redis for tests. `testRedisUrl` is the shared server CI starts (LIVEGATE_TEST_REDIS_URL), or else a private
 * `redis-server` child on a free port. `startRedisServer` always starts a private child, for tests that kill, pause
 * or password-protect it. A missing binary fails the test with a message saying what to install: never a skip.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'

interface Teardown { teardown (fn: () => Promise<void> | void): void }

export interface RedisServer {
  readonly port: number
  /** `redis://127.0.0.1:PORT` (no password, no db). */
  readonly url: string
  /** SIGKILL: the port refuses connections from now on. */
  kill (): Promise<void>
  /** Start again on the same port with the same arguments (data is gone: no persistence). */
  restart (): Promise<void>
  /** SIGSTOP / SIGCONT: the port accepts connections but nothing answers. */
  pause (): void
  resume (): void
}

const START_TIMEOUT_MS = 10_000

/** Children still running, killed when the test process exits however it exits (teardown is the normal path). */
const running = new Set<ChildProcess>()
process.once('exit', () => { for (const child of running) child.kill('SIGKILL') })

/** A loopback port nothing listens on right now, for a child server or container to take. */
export async function freePort (): Promise<number> {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  return port
}

async function spawnRedis (port: number, args: readonly string[]): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  child.once('exit', () => { running.delete(child) })
  let output = ''
  return await new Promise<ChildProcess>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`redis-server did not start on port ${port}:\n${output}`)) }, START_TIMEOUT_MS)
    const fail = (err: Error): void => { clearTimeout(timer); reject(err) }
    child.once('error', (err: NodeJS.ErrnoException) => {
      fail(err.code === 'ENOENT'
        ? new Error('redis-server is not installed: install it (apt-get install -y redis-server) or set LIVEGATE_TEST_REDIS_URL to a Redis to use')
        : err)
    })
    const early = (code: number | null): void => { fail(new Error(`redis-server exited with ${code ?? 'a signal'} on port ${port}:\n${output}`)) }
    child.once('exit', early)
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer)
        child.off('exit', early)
        resolve(child)
      }
    })
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  })
}

/** A private redis-server child, killed in teardown. `args` are extra server options, e.g. `['--requirepass', pw]`. */
export async function startRedisServer (t: Teardown, args: readonly string[] = []): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess | undefined = await spawnRedis(port, args)
  const kill = async (): Promise<void> => {
    const current = child
    child = undefined
    if (current === undefined || current.exitCode !== null || current.signalCode !== null) return
    current.kill('SIGCONT')
    const exited = once(current, 'exit')
    current.kill('SIGKILL')
    await exited
  }
  t.teardown(kill)
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    async restart () {
      await kill()
      child = await spawnRedis(port, args)
    },
    pause () { child?.kill('SIGSTOP') },
    resume () { child?.kill('SIGCONT') },
  }
}

/** The shared test Redis (LIVEGATE_TEST_REDIS_URL) or, when unset, a private child server. */
export async function testRedisUrl (t: Teardown): Promise<string> {
  const shared = process.env.LIVEGATE_TEST_REDIS_URL
  if (shared !== undefined && shared !== '') return shared
  return (await startRedisServer(t)).url
}

/** A key prefix no other test (or earlier run) uses; its keys are deleted in teardown. */
export function uniquePrefix (t: Teardown, url: string, label: string): string {
  const prefix = `livegate-test:${label}:${randomBytes(6).toString('hex')}:`
  t.teardown(async () => { await deleteKeys(url, prefix) })
  return prefix
}

/** Delete every key starting with `prefix` (SCAN, not KEYS, so a shared server is not blocked). */
export async function deleteKeys (url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    let removed = 0
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) removed += await redis.del(...keys)
    }
    return removed
  } finally {
    redis.disconnect()
  }
}
