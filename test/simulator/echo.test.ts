import t from 'tap'
import { echoFrame, echoSource } from '../../src/simulator/echo.js'

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
