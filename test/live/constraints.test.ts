import t from 'tap'
import { applyConstraints, createEphemeralGate } from '../../src/live/constraints.js'
import { createMemoryUseCounter } from '../../src/auth/use-counter.js'
import type { EphemeralGrant } from '../../src/auth/identity.js'

const CLIENT = {
  model: 'models/client-model',
  generation_config: { temperature: 0.9, top_k: 3, response_modalities: ['TEXT'] },
  tools: [{ functionDeclarations: [{ name: 'get_weather' }] }],
  outputAudioTranscription: {},
}
const LOCKED = { model: 'models/gemini-3.8-live', generationConfig: { temperature: 0.2 }, systemInstruction: { parts: [{ text: 'Be brief' }] } }

t.test('no locked setup and no mask: the client\'s setup goes as sent', async (t) => {
  t.equal(applyConstraints(CLIENT, { setup: undefined, fieldMask: undefined }), undefined)
})

t.test('a locked setup without a mask locks every field (the client\'s values are ignored)', async (t) => {
  t.same(applyConstraints(CLIENT, { setup: LOCKED, fieldMask: undefined }), LOCKED)
  t.same(applyConstraints(CLIENT, { setup: { generationConfig: { temperature: 0.2 } }, fieldMask: undefined }),
    { generationConfig: { temperature: 0.2 }, model: 'models/client-model' }, 'the client\'s model stays when the token names none')
})

t.test('a mask locks its paths to the token\'s values, clears those the token leaves unset, and leaves the rest to the client', async (t) => {
  const out = applyConstraints(CLIENT, { setup: LOCKED, fieldMask: ['model', 'generationConfig.temperature', 'generationConfig.topK', 'systemInstruction'] })
  t.same(out, {
    model: 'models/gemini-3.8-live',
    generationConfig: { temperature: 0.2, responseModalities: ['TEXT'] },
    tools: [{ functionDeclarations: [{ name: 'get_weather' }] }],
    outputAudioTranscription: {},
    systemInstruction: { parts: [{ text: 'Be brief' }] },
  })
  t.same(CLIENT.generation_config, { temperature: 0.9, top_k: 3, response_modalities: ['TEXT'] }, 'the client\'s object is not modified')
})

t.test('the client\'s resumption handle survives any lock', async (t) => {
  const resuming = { ...CLIENT, sessionResumption: { handle: 'h-123' } }
  t.same(applyConstraints(resuming, { setup: { ...LOCKED, sessionResumption: {} }, fieldMask: undefined })?.sessionResumption, { handle: 'h-123' })
  t.same(applyConstraints(resuming, { setup: LOCKED, fieldMask: ['sessionResumption'] })?.sessionResumption, { handle: 'h-123' })
})

const grant = (over: Partial<EphemeralGrant> = {}): EphemeralGrant => ({
  tokenId: `tok-${Math.random()}`, expireTimeMs: Date.now() + 60_000, newSessionExpireTimeMs: Date.now() + 60_000, uses: 1, setup: undefined, fieldMask: undefined, ...over,
})

t.test('the gate counts a new session as a use, refuses past the uses, and lets a resumption through uncounted', async (t) => {
  const counter = createMemoryUseCounter()
  const g = grant()
  const first = createEphemeralGate(g, counter)
  first.rewriteSetup({ model: 'm' })
  await first.admitted
  const resumed = createEphemeralGate(g, counter)
  resumed.rewriteSetup({ model: 'm', sessionResumption: { handle: 'h' } })
  await resumed.admitted
  const second = createEphemeralGate(g, counter)
  second.rewriteSetup({ model: 'm' })
  await t.rejects(second.admitted, { code: 'LG_ERR_AUTH_TOKEN_USED_UP' })
  const unlimited = grant({ uses: 0 })
  for (let i = 0; i < 3; i++) {
    const gate = createEphemeralGate(unlimited, counter)
    gate.rewriteSetup({})
    await gate.admitted
  }
})

t.test('past newSessionExpireTime a new session is refused, a resumption is not', async (t) => {
  const g = grant({ newSessionExpireTimeMs: Date.now() - 1 })
  t.throws(() => createEphemeralGate(g, createMemoryUseCounter()).rewriteSetup({}), { code: 'LG_ERR_AUTH_TOKEN_EXPIRED' })
  const gate = createEphemeralGate(g, createMemoryUseCounter())
  gate.rewriteSetup({ session_resumption: { handle: 'h' } })
  await gate.admitted
})
