/**
 * The simulator playing Vertex AI (reference §1.8b): its method path, OAuth Bearer only, model resource names.
 */
import t from 'tap'
import WebSocket from 'ws'
import { parseLiveTarget, readCredential, refuseCaller } from '../../src/simulator/handshake.js'
import { startSimulator } from '../../src/simulator/index.js'

const PATH = '/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent'
const MODEL = 'projects/p1/locations/europe-west4/publishers/google/models/gemini-3.1-flash-live-preview'

t.test('parseLiveTarget knows Vertex\'s paths (v1, v1beta1, with the SDK\'s double slash)', async (t) => {
  t.match(parseLiveTarget(PATH), { api: 'vertex', apiVersion: 'v1beta1', method: 'BidiGenerateContent' })
  t.match(parseLiveTarget(`/${PATH.replace('v1beta1', 'v1')}`), { api: 'vertex', apiVersion: 'v1' })
  t.match(parseLiveTarget('/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent'), { api: 'gemini' })
  t.equal(parseLiveTarget(PATH.replace('LlmBidiService', 'PredictionService')), undefined)
  t.equal(parseLiveTarget(PATH.replace('v1beta1', 'v1alpha')), undefined)
})

t.test('refuseCaller: Vertex takes a Bearer token only, and only a live one when a set is given', async (t) => {
  const target = parseLiveTarget(PATH)!
  const tokens = new Set(['ya29.good'])
  const q = new URLSearchParams()
  t.equal(refuseCaller(target, readCredential(q, { authorization: 'Bearer ya29.good' }), undefined, tokens), undefined)
  t.match(refuseCaller(target, readCredential(q, { authorization: 'Bearer ya29.old' }), undefined, tokens), { code: 1008, reason: /^Request had invalid authentication credentials/ })
  t.match(refuseCaller(target, readCredential(new URLSearchParams('key=k'), {}), ['k'], tokens), { code: 1008 }, 'an API key is not accepted')
  t.match(refuseCaller(target, readCredential(q, { authorization: 'Token auth_tokens/x' }), undefined, tokens), { code: 1008 }, 'nor an ephemeral token')
  t.match(refuseCaller(target, undefined, undefined, undefined), { code: 1008 })
  t.ok(Buffer.byteLength(refuseCaller(target, undefined, undefined, undefined)!.reason) <= 123)
})

async function dial (url: string, headers: Record<string, string>, setup: unknown): Promise<{ code: number, reason: string, first: string | undefined }> {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false })
  let first: string | undefined
  ws.on('message', (data: Buffer) => {
    first ??= data.toString()
    ws.close()
  })
  ws.on('error', () => {})
  ws.on('open', () => ws.send(JSON.stringify(setup)))
  return await new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), first })))
}

t.test('a Vertex simulator checks the bearer and the model resource name', async (t) => {
  const sim = await startSimulator({ vertex: { project: 'p1', location: 'europe-west4', accessTokens: new Set(['ya29.ok']) } })
  t.teardown(() => sim.close())
  const url = `${sim.url.replace('http:', 'ws:')}${PATH}`
  const ok = await dial(url, { authorization: 'Bearer ya29.ok' }, { setup: { model: MODEL } })
  t.match(ok.first, /"setupComplete"/, 'the resource name of its project and location is served')
  t.equal(sim.connections[0]?.api, 'vertex')
  const rows: Array<{ headers: Record<string, string>, model: string, code: number, reason: RegExp }> = [
    { headers: { authorization: 'Bearer ya29.nope' }, model: MODEL, code: 1008, reason: /^Request had invalid authentication credentials/ },
    { headers: { 'x-goog-api-key': 'k' }, model: MODEL, code: 1008, reason: /invalid authentication credentials/ },
    { headers: { authorization: 'Bearer ya29.ok' }, model: 'models/gemini-3.1-flash-live-preview', code: 1007, reason: /^Request contains an invalid argument/ },
    { headers: { authorization: 'Bearer ya29.ok' }, model: MODEL.replace('p1', 'p2'), code: 1008, reason: /^Publisher Model `projects\/p2\//  },
    { headers: { authorization: 'Bearer ya29.ok' }, model: MODEL.replace('gemini-3.1-flash-live-preview', 'gemini-0-nope'), code: 1008, reason: /^Publisher Model .* not found\.$/ },
  ]
  for (const row of rows) {
    const closed = await dial(url, row.headers, { setup: { model: row.model } })
    t.equal(closed.code, row.code, `${JSON.stringify(row.headers)} ${row.model}`)
    t.match(closed.reason, row.reason)
  }
})

t.test('a Gemini-only simulator answers 404 on Vertex\'s path, as the Gemini host would', async (t) => {
  const sim = await startSimulator()
  t.teardown(() => sim.close())
  const status = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${sim.url.replace('http:', 'ws:')}${PATH}`, { headers: { authorization: 'Bearer x' } })
    ws.on('error', () => {})
    ws.on('unexpected-response', (req, res) => { resolve(res.statusCode ?? 0); req.destroy() })
  })
  t.equal(status, 404)
})
