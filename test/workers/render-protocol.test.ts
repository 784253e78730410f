import fc from 'fast-check'
import t from 'tap'
import { isLivegateError } from '../../src/errors.js'
import { errorFromRemote, isHostReply, isHostRequest, type RemoteError } from '../../src/workers/render-protocol.js'

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

t.test('an error from the render process becomes the call\'s error, and an unknown code never throws', async (t) => {
  t.match(errorFromRemote('chart', { code: 'LG_ERR_RENDER_TIMEOUT', detail: 'too slow', extra: { retryAfterSeconds: 1 } }),
    { code: 'LG_ERR_RENDER_TIMEOUT', detail: 'too slow', extra: { retryAfterSeconds: 1 } })
  t.match(errorFromRemote('chart', { message: 'boom' }), { code: 'LG_ERR_RENDER_CRASHED', detail: 'the render failed: boom' })
  const mapError = errorFromRemote('map', { message: 'boom' })
  t.notOk(isLivegateError(mapError))
  t.equal(mapError.message, 'boom')
  const unknown = { code: 'LG_ERR_FROM_A_NEWER_GATEWAY', detail: 'x' } as unknown as RemoteError
  t.match(errorFromRemote('chart', unknown), { code: 'LG_ERR_RENDER_CRASHED', detail: 'the render failed: x' })
  t.match(errorFromRemote('chart', { code: 'toString', detail: 1 } as unknown as RemoteError), { code: 'LG_ERR_RENDER_CRASHED' })
  fc.assert(fc.property(fc.object(), fc.constantFrom('chart', 'geocode', 'map') as fc.Arbitrary<'chart' | 'geocode' | 'map'>, (remote, op) => {
    t.ok(errorFromRemote(op, remote as unknown as RemoteError) instanceof Error)
  }), { seed: 14, numRuns: 500 })
})
