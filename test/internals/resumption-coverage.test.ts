// What a resumption handle without lastConsumedClientMessageIndex covers (src/live/resumption.ts): only ordering is
// certain (a pong follows every frame sent before its ping); a fenced handle covers everything; an estimate is split by
// the round trip, and a turn the model answered is never replayed.
import t from 'tap'
import { Resumption } from '../../src/live/resumption.js'

const OPTIONS = { bufferBytes: 1 << 20, bufferMessages: 1000, transparent: false, fenceMs: 2000 }
const audio = (n: number): Buffer => Buffer.from(JSON.stringify({ realtimeInput: { audio: { mimeType: 'audio/pcm;rate=16000', data: `chunk${n}` } } }))
const turn = (text: string): Buffer => Buffer.from(JSON.stringify({ clientContent: { turns: [{ role: 'user', parts: [{ text }] }], turnComplete: true } }))
const handle = (h: string): unknown => ({ newHandle: h, resumable: true })

function harness (): { log: Resumption, clock: { now: number }, send: (data: Buffer) => void, replay: () => string[] } {
  const clock = { now: 1000 }
  const log = new Resumption(OPTIONS, () => clock.now)
  log.onSetup({ model: 'models/m' }, false, false)
  return {
    log,
    clock,
    send (data) {
      log.push(data, false)
      log.markSent()
    },
    replay () {
      log.beginReplay()
      const out: string[] = []
      for (let next = log.nextUnsent(); next !== undefined; next = log.nextUnsent()) {
        out.push(next.data.toString())
        log.markSent()
      }
      return out
    },
  }
}

t.test('a handle without an index keeps what the upstream may not have read; a pong before the next handle lets it go', async (t) => {
  const { log, clock, send, replay } = harness()
  send(audio(1))
  send(audio(2))
  clock.now += 5
  log.onUpdate(handle('h1'))
  t.ok(log.estimated, 'the frames in flight may or may not be in h1')
  t.equal(log.size, 2, 'nothing is let go on an estimate')
  const payload = log.pingPayload()
  t.ok(log.pinging)
  send(audio(3))
  clock.now += 2
  t.notOk(log.onPong(Buffer.from('not ours')), 'a pong with another payload proves nothing')
  t.ok(log.onPong(payload))
  t.equal(log.readSeq, 2, 'the upstream has read the two frames sent before the ping')
  clock.now += 5
  log.onUpdate(handle('h2'))
  t.equal(log.size, 1, 'h2 came after the pong: it covers frames 1 and 2; frame 3 (sent after the ping) stays')
  t.ok(log.estimated)
  t.same(replay().map((f) => JSON.parse(f).realtimeInput.audio.data), ['chunk3'], 'a drop now replays frame 3')
})

t.test('a handle after a fence\'s pong covers every message sent', async (t) => {
  const { log, clock, send, replay } = harness()
  for (let i = 0; i < 5; i++) send(audio(i))
  log.onUpdate(handle('h1'), 'pong')
  t.notOk(log.estimated)
  t.equal(log.size, 0)
  t.same(replay(), [])
})

t.test('settling an estimate: frames sent a round trip before the handle are covered, later ones replayed', async (t) => {
  const { log, clock, send, replay } = harness()
  log.noteRoundTrip(10)
  send(audio(1)) // t = 1000
  clock.now += 30
  send(audio(2)) // t = 1030
  clock.now += 5
  log.onUpdate(handle('h1')) // t = 1035: frame 1 was sent 35 ms before, frame 2 only 5 ms
  log.settle()
  t.same(replay().map((f) => JSON.parse(f).realtimeInput.audio.data), ['chunk2'])
})

t.test('settling never replays a turn that model output followed before the handle', async (t) => {
  const { log, clock, send, replay } = harness()
  log.noteRoundTrip(10)
  send(turn('what is the weather'))
  clock.now += 1 // the simulator answers within one round trip
  log.outputSeen()
  log.onUpdate(handle('h1'))
  t.ok(log.estimated, 'sent within a round trip of the handle: uncertain by time alone')
  send(turn('and tomorrow?')) // after the handle: surely not in it
  log.settle()
  const replayed = replay().map((f) => JSON.parse(f).clientContent.turns[0].parts[0].text)
  t.same(replayed, ['and tomorrow?'], 'the answered turn is not asked again; the later one is')
})

t.test('a turn with no output after it is replayed when the estimate cannot place it', async (t) => {
  const { log, clock, send, replay } = harness()
  log.noteRoundTrip(10)
  send(turn('hello'))
  clock.now += 1
  log.onUpdate(handle('h1'))
  log.settle()
  t.same(replay().map((f) => JSON.parse(f).clientContent.turns[0].parts[0].text), ['hello'])
})

t.test('an index settles coverage exactly, and from then on the clock is not read per frame', async (t) => {
  let reads = 0
  const log = new Resumption({ ...OPTIONS, transparent: true }, () => { reads++; return 0 })
  log.onSetup({ model: 'models/m' }, false, false)
  for (let i = 0; i < 3; i++) { log.push(audio(i), false); log.markSent() }
  const before = reads
  log.onUpdate({ newHandle: 'h', resumable: true, lastConsumedClientMessageIndex: '2' })
  t.notOk(log.estimated)
  t.equal(log.size, 1, 'messages 1 and 2 are covered, message 3 is kept')
  log.push(audio(4), false)
  log.markSent()
  t.equal(reads, before, 'no clock read once the upstream reports an index')
})

