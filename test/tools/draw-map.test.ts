import t from 'tap'
import { startGateway } from '../helpers/gateway.js'
import { connect, hasKey, isTurnComplete, type ClientFrame } from '../helpers/ws-client.js'
import type { Script } from '../../src/simulator/script.js'
import { SEED_PROMPTS, SEED_TOOLS, SEED_CAPITALS_MAP_ARGS } from '../../src/simulator/seed.js'
import type { ReceivedFrame } from '../../src/simulator/types.js'

/** The seed notebook declares draw_map itself; its operator lets the server run it (issue 12 §3). */
const SEED_ENV = { LIVEGATE_SERVER_TOOLS_OVERRIDE: 'draw_map' }

const MODEL = 'models/gemini-3.1-flash-live-preview'
const WAIT_MS = 60000

const toolResponses = (frames: readonly ReceivedFrame[]): Array<{ id: string, name: string, response: Record<string, unknown> }> =>
  frames.filter((f) => f.kind === 'toolResponse')
    .flatMap((f) => (f.message.toolResponse as { functionResponses: Array<{ id: string, name: string, response: Record<string, unknown> }> }).functionResponses)
const isToolRun = (frame: ClientFrame): boolean => (frame.json?.livegate as { toolRun?: unknown } | undefined)?.toolRun !== undefined

function pngSize (bytes: Buffer): { width: number, height: number } {
  t.equal(bytes.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'PNG signature')
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) }
}

t.test('the seed\'s Sydney restaurants map is drawn on the server and the model is told what was drawn', async (t) => {
  const gw = await startGateway(t, { env: SEED_ENV })
  const client = await connect(`${gw.wsUrl}&livegate_events=1`)
  client.send({ setup: { model: MODEL, tools: SEED_TOOLS.mapping, generation_config: { response_modalities: ['TEXT'] } } })
  await client.waitFor(hasKey('setupComplete'))
  client.send({ client_content: { turns: [{ role: 'user', parts: [{ text: SEED_PROMPTS.sydney }] }], turn_complete: true } })
  await client.waitFor(isTurnComplete, WAIT_MS)
  const conn = gw.sim.connections[0]!
  const [response] = toolResponses(conn.received)
  t.equal(response?.name, 'draw_map')
  t.match(response?.response, {
    result: 'ok',
    provider: 'offline',
    image: { png: new RegExp(`^${gw.httpUrl}/v1/artifacts/[^/]+\\.png$`), width: 512, height: 512 },
    zoom: Number,
    center: { lat: Number, lng: Number },
  })
  t.notOk(client.frames.some((f) => f.json !== undefined && 'toolCall' in f.json), 'the client never saw the map call')
  const event = client.frames.find(isToolRun)
  t.match(event?.json, { livegate: { toolRun: { name: 'draw_map', status: 'ok', artifacts: [{ mimeType: 'image/png', width: 512, height: 512 }] } } })
  const image = response?.response.image as { png: string }
  const res = await fetch(image.png)
  t.equal(res.status, 200)
  t.same(pngSize(Buffer.from(await res.arrayBuffer())), { width: 512, height: 512 })
  client.ws.close()
})

t.test('a bad map argument becomes an error response naming the parameter, and the session goes on', async (t) => {
  const script: Script = {
    rules: [
      { match: /reddish/, reply: [{ call: { name: 'draw_map', args: { center: '-33.86,151.21', zoom: 12, markers: ['color:red|-33.86,151.21', 'color:reddish|-33.87,151.20'] } } }, { sayFrom: (r) => JSON.stringify(r[0]?.response) }] },
      { match: /nowhere/, reply: [{ call: { name: 'draw_map', args: { center: 'Sydney Opera House', zoom: 15 } } }, { sayFrom: (r) => JSON.stringify(r[0]?.response) }] },
      { match: /capitals/, reply: [{ call: { name: 'draw_map', args: SEED_CAPITALS_MAP_ARGS } }, { say: 'drawn' }] },
    ],
  }
  const gw = await startGateway(t, { sim: { script }, env: SEED_ENV })
  const client = await connect(gw.wsUrl)
  client.send({ setup: { model: MODEL, tools: SEED_TOOLS.mapping } })
  await client.waitFor(hasKey('setupComplete'))
  const conn = gw.sim.connections[0]!
  const turn = async (text: string): Promise<void> => {
    const before = client.frames.length
    client.send({ clientContent: { turns: [{ role: 'user', parts: [{ text }] }], turnComplete: true } })
    await client.waitFor((f) => client.frames.indexOf(f) >= before && isTurnComplete(f), WAIT_MS)
  }
  await turn('a reddish marker')
  const bad = toolResponses(conn.received)[0]?.response as { error?: { code: string, message: string } }
  t.equal(bad.error?.code, 'LG_ERR_MAP_INVALID_PARAM')
  t.match(bad.error?.message, /markers\[1\]: unknown color 'reddish' \(use a name from black\|brown\|green\|purple\|yellow\|blue\|gray\|orange\|red\|white or 0xRRGGBB\)/)
  await turn('somewhere nowhere')
  const unresolved = toolResponses(conn.received)[1]?.response as { error?: { code: string, message: string } }
  t.match(unresolved.error?.message, /Sydney Opera House/, 'names the address it cannot resolve')
  t.match(unresolved.error?.message, /lat,lng/, 'and asks for coordinates')
  await turn('the capitals')
  t.match(toolResponses(conn.received)[2]?.response, { result: 'ok', zoom: 4 }, 'the next call works')
  client.ws.close()
})
