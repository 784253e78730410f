import t from 'tap'
import { echoFrame, echoSource } from '../../src/simulator/echo.js'
import { MODEL, PATH, RawClient, has, openSession, startTestSimulator } from './client.js'

const answer = (frame: string): unknown => {
  const source = echoSource(Buffer.from(frame))
  return source === undefined ? undefined : JSON.parse(echoFrame(source).toString())
}
const audio = (mimeType: string, data: string): unknown => ({ serverContent: { modelTurn: { parts: [{ inlineData: { mimeType, data } }] } } })

t.test('echo answers audio frames in any layout and casing with the same data', async (t) => {
  t.same(answer('{"realtimeInput":{"audio":{"mimeType":"audio/pcm;rate=16000","data":"AAEC"}}}'), audio('audio/pcm;rate=16000', 'AAEC'))
  t.same(answer('{ "realtimeInput" : { "audio" : { "data" : "QUJD", "mimeType" : "audio/pcm;rate=24000" } } }'), audio('audio/pcm;rate=24000', 'QUJD'))
  t.same(answer('{"realtime_input":{"media_chunks":[{"mime_type":"audio/pcm","data":"AAAA"}]}}'), audio('audio/pcm', 'AAAA'))
  t.same(answer('{"realtimeInput":{"audio":{"data":"AAAA"}}}'), audio('audio/pcm;rate=16000', 'AAAA'), 'no mime type: 16 kHz PCM')
  t.same(answer('{"realtimeInput":{"audio":{"mimeType":"audio/pcm","data":"AA\\u0041A"}}}'), audio('audio/pcm', 'AAAA'), 'escapes go through JSON.parse')
})

t.test('echo leaves everything else to the session', async (t) => {
  for (const frame of [
    '{"realtimeInput":{"video":{"mimeType":"image/jpeg","data":"AAAA"}}}',
    '{"realtimeInput":{"text":"say \\"data\\": \\"x\\""}}',
    '{"realtimeInput":{"audioStreamEnd":true}}',
    '{"clientContent":{"turns":[{"parts":[{"text":"\\"realtimeInput\\""}]}]}}',
    'not json',
  ]) t.equal(answer(frame), undefined, frame)
})

t.test('the answer is Gemini\'s pretty-printed layout', async (t) => {
  const frame = echoFrame(echoSource(Buffer.from('{"realtimeInput":{"audio":{"mimeType":"audio/pcm;rate=16000","data":"AAEC"}}}'))!)
  t.equal(frame.toString(), JSON.stringify(audio('audio/pcm;rate=16000', 'AAEC'), null, 2))
})

t.test('echo mode with sessionResumption: a handle follows an echo about once a second and covers exactly the frames echoed so far', async (t) => {
  const sim = await startTestSimulator(t, { echo: true })
  const client = await openSession(sim, { session_resumption: { transparent: true } })
  const silence = Buffer.alloc(640).toString('base64')
  const isEcho = (f: { json: Record<string, unknown> }): boolean => f.json.serverContent !== undefined
  const isHandle = (f: { json: Record<string, unknown> }): boolean =>
    (f.json.sessionResumptionUpdate as { resumable?: boolean } | undefined)?.resumable === true
  // The first handle comes with setup; send until a second one follows the echoes.
  for (let i = 0; client.frames.filter(isHandle).length < 2 && i < 500; i++) {
    client.send({ realtimeInput: { audio: { mimeType: 'audio/pcm;rate=16000', data: silence } } })
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const at = client.frames.findIndex((f, i) => i > 1 && isHandle(f))
  t.ok(at > 0, 'a second handle came while audio was echoed')
  const update = client.frames[at]!.json.sessionResumptionUpdate as { newHandle: string, lastConsumedClientMessageIndex: string }
  const echoedBefore = client.frames.slice(0, at).filter(isEcho).length
  t.ok(isEcho(client.frames[at - 1]!), 'it follows an echo')
  t.equal(update.lastConsumedClientMessageIndex, String(echoedBefore), 'its index is the last echoed frame (setup is 0)')
  client.ws.close()
  await client.closed
  const resumed = await RawClient.open(sim.wsUrl(PATH))
  resumed.send({ setup: { model: MODEL, session_resumption: { handle: update.newHandle, transparent: true } } })
  await resumed.waitFor(has('setupComplete'))
  t.same(sim.connections.at(-1)?.resumedFrom, { connectionId: sim.connections[0]!.id, clientIndex: echoedBefore }, 'the handle resumes at that frame')
  resumed.ws.close()
})