t.test('settling reads the client\'s own bytes: frames of any shape are kept for replay, never thrown on', async (t) => {
  const { log, clock, send, replay } = harness()
  log.noteRoundTrip(10)
  const odd = ['not json', '{"clientContent":null}', '{"clientContent":{"turnComplete":"yes"}}', '{"realtimeInput":"x"}',
    '[1,2]', '{"realtimeInput":{"text":"hi"}}', '{}', '{"clientContent":{"turnComplete":true}'].map((f) => Buffer.from(f))
  for (const frame of odd) send(frame)
  clock.now += 1
  log.outputSeen()
  log.onUpdate(handle('h1'))
  t.doesNotThrow(() => { log.settle() })
  t.same(replay(), odd.map((f) => f.toString()).filter((f) => f !== '{"realtimeInput":{"text":"hi"}}'),
    'only the one that ends a turn (realtimeInput text, answered before the handle) is not replayed')
})

t.test('the round trip settle splits by is the shortest seen: a late pong or a loaded moment does not widen it', async (t) => {
  const { log, clock, send, replay } = harness()
  log.setupSent()
  clock.now += 10
  log.setupCompleted() // 10 ms, the data path's own round trip
  const payload = log.pingPayload()
  clock.now += 9_000 // Gemini's pongs have been measured at 8–30 s
  t.ok(log.onPong(payload))
  send(audio(1))
  clock.now += 30
  send(audio(2))
  clock.now += 5
  log.onUpdate(handle('h1')) // frame 1 sent 35 ms before the handle, frame 2 only 5 ms
  t.ok(log.settle(), 'there was an estimate to settle')
  t.notOk(log.settle(), 'and only once')
  t.same(replay().map((f) => JSON.parse(f).realtimeInput.audio.data), ['chunk2'], 'split by 10 ms, not by the 9 s pong')
})

t.test('pongs later than a fence lasts are noticed, also across a switch, and an in-time pong clears it', async (t) => {
  const { log, clock } = harness()
  t.notOk(log.pongsLate, 'no pong yet: assumed in time')
  const first = log.pingPayload()
  clock.now += 1_000
  t.notOk(log.pongsLate, 'waiting less than the fence lasts')
  clock.now += 1_500
  t.ok(log.pongsLate, 'a ping unanswered for longer than the fence (2 s)')
  log.beginReplay() // the connection is replaced before its pong came
  t.ok(log.pongsLate, 'the next connection of the same upstream is expected to pong as late')
  t.notOk(log.onPong(first), 'a pong for a replaced connection\'s ping is not this connection\'s')
  const second = log.pingPayload()
  clock.now += 50
  t.ok(log.onPong(second))
  t.notOk(log.pongsLate, 'an in-time pong on the new connection clears it')
  const third = log.pingPayload()
  clock.now += 2_500
  t.ok(log.onPong(third))
  t.ok(log.pongsLate, 'the newest pong took longer than the fence lasts')
})

t.test('a handle after a quiet fence covers every message sent, and says it is an inference', async (t) => {
  const { log, send, replay } = harness()
  for (let i = 0; i < 5; i++) send(audio(i))
  log.onUpdate(handle('h1'), 'quiet')
  t.notOk(log.estimated, 'nothing left to estimate')
  t.equal(log.coverage, 'inferred', 'no pong proved it')
  t.same(replay(), [], 'nothing replayed')
  send(audio(5))
  log.onUpdate(handle('h2'), 'pong')
  t.equal(log.coverage, 'exact', 'a handle after a pong is proof')
  send(audio(6))
  log.onUpdate(handle('h3'))
  t.ok(log.settle())
  t.equal(log.coverage, 'estimate', 'a settled handle is an estimate')
})

t.test('the quiet hold is four of the shortest round trips, at least 100 ms, at most half the fence', async (t) => {
  const { log } = harness()
  t.equal(log.quietMs, 100, 'no round trip measured yet: the floor')
  log.noteRoundTrip(40)
  t.equal(log.quietMs, 160)
  log.noteRoundTrip(90)
  t.equal(log.quietMs, 160, 'a slower sample does not lengthen it: the shortest counts')
  const slow = harness().log
  slow.noteRoundTrip(900)
  t.equal(slow.quietMs, 1000, 'at most half the 2 s fence, so a handle can still come within it')
})

t.test('pongs are in time only once one came within the fence, and not after a late one', async (t) => {
  const { log, clock } = harness()
  t.notOk(log.pongsInTime, 'unknown before the first pong: a fence holds quietly rather than wait for it')
  const first = log.pingPayload()
  clock.now += 20
  t.ok(log.onPong(first))
  t.ok(log.pongsInTime)
  const second = log.pingPayload()
  clock.now += 2_500
  t.ok(log.onPong(second))
  t.notOk(log.pongsInTime, 'the newest took longer than the fence lasts')
})
