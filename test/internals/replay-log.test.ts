// The replay log copies small messages into shared slabs and hands them back byte for byte, in order, however they
// were dropped and filtered in between (src/live/replay-log.ts).
import t from 'tap'
import { ReplayLog } from '../../src/live/replay-log.js'

function message (i: number): Buffer {
  // Sizes from a few bytes to past a slab, so entries straddle slab boundaries and some get buffers of their own.
  const size = [3, 700, 1300, 9000, 40_000][i % 5] as number
  return Buffer.alloc(size, i % 251)
}

t.test('hands back what was pushed, after drops, compaction and filtering', async (t) => {
  const log = new ReplayLog()
  const expected: Array<{ i: number, data: Buffer }> = []
  for (let i = 0; i < 2000; i++) {
    const data = message(i)
    log.push(data, i % 2 === 0)
    data.fill(0xff) // the caller's buffer may be reused: the log kept a copy
    expected.push({ i, data: message(i) })
    if (i % 7 === 6) {
      log.dropFront(3)
      expected.splice(0, 3)
    }
  }
  t.equal(log.size, expected.length)
  t.equal(log.bytes, expected.reduce((n, e) => n + e.data.length, 0), 'bytes count what is kept')
  let same = true
  for (let k = 0; k < log.size; k++) {
    if (!log.data(k).equals((expected[k] as { data: Buffer }).data) || log.binary(k) !== ((expected[k] as { i: number }).i % 2 === 0)) same = false
  }
  t.ok(same, 'every entry, byte for byte, with its frame type')
  log.setSentAt(0, 42)
  const kept = log.retain((k) => (expected[k] as { i: number }).i % 3 !== 0)
  const survivors = expected.filter((e) => e.i % 3 !== 0)
  t.equal(kept, survivors.length)
  t.ok(survivors.every((e, k) => log.data(k).equals(e.data)), 'filtering keeps the order')
  t.equal(log.sentAt(0), 0, 'kept entries are unsent again')
  log.dropFront(log.size)
  t.equal(log.size, 0)
  t.equal(log.bytes, 0)
})
