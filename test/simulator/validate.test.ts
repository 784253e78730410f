import t from 'tap'
import { validateClientMessage } from '../../src/simulator/validate.js'
import { DRAW_MAP_DECLARATION, RENDER_ALTAIR_DECLARATION } from '../../src/simulator/seed.js'

t.test('accepts the messages real clients send, in either casing', async (t) => {
  const table: Array<[string, Record<string, unknown>]> = [
    ['SDK setup', {
      setup: {
        model: 'models/gemini-3.1-flash-live-preview',
        generationConfig: { responseModalities: ['AUDIO'], temperature: 0.2, speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: 'Puck' } } } },
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        tools: [{ functionDeclarations: [{ name: 'f', description: 'd', parameters: { type: 'OBJECT' }, behavior: 'NON_BLOCKING' }] }, { googleSearch: {} }],
        realtimeInputConfig: { automaticActivityDetection: { disabled: false, silenceDurationMs: 300 }, activityHandling: 'NO_INTERRUPTION' },
        sessionResumption: { handle: 'h', transparent: true },
        contextWindowCompression: { triggerTokens: '10000', slidingWindow: { targetTokens: '5000' } },
        inputAudioTranscription: {},
        outputAudioTranscription: { languageCodes: ['en-US'] },
        proactivity: { proactiveAudio: true },
      },
    }],
    ['seed notebook setup (snake_case, verbatim declarations)', {
      setup: { model: 'models/x', tools: [{ google_search: {} }, { code_execution: {} }, { function_declarations: [RENDER_ALTAIR_DECLARATION, DRAW_MAP_DECLARATION] }], generation_config: { response_modalities: ['TEXT'] } },
    }],
    ['client_content', { client_content: { turns: [{ role: 'user', parts: [{ text: 'hi' }] }], turn_complete: true } }],
    ['realtimeInput audio', { realtimeInput: { audio: { mimeType: 'audio/pcm;rate=16000', data: 'AAAA' } } }],
    ['legacy media_chunks', { realtime_input: { media_chunks: [{ mime_type: 'audio/pcm', data: 'AAAA' }] } }],
    ['activity + stream end', { realtimeInput: { activityStart: {} } }],
    ['tool_response with user data keys', { tool_response: { function_responses: [{ id: 'function-call-1', name: 'f', response: { result: { string_value: 'ok' }, any_thing: [1] } }] } }],
  ]
  for (const [name, message] of table) t.same(validateClientMessage(message).ok, true, name)
  t.same(validateClientMessage({ client_content: {} }), { ok: true, kind: 'clientContent' }, 'kind is camelCase')
})

t.test('rejects what Google rejects, with its wording and code 1007', async (t) => {
  const table: Array<[string, unknown, RegExp]> = [
    ['unknown field in setup', { setup: { model: 'm', foo: 1 } }, /^Invalid JSON payload received\. Unknown name "foo" at 'setup': Cannot find field\.$/],
    ['unknown nested field, proto path', { setup: { model: 'm', generationConfig: { enable_affective: true } } }, /Unknown name "enable_affective" at 'setup\.generation_config'/],
    ['unknown field in a repeated message', { setup: { tools: [{ googleSearch: {} }, { function_declarations: [{ name: 'a', bogus: 1 }] }] } }, /Unknown name "bogus" at 'setup\.tools\[1\]\.function_declarations\[0\]'/],
    ['unknown top-level key', { foo: {} }, /^Invalid JSON payload received\. Unknown name "foo": Cannot find field\.$/],
    ['two message kinds', { setup: { model: 'm' }, clientContent: {} }, /Oneof field 'message_type' is already set/],
    ['the same kind in both casings', { clientContent: {}, client_content: {} }, /already set/],
    ['empty message', {}, /^Request contains an invalid argument\.$/],
    ['a scalar where a message goes', { setup: 'x' }, /^Invalid value at 'setup'/],
  ]
  for (const [name, message, reason] of table) {
    const result = validateClientMessage(message as Record<string, unknown>)
    t.equal(result.ok, false, name)
    if (!result.ok) {
      t.equal(result.close.code, 1007, name)
      t.match(result.close.reason, reason, name)
    }
  }
})
