/**
 * The simulator answers each model as Google does (src/live/models.ts; reference §1.8a, §4 items 11, 12, 17):
 * shut-down and unknown models are refused with 1008, a reply modality the model cannot produce with 1007 after
 * setupComplete, video frames are taken in, and the GA model's sessions carry `sessionId` and `interactionStatus`.
 */
import t from 'tap'
import { LIVE_MODELS, servedModels } from '../../src/live/models.js'
import { DEFAULT_MODELS } from '../../src/simulator/index.js'
import { GA_AUDIO_SETUP, GA_MODEL, MODEL, RawClient, has, openSession, startTestSimulator, textOf } from './client.js'

t.test('the simulator serves exactly the Gemini API models livegate lists as GA or preview', async (t) => {
  t.same([...DEFAULT_MODELS].sort(), servedModels('gemini').map((m) => m.id).sort())
  t.ok(DEFAULT_MODELS.includes('gemini-3.8-live'))
  t.notOk(DEFAULT_MODELS.includes('gemini-live-2.5-flash-preview'), 'shut down 2025-12-09')
  t.notOk(DEFAULT_MODELS.includes('gemini-2.0-flash-live-001'), 'shut down 2025-12-09')
})

t.test('a shut-down model is refused like an unknown one: 1008 with Google\'s text, before setupComplete', async (t) => {
  const sim = await startTestSimulator(t)
  const shutDown = LIVE_MODELS.filter((m) => m.status === 'shut-down').map((m) => m.id)
  t.ok(shutDown.length >= 2)
  for (const id of [...shutDown, 'gemini-9-live-nope']) {
    const client = await RawClient.open(sim.wsUrl())
    client.send({ setup: { model: `models/${id}` } })
    const closed = await client.closed
    t.equal(closed.code, 1008, `${id}: 1008`)
    t.match(closed.reason, `models/${id} is not found for API version v1beta, or is not supported for bidiGenerateContent.`, `${id}: Google's text`)
    t.ok(Buffer.byteLength(closed.reason) <= 123, `${id}: cut at 123 bytes`)
    t.notOk(client.frames.some(has('setupComplete')), `${id}: no setupComplete`)
  }
})

t.test('TEXT replies on an audio-only model: setupComplete, then 1007; AUDIO works; TEXT works where supported', async (t) => {
  const sim = await startTestSimulator(t)
  const audioOnly = LIVE_MODELS.filter((m) => m.status !== 'shut-down' && m.apis.includes('gemini') && !m.responseModalities.includes('TEXT'))
  t.ok(audioOnly.some((m) => m.id === 'gemini-3.8-live'), 'gemini-3.8-live is audio-only')
  for (const m of audioOnly) {
    const client = await RawClient.open(sim.wsUrl())
    client.send({ setup: { model: `models/${m.id}`, generationConfig: { responseModalities: ['TEXT'] } } })
    const closed = await client.closed
    t.equal(closed.code, 1007, `${m.id}: 1007`)
    t.match(closed.reason, /combination of response modalities \(TEXT\) is not supported/, `${m.id}: the modality is named`)
    t.ok(client.frames[0] !== undefined && has('setupComplete')(client.frames[0]), `${m.id}: refused after setupComplete (handshake success is not capability)`)
  }

  const two = await RawClient.open(sim.wsUrl())
  two.send({ setup: { model: MODEL, generationConfig: { responseModalities: ['TEXT', 'AUDIO'] } } })
  t.match(await two.closed, { code: 1007, reason: /\(TEXT, AUDIO\) is not supported/ }, 'two modalities at once: 1007')

  const audio = await openSession(sim, GA_AUDIO_SETUP)
  audio.say('Please find the last 5 Denis Villeneuve movies.')
  const turn = await audio.turn(audio.mark(), 20_000)
  t.ok(turn.some((f) => f.json.serverContent?.modelTurn?.parts?.[0]?.inlineData !== undefined), 'gemini-3.8-live answers in audio')
  audio.ws.close()

  const text = await openSession(sim)
  text.say('Please find the last 5 Denis Villeneuve movies.')
  t.match(textOf(await text.turn(text.mark())), /Dune/, `${MODEL} answers in TEXT`)
  text.ws.close()
})

