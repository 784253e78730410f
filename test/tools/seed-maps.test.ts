/**
 * The seed notebook's map turns, end to end through the simulator's default (seed) script: the model's draw_map calls
 * run on the server, and the images a user would see are compared with golden images.
 */
import t from 'tap'
import { startGateway } from '../helpers/gateway.js'
import { connect, hasKey, isTurnComplete, textOf, type TestClient } from '../helpers/ws-client.js'
import { assertGolden } from '../helpers/golden.js'
import { decodePng } from '../helpers/pixels.js'
import { SEED_PROMPTS, SEED_TOOLS } from '../../src/simulator/seed.js'

/** The seed notebook declares draw_map itself; its operator lets the server run it (issue 12 §3). */
const SEED_ENV = { LIVEGATE_SERVER_TOOLS_OVERRIDE: 'draw_map' }

const MODEL = 'models/gemini-3.1-flash-live-preview'
/** A deadline, not a speed target: the first map of a fresh pool loads the gazetteer and map data in a new worker. */
const WAIT_MS = 120000

interface MapResponse { result: string, image: { png: string, width: number, height: number }, zoom: number, center: { lat: number, lng: number } }

async function turn (client: TestClient, text: string): Promise<string> {
  const before = client.frames.length
  client.send({ client_content: { turns: [{ role: 'user', parts: [{ text }] }], turn_complete: true } })
  await client.waitFor((f) => client.frames.indexOf(f) >= before && isTurnComplete(f), WAIT_MS)
  return client.frames.slice(before).map(textOf).join('')
}

async function imageOf (response: MapResponse): Promise<Buffer> {
  const res = await fetch(response.image.png)
  t.equal(res.status, 200)
  return Buffer.from(await res.arrayBuffer())
}

t.test('Sydney restaurants, then zoomed in on one; the capitals with an orange-to-green gradient', async (t) => {
  t.setTimeout(600000)
  const gw = await startGateway(t, { env: { ...SEED_ENV, LIVEGATE_TOOL_TIMEOUT_MS: String(WAIT_MS) } })
  const client = await connect(gw.wsUrl)
  client.send({ setup: { model: MODEL, tools: SEED_TOOLS.mapping, generation_config: { response_modalities: ['TEXT'] } } })
  await client.waitFor(hasKey('setupComplete'))
  const conn = gw.sim.connections[0]!
  const responses = (): MapResponse[] => conn.received.filter((f) => f.kind === 'toolResponse')
    .map((f) => (f.message.toolResponse as { functionResponses: Array<{ response: MapResponse }> }).functionResponses[0]!.response)

  t.match(await turn(client, SEED_PROMPTS.sydney), /Quay/, 'the model describes the map it drew')
  const sydney = responses()[0]!
  t.match(sydney, { result: 'ok', zoom: 14, image: { width: 512, height: 512 } })
  const sydneyPng = await imageOf(sydney)
  await assertGolden(t, new URL('../fixtures/maps/golden/seed-sydney-restaurants.png', import.meta.url), sydneyPng)
  // The three pins are drawn in their colours: red, blue and green pixels are all present.
  const pixels = await decodePng(sydneyPng)
  const has = (test: (r: number, g: number, b: number) => boolean): boolean => {
    for (let y = 0; y < pixels.height; y++) for (let x = 0; x < pixels.width; x++) { const [r, g, b] = pixels.at(x, y); if (test(r, g, b)) return true }
    return false
  }
  t.ok(has((r, g, b) => r > 200 && g < 80 && b < 80), 'a red pin')
  t.ok(has((r, g, b) => b > 200 && r < 80 && g < 120), 'a blue pin')
  t.ok(has((r, g, b) => g > 150 && r < 80 && b < 80), 'a green pin')

  t.match(await turn(client, SEED_PROMPTS.pickOne), /Bennelong/)
  const pick = responses()[1]!
  t.match(pick, { result: 'ok', zoom: 17 })
  t.ok(Math.abs(pick.center.lat - -33.8568) < 0.001 && Math.abs(pick.center.lng - 151.2153) < 0.001, 'centred on the pick')
  await assertGolden(t, new URL('../fixtures/maps/golden/seed-sydney-pick.png', import.meta.url), await imageOf(pick))

  t.match(await turn(client, SEED_PROMPTS.capitals), /capitals/)
  const capitals = responses()[2]!
  t.match(capitals, { result: 'ok', zoom: 4 })
  const capitalsPng = await imageOf(capitals)
  await assertGolden(t, new URL('../fixtures/maps/golden/seed-capitals.png', import.meta.url), capitalsPng)
  const cap = await decodePng(capitalsPng)
  let orange = false
  let green = false
  for (let y = 0; y < cap.height; y++) {
    for (let x = 0; x < cap.width; x++) {
      const [r, g, b] = cap.at(x, y)
      if (r > 230 && g > 140 && g < 190 && b < 60) orange = true
      if (r < 40 && g > 110 && g < 150 && b < 40) green = true
    }
  }
  t.ok(orange && green, 'both ends of the orange-to-green gradient are on the map')
  client.ws.close()
})
