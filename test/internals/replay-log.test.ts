// The replay log copies small messages into pooled slabs and hands them back byte for byte, in order, however they
// were dropped and filtered in between (src/live/replay-log.ts).
import t from 'tap'
import { ReplayLog } from '../../src/live/replay-log.js'
import { SlabPool } from '../../src/live/slab-pool.js'

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

t.test('slabs go back to the pool once nothing in them is kept, and reuse never changes a kept entry', async (t) => {
  const pool = new SlabPool(1024, 8)
  const first = new ReplayLog(pool)
  const second = new ReplayLog(pool)
  const frame = (i: number): Buffer => Buffer.alloc(200, i)
  for (let i = 0; i < 12; i++) first.push(frame(i), false) // 5 to a slab: slabs 0, 1 full, slab 2 current
  t.equal(pool.free, 0, 'every slab is fresh at first')
  const copied = first.copy(0)
  first.dropFront(4)
  t.equal(pool.free, 0, 'a slab with one entry still kept stays out')
  first.dropFront(1)
  t.equal(pool.free, 1, 'the first slab is back once its last entry goes')
  for (let i = 0; i < 5; i++) second.push(frame(100 + i), false)
  t.equal(pool.free, 0, 'another session reused it')
  t.ok(copied.equals(frame(0)), 'a copy handed on is not overwritten by the reuse')
  let intact = true
  for (let k = 0; k < first.size; k++) if (!first.data(k).equals(frame(5 + k))) intact = false
  t.ok(intact, 'the entries still kept are untouched')
  t.ok(second.data(4).equals(frame(104)))
  first.dropFront(first.size)
  t.equal(pool.free, 2, 'an emptied log gives back its current slab too: an idle session holds none')
  first.push(Buffer.alloc(600, 1), true) // over a quarter slab: a buffer of its own, never pooled
  first.dropFront(1)
  t.equal(pool.free, 2)
  const kept = second.retain((k) => k % 2 === 0)
  t.equal(kept, 3)
  second.retain(() => false)
  t.equal(pool.free, 3, 'filtered away entries give their slab back as well')
})

t.test('the pool holds at most as many free slabs as are out, and at least minFree', async (t) => {
  const pool = new SlabPool(256, 2)
  for (let i = 0; i < 5; i++) pool.give(Buffer.allocUnsafeSlow(256))
  t.equal(pool.free, 2, 'none out: minFree')
  pool.give(Buffer.allocUnsafeSlow(100))
  t.equal(pool.free, 2, 'a buffer of another size is not kept')

  const taken = Array.from({ length: 10 }, () => pool.take())
  t.equal(pool.out, 10)
  t.equal(pool.free, 0)
  // Handles cover many logs at once: half the slabs come back together and are wanted again soon.
  for (const slab of taken.slice(0, 5)) pool.give(slab)
  t.equal(pool.free, 5, 'kept while as many are still out')
  const again = Array.from({ length: 5 }, () => pool.take())
  t.ok(again.every((slab) => taken.includes(slab)), 'reused, not allocated')
  for (const slab of [...taken.slice(5), ...again]) pool.give(slab)
  t.equal(pool.out, 0)
  t.equal(pool.free, 2, 'once all are back the pool shrinks to minFree')
})

t.test('a closed log gives every slab back', async (t) => {
  const pool = new SlabPool(1024, 0)
  const log = new ReplayLog(pool)
  for (let i = 0; i < 12; i++) log.push(Buffer.alloc(200, i), false)
  t.equal(pool.out, 3)
  log.close()
  t.equal(pool.out, 0, 'nothing out after close')
  t.equal(log.size, 0)
})

t.test('entries stay intact as the log grows past its first slots', async (t) => {
  const pool = new SlabPool(4096, 0)
  const log = new ReplayLog(pool)
  const frame = (i: number): Buffer => Buffer.alloc(50 + (i % 7), i % 251)
  for (let i = 0; i < 300; i++) {
    log.push(frame(i), i % 3 === 0)
    log.setSentAt(i, i + 0.5)
  }
  let intact = true
  for (let i = 0; i < 300; i++) {
    if (!log.data(i).equals(frame(i)) || log.binary(i) !== (i % 3 === 0) || log.sentAt(i) !== i + 0.5) intact = false
  }
  t.ok(intact, '300 entries: bytes, frame type and send time as written')
  log.dropFront(150)
  t.ok(log.data(0).equals(frame(150)) && log.sentAt(0) === 150.5, 'and after dropping the oldest half')
})
