import t from 'tap'
import { encodeServerMessage } from '../../src/live/protocol.js'
import { mayCarryUsage, readUsage, USAGE_TAIL_BYTES, UsageTotals } from '../../src/live/usage.js'

const USAGE = {
  promptTokenCount: 120,
  responseTokenCount: 30,
  totalTokenCount: 150,
  promptTokensDetails: [{ modality: 'TEXT', tokenCount: 20 }, { modality: 'AUDIO', tokenCount: 100 }],
  responseTokensDetails: [{ modality: 'AUDIO', tokenCount: 30 }],
}

t.test('finds usageMetadata on a pretty-printed turnComplete frame, as Gemini sends it', async (t) => {
  const frame = encodeServerMessage({ serverContent: { turnComplete: true }, usageMetadata: USAGE })
  t.ok(mayCarryUsage(frame))
  t.same(readUsage(frame), {
    prompt: 120,
    response: 30,
    total: 150,
    details: [
      { side: 'prompt', modality: 'TEXT', tokens: 20 },
      { side: 'prompt', modality: 'AUDIO', tokens: 100 },
      { side: 'response', modality: 'AUDIO', tokens: 30 },
    ],
  })
})

t.test('never flags an audio frame, whatever its size (base64 holds no quote)', async (t) => {
  for (const bytes of [0, 125, 4800, 65_536, 1_000_000]) {
    const frame = encodeServerMessage({ serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: 'audio/pcm;rate=24000', data: Buffer.alloc(bytes, 7).toString('base64') } }] } } })
    t.notOk(mayCarryUsage(frame), `${bytes} bytes of audio`)
  }
})

t.test('scans only the tail of a frame: usage after a large part is found, usage before it is not looked for', async (t) => {
  const big = 'x'.repeat(USAGE_TAIL_BYTES * 4)
  t.ok(mayCarryUsage(Buffer.from(JSON.stringify({ serverContent: { modelTurn: { parts: [{ text: big }] }, turnComplete: true }, usageMetadata: USAGE }))))
  t.notOk(mayCarryUsage(Buffer.from(JSON.stringify({ usageMetadata: USAGE, serverContent: { modelTurn: { parts: [{ text: big }] } } }))),
    'proto3 JSON writes usageMetadata last; a frame that does otherwise is not scanned whole')
})

t.test('accepts snake_case and fills what Gemini leaves out', async (t) => {
  const frame = Buffer.from(JSON.stringify({ server_content: { turn_complete: true }, usage_metadata: { prompt_token_count: 7, response_token_count: 3 } }))
  t.ok(mayCarryUsage(frame))
  t.same(readUsage(frame), {
    prompt: 7,
    response: 3,
    total: 10,
    details: [{ side: 'prompt', modality: 'MODALITY_UNSPECIFIED', tokens: 7 }, { side: 'response', modality: 'MODALITY_UNSPECIFIED', tokens: 3 }],
  })
})

t.test('refuses malformed usage and buckets unknown modalities', async (t) => {
  const bad: unknown[] = [
    { promptTokenCount: -1 },
    { promptTokenCount: '12' },
    { totalTokenCount: 1.5 },
    { totalTokenCount: 1e12 },
    { promptTokensDetails: [{ modality: 'TEXT', tokenCount: -3 }] },
    { promptTokensDetails: Array.from({ length: 100 }, () => ({ modality: 'TEXT', tokenCount: 1 })) },
    'many',
    null,
    [],
  ]
  for (const usage of bad) t.equal(readUsage(Buffer.from(JSON.stringify({ usageMetadata: usage }))), undefined, JSON.stringify(usage).slice(0, 60))
  t.equal(readUsage(Buffer.from('{"usageMetadata": {')), undefined, 'not JSON')
  const odd = readUsage(Buffer.from(JSON.stringify({ usageMetadata: { promptTokenCount: 5, promptTokensDetails: [{ modality: 'SMELL', tokenCount: 5 }] } })))
  t.same(odd?.details, [{ side: 'prompt', modality: 'OTHER', tokens: 5 }])
})

t.test('UsageTotals adds turns up', async (t) => {
  const totals = new UsageTotals()
  const turn = readUsage(encodeServerMessage({ usageMetadata: USAGE }))
  if (turn === undefined) throw new Error('no usage')
  totals.add(turn)
  totals.add(turn)
  t.same(JSON.parse(JSON.stringify(totals)), { turns: 2, promptTokens: 240, responseTokens: 60, totalTokens: 300, byModality: { TEXT: 40, AUDIO: 260 } })
})
