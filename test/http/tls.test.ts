/**
 * LIVEGATE_TLS_CERT / LIVEGATE_TLS_KEY: one port serves https and wss (issue 12 §5). The clients trust a CA made
 * here and nothing else: Debian's python3-websockets (the Python SDK and the seed notebook dial wss:// only) and the
 * JS SDK in a child process with NODE_EXTRA_CA_CERTS, as an operator would set it.
 */
import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { Agent, fetch as undiciFetch } from 'undici'
import { startGateway, CLIENT_TOKEN, SERVER_KEY } from '../helpers/gateway.js'
import { createTestCa } from '../helpers/test-ca.js'
import { openLive, say, isTurnComplete, textOf } from '../helpers/ws-client.js'
import { loadConfig } from '../../src/config.js'
import type { Script } from '../../src/simulator/script.js'

const run = promisify(execFile)
const HELPERS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'helpers')
const script: Script = { rules: [{ match: /hello/i, reply: [{ say: 'Hello over TLS, streamed in deltas.' }] }] }

async function tlsGateway (t: Parameters<typeof startGateway>[0]): Promise<{ gw: Awaited<ReturnType<typeof startGateway>>, caFile: string }> {
  const ca = await createTestCa(t)
  const gw = await startGateway(t, { sim: { script }, env: { LIVEGATE_TLS_CERT: ca.certFile, LIVEGATE_TLS_KEY: ca.keyFile } })
  return { gw, caFile: ca.caFile }
}

t.test('https and wss on the same port, with a certificate from the configured files', async (t) => {
  const { gw, caFile } = await tlsGateway(t)
  t.match(gw.httpUrl, /^https:\/\/127\.0\.0\.1:\d+$/)
  const dispatcher = new Agent({ connect: { ca: await readFile(caFile, 'utf8') } })
  t.teardown(() => dispatcher.close())
  const health = await undiciFetch(`${gw.httpUrl}/healthz`, { dispatcher })
  t.equal(health.status, 200, 'REST over https')
  const page = await undiciFetch(`${gw.httpUrl}/`, { dispatcher })
  t.equal(page.status, 200, 'the page over https')
  await t.rejects(undiciFetch(`${gw.httpUrl}/healthz`), 'a client that does not trust the CA is refused by TLS')
  const plain = await fetch(gw.httpUrl.replace('https:', 'http:') + '/healthz').then((r) => r.status, (err: Error) => err.name)
  t.not(plain, 200, 'plain http is not served on the TLS port')

  const client = await openLive(gw.wsUrl, { setup: { model: 'models/gemini-3.1-flash-live-preview', generationConfig: { responseModalities: ['TEXT'] } } }, { ca: await readFile(caFile) })
  say(client, 'hello')
  await client.waitFor(isTurnComplete)
  t.match(client.frames.map(textOf).join(''), /Hello over TLS/, 'a Live session over wss')
  client.ws.close()
})

t.test('Debian\'s python3-websockets client talks to livegate over wss, trusting the test CA', async (t) => {
  const { gw, caFile } = await tlsGateway(t)
  const { stdout } = await run('/usr/bin/python3', [path.join(HELPERS, 'wss-client.py'), gw.wsUrl, caFile, 'hello from python'], { timeout: 120_000 })
  const result = JSON.parse(stdout.trim()) as { binary: boolean, text: string, keys: string[] }
  t.match(result.text, /Hello over TLS/)
  t.equal(result.keys[0], 'setupComplete')
  t.equal(result.binary, true, 'frames arrive binary, as from Gemini')
  t.equal(gw.sim.connections[0]?.credential, SERVER_KEY, 'upstream got the server key')
})

t.test('the JS SDK over https with NODE_EXTRA_CA_CERTS', async (t) => {
  const { gw, caFile } = await tlsGateway(t)
  const { stdout } = await run(process.execPath, [path.join(HELPERS, 'sdk-child.mjs'), gw.httpUrl, CLIENT_TOKEN, 'hello from the sdk'], {
    timeout: 120_000,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile, NODE_NO_WARNINGS: '1' },
  })
  t.match((JSON.parse(stdout.trim()) as { text: string }).text, /Hello over TLS/)
  t.match(gw.sim.connections[0]?.path, /^\/\/?ws\/google\.ai\.generativelanguage\.v1beta/, 'relayed to the Live path')
})

t.test('LIVEGATE_TLS_CERT and LIVEGATE_TLS_KEY are validated at boot', async (t) => {
  const ca = await createTestCa(t)
  const notPem = path.join(ca.dir, 'not.pem')
  await writeFile(notPem, 'hello')
  const rows: Array<[Record<string, string>, RegExp]> = [
    [{ LIVEGATE_TLS_CERT: ca.certFile }, /LIVEGATE_TLS_CERT is set without LIVEGATE_TLS_KEY: set both or neither/],
    [{ LIVEGATE_TLS_KEY: ca.keyFile }, /LIVEGATE_TLS_KEY is set without LIVEGATE_TLS_CERT/],
    [{ LIVEGATE_TLS_CERT: path.join(ca.dir, 'missing.pem'), LIVEGATE_TLS_KEY: ca.keyFile }, /LIVEGATE_TLS_CERT="[^"]+missing\.pem": cannot read \(ENOENT\)/],
    [{ LIVEGATE_TLS_CERT: ca.certFile, LIVEGATE_TLS_KEY: notPem }, /LIVEGATE_TLS_KEY="[^"]+not\.pem": not a PEM file/],
    [{ LIVEGATE_TLS_CERT: ca.keyFile, LIVEGATE_TLS_KEY: ca.keyFile }, /LIVEGATE_TLS_CERT="[^"]+": not a PEM file/],
  ]
  for (const [env, message] of rows) t.throws(() => loadConfig(env), { code: 'LG_ERR_CONFIG_INVALID', message }, JSON.stringify(Object.keys(env)))
  const config = loadConfig({ LIVEGATE_TLS_CERT: ca.certFile, LIVEGATE_TLS_KEY: ca.keyFile })
  t.match(config.tls, { certFile: ca.certFile, cert: /BEGIN CERTIFICATE/, key: /PRIVATE KEY/ })
  t.equal(loadConfig({}).tls, undefined)
})
