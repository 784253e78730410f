import fc from 'fast-check'
import t from 'tap'
import { isHostReply, isHostRequest } from '../../src/workers/render-protocol.js'

t.test('the render process takes only well-shaped requests', async (t) => {
  t.ok(isHostRequest({ id: 1, op: 'chart', task: {} }))
  t.ok(isHostRequest({ id: 2, op: 'cancel' }))
  for (const wrong of [null, undefined, 1, 'chart', [], {}, { id: '1', op: 'chart' }, { id: 1 }, { id: 1, op: 'render' },
    { id: 1, op: 'toString' }, { op: 'cancel' }, { id: Number.NaN, op: 7 }]) {
    t.notOk(isHostRequest(wrong), `refused: ${JSON.stringify(wrong)}`)
  }
})

t.test('the gateway takes only well-shaped replies', async (t) => {
  t.ok(isHostReply({ id: 1, value: undefined }))
  t.ok(isHostReply({ id: 1, error: { message: 'x' } }))
  for (const wrong of [null, 1, 'x', [], {}, { id: 1 }, { id: '1', value: 1 }, { id: 1, error: null }, { id: 1, error: 'boom' }]) {
    t.notOk(isHostReply(wrong), `refused: ${JSON.stringify(wrong)}`)
  }
})

t.test('neither guard throws on anything', async (t) => {
  fc.assert(fc.property(fc.anything(), (value) => {
    isHostRequest(value)
    isHostReply(value)
  }), { seed: 14, numRuns: 2000 })
  t.pass('2,000 arbitrary values')
})
