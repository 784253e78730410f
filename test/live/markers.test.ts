import t from 'tap'
import fc from 'fast-check'
import {
  GO_AWAY_MARKER, RESUMPTION_UPDATE_MARKER, SETUP_COMPLETE_MARKER, TOOL_CALL_MARKER, TOOL_TRAFFIC_MARKER, TURN_COMPLETE_MARKER,
  USAGE_MARKER, mayCarryUpstreamMarker,
} from '../../src/live/markers.js'

const MARKERS = [RESUMPTION_UPDATE_MARKER, GO_AWAY_MARKER, SETUP_COMPLETE_MARKER, TURN_COMPLETE_MARKER, TOOL_CALL_MARKER, TOOL_TRAFFIC_MARKER, USAGE_MARKER]
const byteSearch = (data: Buffer): boolean => MARKERS.some((marker) => data.indexOf(marker) !== -1)
const audio = (bytes: number): Buffer => Buffer.from(JSON.stringify({ serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: 'audio/pcm;rate=24000', data: Buffer.alloc(bytes, 7).toString('base64') } }] } } }))

t.test('one pass finds every upstream marker a byte search finds, and passes audio', async (t) => {
  const cases: Array<[string, Buffer, boolean]> = [
    ['audio', audio(640), false],
    ['a large audio frame', audio(200_000), false],
    ['text delta naming the keys', Buffer.from('{"serverContent":{"modelTurn":{"parts":[{"text":"a toolCall, a goAway"}]}}}'), false],
    ['toolCall', Buffer.from('{"toolCall":{"functionCalls":[{"id":"1","name":"f","args":{}}]}}'), true],
    ['toolCallCancellation', Buffer.from('{"toolCallCancellation":{"ids":["1"]}}'), true],
    ['goAway', Buffer.from('{"goAway":{"timeLeft":"10s"}}'), true],
    ['sessionResumptionUpdate', Buffer.from('{"sessionResumptionUpdate":{"newHandle":"h","resumable":true}}'), true],
    ['setupComplete', Buffer.from('{"setupComplete":{}}'), true],
    ['turnComplete + usageMetadata', Buffer.from('{"serverContent":{"turnComplete":true},"usageMetadata":{"totalTokenCount":3}}'), true],
    ['usage_metadata', Buffer.from('{"usage_metadata":{"total_token_count":3}}'), true],
    ['pretty-printed', Buffer.from('{\n  "goAway": {\n    "timeLeft": "1s"\n  }\n}\n'), true],
    ['a marker after bytes that are not UTF-8', Buffer.concat([Buffer.from([0xff, 0xfe, 0x80, 0x22]), GO_AWAY_MARKER]), true],
    ['regex characters in the payload', Buffer.from('{"serverContent":{"modelTurn":{"parts":[{"text":".*+?^${}()|[]\\\\"}]}}}'), false],
  ]
  for (const [name, data, expected] of cases) {
    t.equal(mayCarryUpstreamMarker(data), expected, name)
    t.equal(byteSearch(data), expected, `${name}: the byte search agrees`)
  }
})

t.test('fuzz: never misses where a byte search hits', async (t) => {
  const seed = Number(process.env.LIVEGATE_FUZZ_SEED ?? Date.now() % 2 ** 31)
  t.comment(`seed ${seed}`)
  const piece = fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    fc.constantFrom(...MARKERS),
    fc.constantFrom(...MARKERS).chain((marker) => fc.nat(marker.length - 1).map((cut) => marker.subarray(0, cut))),
    fc.constantFrom(Buffer.from('"'), Buffer.from('\\"'), Buffer.from('{"serverContent":')),
  )
  fc.assert(fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
    const data = Buffer.concat(pieces)
    return mayCarryUpstreamMarker(data) === byteSearch(data)
  }), { seed, numRuns: 5000 })
  t.pass('5000 frames: the one pass and the byte search agree')
})
