import { once } from 'node:events'
import { createServer, type ServerResponse } from 'node:http'
import t from 'tap'
import { createAddressPolicy } from '../../src/net/address-policy.js'
import { createOutbound, isAddressRefused } from '../../src/net/outbound.js'

const hung: ServerResponse[] = []
const server = createServer((req, res) => {
  if (req.url === '/hang') { hung.push(res); return }
  if (req.url === '/declared') { res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) }); res.flushHeaders(); hung.push(res); return }
  if (req.url === '/redirect') { res.writeHead(302, { location: '/ok' }).end(); return }
  res.end('ok')
})
server.listen(0, '127.0.0.1')
await once(server, 'listening')
const port = (server.address() as { port: number }).port
t.teardown(() => { for (const r of hung) r.destroy(); server.closeAllConnections(); server.close() })

t.test('the timeout covers a server that accepts and never answers', async (t) => {
  const out = createOutbound({ timeoutMs: 300, maxBytes: 1024 })
  t.teardown(async () => { await out.close() })
  await t.rejects(out.get(`http://127.0.0.1:${port}/hang`, { provider: 'the test host' }),
    { code: 'LG_ERR_OUTBOUND_TIMEOUT', status: 504, message: 'the test host did not answer within 300 ms', extra: { provider: 'the test host' } })
})

t.test('a declared Content-Length over the cap is refused before the body is read', async (t) => {
  const out = createOutbound({ timeoutMs: 60_000, maxBytes: 1024 })
  t.teardown(async () => { await out.close() })
  await t.rejects(out.get(`http://127.0.0.1:${port}/declared`, { provider: 'the test host' }),
    { code: 'LG_ERR_OUTBOUND_TOO_LARGE', status: 502, message: /announced 52428800 bytes; the response limit is 1024 bytes/ })
})

t.test('redirects are returned, never followed', async (t) => {
  const out = createOutbound({ timeoutMs: 60_000, maxBytes: 1024 })
  t.teardown(async () => { await out.close() })
  const res = await out.get(`http://127.0.0.1:${port}/redirect`, { provider: 'the test host' })
  t.equal(res.status, 302)
})

t.test('with an address policy, a name resolving to loopback is refused before connecting; a named address is allowed', async (t) => {
  const strict = createOutbound({ timeoutMs: 60_000, maxBytes: 1024 }, { addressPolicy: createAddressPolicy([]) })
  t.teardown(async () => { await strict.close() })
  const err = await strict.get(`http://localhost:${port}/ok`, { provider: 'the test host' }).catch((e: unknown) => e)
  t.ok(isAddressRefused(err), String(err))
  const literal = await strict.get(`http://127.0.0.1:${port}/ok`, { provider: 'the test host' }).catch((e: unknown) => e)
  t.ok(isAddressRefused(literal), 'an IP literal is checked too (it is never looked up)')
  const named = createOutbound({ timeoutMs: 60_000, maxBytes: 1024 }, { addressPolicy: createAddressPolicy(['127.0.0.1']) })
  t.teardown(async () => { await named.close() })
  const res = await named.get(`http://localhost:${port}/ok`, { provider: 'the test host' })
  t.equal(Buffer.from(res.bytes).toString(), 'ok')
})

t.test('the address policy refuses internal ranges and allows public ones', async (t) => {
  const policy = createAddressPolicy(['10.1.2.3', '[::1]'])
  const cases: Array<[string, boolean]> = [
    ['127.0.0.1', false], ['10.0.0.1', false], ['172.16.5.4', false], ['192.168.1.1', false], ['169.254.169.254', false],
    ['100.64.0.1', false], ['0.0.0.0', false], ['fe80::1', false], ['fd00::1', false], ['::ffff:127.0.0.1', false],
    ['8.8.8.8', true], ['2001:4860:4860::8888', true], ['10.1.2.3', true], ['::1', true], ['not-an-ip', false],
  ]
  for (const [address, allowed] of cases) t.equal(policy.allows(address), allowed, address)
})