t.test('video frames (realtimeInput.video, image/jpeg) are taken in; an image in legacy mediaChunks is still 1007', async (t) => {
  const sim = await startTestSimulator(t)
  const accepted = sim.nextConnection()
  const client = await openSession(sim)
  const conn = await accepted
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0xff, 0xd9]).toString('base64')
  for (let i = 0; i < 5; i++) client.send({ realtimeInput: { video: { mimeType: 'image/jpeg', data: jpeg } } })
  client.send({ realtime_input: { video: { mime_type: 'image/jpeg', data: jpeg } } })
  client.say('Please find the last 5 Denis Villeneuve movies.')
  t.match(textOf(await client.turn(client.mark())), /Dune/, 'the session goes on after six webcam frames')
  t.equal(conn.received.filter((f) => f.kind === 'realtimeInput').length, 6, 'the frames were recorded')
  t.equal(client.ws.readyState, client.ws.OPEN, 'not closed')
  client.ws.close()

  const legacy = await openSession(sim)
  legacy.send({ realtimeInput: { mediaChunks: [{ mimeType: 'image/jpeg', data: jpeg }] } })
  t.match(await legacy.closed, { code: 1007, reason: /^Mime type 'image\/jpeg' is not supported/ })
})

t.test('gemini-3.8-live: setupComplete carries a sessionId and every turnComplete an interactionStatus; older models send neither', async (t) => {
  const sim = await startTestSimulator(t, { script: { rules: [{ match: /.*/, reply: [{ say: 'Hi.' }] }] } })
  const ga = await openSession(sim, GA_AUDIO_SETUP)
  t.match(ga.frames[0]?.json, { setupComplete: { sessionId: /^\S+$/ } })
  ga.say('hello')
  const end = (await ga.turn(1)).at(-1)!
  t.match(end.json.serverContent, { turnComplete: true, interactionStatus: 'IDLE' })
  ga.ws.close()

  const old = await openSession(sim)
  t.same(old.frames[0]?.json, { setupComplete: {} })
  old.say('hello')
  const oldEnd = (await old.turn(1)).at(-1)!
  t.same(oldEnd.json.serverContent, { turnComplete: true })
  old.ws.close()
  t.equal(GA_MODEL, 'models/gemini-3.8-live')
})

t.test('gemini-3.8-live refuses the setup fields it dropped (affective dialog, thinkingConfig) as unknown names; 3.1 takes them', async (t) => {
  const sim = await startTestSimulator(t)
  const fields: Array<[Record<string, unknown>, RegExp]> = [
    [{ enable_affective_dialog: true }, /^Invalid JSON payload received\. Unknown name "enable_affective_dialog" at 'setup\.generation_config': Cannot find field\.$/],
    [{ thinkingConfig: { thinkingLevel: 'low' } }, /Unknown name "thinking_config" at 'setup\.generation_config'/],
  ]
  for (const [field, reason] of fields) {
    const client = await RawClient.open(sim.wsUrl())
    client.send({ setup: { model: GA_MODEL, generation_config: { response_modalities: ['AUDIO'], ...field } } })
    t.match(await client.closed, { code: 1007, reason }, `${Object.keys(field)[0]!}: 1007`)
    t.notOk(client.frames.some(has('setupComplete')), 'before setupComplete')
    const older = await openSession(sim, { generation_config: { response_modalities: ['TEXT'], ...field } })
    t.ok(older.frames.some(has('setupComplete')), `${MODEL} takes ${Object.keys(field)[0]!}`)
    older.ws.close()
  }
})
