import t from 'tap'
import { parseLiveTarget, readCredential, refuseCaller } from '../../src/simulator/handshake.js'

const BASE = 'google.ai.generativelanguage'

t.test('parseLiveTarget accepts Google\'s paths with one or two leading slashes, every version and both methods', async (t) => {
  const table = [
    { url: `/ws/${BASE}.v1beta.GenerativeService.BidiGenerateContent?key=k`, version: 'v1beta', method: 'BidiGenerateContent' },
    { url: `//ws/${BASE}.v1.GenerativeService.BidiGenerateContent?key=k`, version: 'v1', method: 'BidiGenerateContent' },
    { url: `//ws/${BASE}.v1alpha.GenerativeService.BidiGenerateContentConstrained?access_token=auth_tokens/x`, version: 'v1alpha', method: 'BidiGenerateContentConstrained' },
    { url: `/ws/${BASE}.v1alpha.GenerativeService.BidiGenerateContent`, version: 'v1alpha', method: 'BidiGenerateContent' },
  ]
  for (const row of table) {
    const target = parseLiveTarget(row.url)
    t.equal(target?.apiVersion, row.version, row.url)
    t.equal(target?.method, row.method, row.url)
    t.equal(target?.path, row.url.split('?')[0], 'the path as dialed')
  }
  t.equal(parseLiveTarget(`//ws/${BASE}.v1beta.GenerativeService.BidiGenerateContent?key=a%2Fb`)?.query.get('key'), 'a/b')
})

t.test('parseLiveTarget refuses every other path', async (t) => {
  for (const url of ['/', '/v1/live', `/ws/${BASE}.v2.GenerativeService.BidiGenerateContent`,
    `/ws/${BASE}.v1beta.GenerativeService.BidiGenerateMusic`, `/prefix/ws/${BASE}.v1beta.GenerativeService.BidiGenerateContent`,
    `/ws/${BASE}.v1beta.GenerativeService.BidiGenerateContent/extra`]) {
    t.equal(parseLiveTarget(url), undefined, url)
  }
})

t.test('readCredential reads ?key, ?access_token, x-goog-api-key and Authorization, query first', async (t) => {
  const q = (s: string): URLSearchParams => new URLSearchParams(s)
  t.same(readCredential(q('key=abc'), {}), { value: 'abc', kind: 'key' })
  t.same(readCredential(q('access_token=auth_tokens/t1'), {}), { value: 'auth_tokens/t1', kind: 'token' })
  t.same(readCredential(q(''), { 'x-goog-api-key': 'hdr' }), { value: 'hdr', kind: 'key' })
  t.same(readCredential(q(''), { authorization: 'Token auth_tokens/t2' }), { value: 'auth_tokens/t2', kind: 'token' })
  t.same(readCredential(q(''), { authorization: 'Bearer ya29.x' }), { value: 'ya29.x', kind: 'oauth' })
  t.same(readCredential(q('key=q'), { 'x-goog-api-key': 'h' }), { value: 'q', kind: 'key' })
  t.equal(readCredential(q('key='), {}), undefined, 'an empty key is no key')
  t.equal(readCredential(q(''), { authorization: 'Basic Zm9v' }), undefined)
})

t.test('refuseCaller gives Google\'s reasons', async (t) => {
  const keyPath = parseLiveTarget(`/ws/${BASE}.v1beta.GenerativeService.BidiGenerateContent`)!
  const constrained = parseLiveTarget(`/ws/${BASE}.v1alpha.GenerativeService.BidiGenerateContentConstrained`)!
  t.equal(refuseCaller(keyPath, { value: 'k', kind: 'key' }, ['k']), undefined)
  t.equal(refuseCaller(keyPath, { value: 'anything', kind: 'key' }, undefined), undefined, 'no list: any key')
  t.match(refuseCaller(keyPath, { value: 'bad', kind: 'key' }, ['k']), { code: 1008, reason: 'API key not valid. Please pass a valid API key.' })
  t.match(refuseCaller(keyPath, undefined, ['k']), { code: 1008, reason: /^Method doesn't allow unregistered callers/ })
  t.match(refuseCaller(keyPath, { value: 'k', kind: 'token' }, ['k']), { code: 1008, reason: /unregistered callers/ }, 'a token needs the Constrained method')
  t.equal(refuseCaller(constrained, { value: 'k', kind: 'token' }, ['k']), undefined)
  t.equal(refuseCaller(constrained, { value: 'k', kind: 'key' }, ['k']), undefined, 'Constrained takes a key too')
  const reason = refuseCaller(keyPath, undefined, undefined)!.reason
  t.ok(Buffer.byteLength(reason) <= 123, 'the reason fits a close frame')
})
