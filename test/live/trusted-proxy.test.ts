/**
 * The loopback-only rule behind a real reverse proxy: haproxy on this machine (`option forwardfor`) in front of a
 * gateway with LIVEGATE_TRUST_PROXY=true. A client reaching haproxy over loopback is local; one reaching it over the
 * machine's network address is remote, although every socket the gateway itself sees comes from 127.0.0.1.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { startGateway } from '../helpers/gateway.js'
import { freePort } from '../helpers/redis-server.js'
import { connect, hasKey, openLive } from '../helpers/ws-client.js'

const PATH = '/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent'
const SETUP = { setup: { model: 'models/gemini-3.1-flash-live-preview', generation_config: { response_modalities: ['TEXT'] } } }

/** This machine's first non-internal IPv4 address: a client dialing it is not a loopback client. */
function networkAddress (): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  }
  throw new Error('this machine has no non-loopback IPv4 address to reach the proxy from as a remote client')
}

async function startHaproxy (t: Parameters<typeof startGateway>[0], backendPort: number): Promise<number> {
  const port = await freePort()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'livegate-haproxy-'))
  const cfg = path.join(dir, 'haproxy.cfg')
  writeFileSync(cfg, [
    'defaults', '  mode http', '  timeout connect 5s', '  timeout client 30s', '  timeout server 30s', '  timeout tunnel 30s',
    'frontend fe', `  bind 0.0.0.0:${port}`, '  option forwardfor', '  default_backend be',
    'backend be', `  server gw 127.0.0.1:${backendPort}`, '',
  ].join('\n'))
  const child = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (c: Buffer) => { output += c.toString() })
  child.stderr.on('data', (c: Buffer) => { output += c.toString() })
  const spawnError = new Promise<never>((_resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT' ? new Error('haproxy is not installed: apt-get install -y haproxy (.ci/run does)') : err)
    })
  })
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit')
      child.kill('SIGKILL')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  })
  for (let i = 0; i < 100; i++) {
    const up = await Promise.race([spawnError, new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => { resolve(false) })
    })])
    if (up) return port
    if (child.exitCode !== null) break
    await sleep(100)
  }
  throw new Error(`haproxy did not start:\n${output}`)
}

t.test('behind haproxy with trustProxy, a client reaching the proxy over the network is refused, a local one is served', async (t) => {
  const gw = await startGateway(t, { env: { LIVEGATE_CLIENT_TOKENS: '', LIVEGATE_TRUST_PROXY: 'true' } })
  const proxyPort = await startHaproxy(t, Number(new URL(gw.httpUrl).port))
  const remote = await connect(`ws://${networkAddress()}:${proxyPort}${PATH}?key=anything`)
  const closed = await remote.closed
  t.equal(closed.code, 1008, 'remote through the proxy: refused after the upgrade, as browsers need')
  t.match(closed.reason, /^LG_ERR_AUTH_LOOPBACK_ONLY: .*LIVEGATE_CLIENT_TOKENS/)
  const forged = await connect(`ws://${networkAddress()}:${proxyPort}${PATH}?key=anything`, { headers: { 'x-forwarded-for': '127.0.0.1' } })
  t.equal((await forged.closed).code, 1008, 'writing X-Forwarded-For: 127.0.0.1 itself does not make a remote client local')
  const local = await openLive(`ws://127.0.0.1:${proxyPort}${PATH}?key=anything`, SETUP)
  t.ok(local.frames.some(hasKey('setupComplete')), 'local through the proxy: served')
  local.ws.close()
  const refused = gw.logs.entries().filter((e) => e.msg === 'client refused' && e.code === 'LG_ERR_AUTH_LOOPBACK_ONLY')
  t.equal(refused.length, 2)
})
