import t from 'tap'
import type { Script } from '../../src/simulator/index.js'
import { MODEL, RawClient, has, openSession, startTestSimulator, textOf } from './client.js'

const SCRIPT: Script = {
  rules: [
    { match: /drop/, reply: [{ say: 'Half a sentence' }, { drop: true }] },
    { match: /fail/, reply: [{ say: 'Half a sentence' }, { close: [1011, 'Internal error encountered.'] }] },
  ],
  fallback: (turn) => [{ say: `turn ${turn.index}` }],
}

t.test('a script can drop the TCP connection mid-turn (1006: no close frame) or close it 1011 mid-turn', async (t) => {
  const sim = await startTestSimulator(t, { script: SCRIPT })
  const dropped = await openSession(sim)
  dropped.say('drop now')
  t.equal((await dropped.closed).code, 1006, 'no close frame')
  t.match(textOf(dropped.frames), /^Half a sentence/)
  t.notOk(dropped.frames.some((f) => f.json.serverContent?.turnComplete === true), 'the turn never completed')

  const failed = await openSession(sim)
  failed.say('fail now')
  t.same(await failed.closed, { code: 1011, reason: 'Internal error encountered.' })
  t.match(textOf(failed.frames), /^Half a sentence/)
  t.notOk(failed.frames.some((f) => f.json.serverContent?.turnComplete === true))
})

t.test('a resumed connection names the handle\'s origin and index; an expired handle is refused', async (t) => {
  const sim = await startTestSimulator(t, { script: SCRIPT, handleTtlMs: 300 })
  const client = await openSession(sim, { sessionResumption: { transparent: true } })
  client.say('one')
  const from = client.mark()
  await client.waitFor((f) => f.json.sessionResumptionUpdate?.resumable === true, from)
  const update = [...client.frames].reverse().find((f) => f.json.sessionResumptionUpdate?.resumable === true)!.json.sessionResumptionUpdate
  client.ws.close()
  await client.closed
  const resumed = await RawClient.open(sim.wsUrl())
  resumed.send({ setup: { model: MODEL, sessionResumption: { handle: update.newHandle } } })
  await resumed.waitFor(has('setupComplete'))
  const conn = sim.connections.at(-1)!
  t.same(conn.resumedFrom, { connectionId: sim.connections[0]!.id, clientIndex: Number(update.lastConsumedClientMessageIndex) })
  t.equal(sim.connections[0]!.resumedFrom, undefined)
  resumed.ws.close()
  await resumed.closed

  await new Promise((resolve) => setTimeout(resolve, 400))
  const late = await RawClient.open(sim.wsUrl())
  late.send({ setup: { model: MODEL, sessionResumption: { handle: update.newHandle } } })
  t.same(await late.closed, { code: 1007, reason: 'Invalid session resumption handle.' }, 'past handleTtlMs (2 h by default)')
})
