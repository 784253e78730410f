import t from 'tap'
import { camelizeMessage, field, livePath, LIVE_ROUTES, parseFrame, sendableCloseCode, truncateCloseReason } from '../../src/live/protocol.js'
import { credentialOf, isLoopback, queryOf } from '../../src/auth/credentials.js'
import { createClientRegistry } from '../../src/auth/client-registry.js'
import { upstreamUrl } from '../../src/live/upstream.js'
import { redactUrl } from '../../src/logger.js'

t.test('cuts close reasons to 123 bytes without splitting a character', async (t) => {
  t.equal(truncateCloseReason('short'), 'short')
  const ascii = 'x'.repeat(200)
  t.equal(truncateCloseReason(ascii).length, 123)
  const multi = 'é'.repeat(100) // 2 bytes each
  const cut = truncateCloseReason(multi)
  t.equal(Buffer.byteLength(cut), 122)
  t.notMatch(cut, /\uFFFD/)
  const emoji = `${'a'.repeat(121)}😀`
  t.equal(truncateCloseReason(emoji), 'a'.repeat(121), 'a 4-byte character that does not fit is dropped whole')
})

t.test('maps unsendable close codes', async (t) => {
  const table: Array<[number, number]> = [[1000, 1000], [1005, 1000], [1006, 1011], [1015, 1011], [1004, 1011], [1008, 1008], [1013, 1013], [4001, 4001], [999, 1011], [2000, 1011]]
  for (const [code, expected] of table) t.equal(sendableCloseCode(code), expected, String(code))
})

t.test('reads camelCase and snake_case, leaving user data alone', async (t) => {
  const message = { tool_response: { function_responses: [{ id: '1', name: 'f', response: { string_value: 'ok' } }] } }
  t.same(camelizeMessage(message), { toolResponse: { functionResponses: [{ id: '1', name: 'f', response: { string_value: 'ok' } }] } })
  t.equal(field({ turn_complete: true }, 'turnComplete'), true)
  t.equal(field({ turnComplete: false }, 'turnComplete'), false)
  const args = camelizeMessage({ function_calls: [{ args: { altair_json: '{}' } }] })
  t.same(args, { functionCalls: [{ args: { altair_json: '{}' } }] })
})

t.test('parses frames and names their kind', async (t) => {
  t.match(parseFrame(Buffer.from('{"client_content":{}}')), { ok: true, kind: 'clientContent', keys: ['clientContent'] })
  t.match(parseFrame('nope'), { ok: false })
  t.match(parseFrame('[1]'), { ok: false })
})

t.test('routes every API version and method, plus /v1/live', async (t) => {
  const paths = LIVE_ROUTES.map((r) => r.path)
  t.ok(paths.includes('/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent'))
  t.ok(paths.includes('/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained'))
  t.ok(paths.includes('/ws/google.ai.generativelanguage.v1.GenerativeService.BidiGenerateContent'))
  t.equal(LIVE_ROUTES.find((r) => r.path === '/v1/live')?.version, 'v1beta')
  t.equal(livePath('v1alpha'), '/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContent')
})

t.test('dials upstream with the server key on the non-constrained method', async (t) => {
  t.equal(upstreamUrl({ baseUrl: 'https://generativelanguage.googleapis.com', apiKey: 'k/y', version: 'v1beta' }),
    'wss://generativelanguage.googleapis.com/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent?key=k%2Fy')
  t.equal(upstreamUrl({ baseUrl: 'http://127.0.0.1:9/prefix/', apiKey: 'k', version: 'v1' }),
    'ws://127.0.0.1:9/prefix/ws/google.ai.generativelanguage.v1.GenerativeService.BidiGenerateContent?key=k')
})

t.test('finds the client credential where each client puts it', async (t) => {
  t.equal(credentialOf(queryOf('//ws/x?key=a'), {}), 'a')
  t.equal(credentialOf(queryOf('/ws/x?access_token=auth_tokens/b'), {}), 'auth_tokens/b')
  t.equal(credentialOf(queryOf('/x'), { 'x-goog-api-key': 'c' }), 'c')
  t.equal(credentialOf(queryOf('/x'), { authorization: 'Bearer d' }), 'd')
  t.equal(credentialOf(queryOf('/x'), { authorization: 'Token auth_tokens/e' }), 'auth_tokens/e')
  t.equal(credentialOf(queryOf('/x'), {}), undefined)
  const lookup = createClientRegistry([{ name: 'web', secret: 'good-secret-0123456789' }, { name: 'batch', secret: 'other-secret-0123456789' }])
  t.equal(lookup('good-secret-0123456789'), 'web')
  t.equal(lookup('other-secret-0123456789'), 'batch')
  t.equal(lookup('good-secret-012345678'), undefined, 'a prefix is not the secret')
})

t.test('loopback is judged on the address Fastify reports', async (t) => {
  for (const ip of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) t.ok(isLoopback(ip), ip)
  for (const ip of ['10.0.0.1', '::ffff:10.0.0.1', '192.168.1.127', 'fe80::1', '', undefined]) t.notOk(isLoopback(ip), String(ip))
})

t.test('redacts keys and tokens in URLs', async (t) => {
  t.equal(redactUrl('/ws/x?key=AIza123&a=1'), '/ws/x?key=[REDACTED]&a=1')
  t.equal(redactUrl('//ws/x?a=1&access_token=auth_tokens/abc'), '//ws/x?a=1&access_token=[REDACTED]')
})
