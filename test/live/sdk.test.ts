import t from 'tap'
import { startGateway, CLIENT_TOKEN, SERVER_KEY } from '../helpers/gateway.js'
import { connect, hasKey, isTurnComplete, textOf } from '../helpers/ws-client.js'
import type { Script } from '../../src/simulator/script.js'

const WEATHER = {
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] },
}

/** Text answers, and a client-side tool whose answer the model repeats. */
const script: Script = {
  rules: [
    { match: /weather/i, reply: [{ call: { name: 'get_weather', args: { city: 'Paris' } } }, { sayFrom: (r) => `The weather in Paris: ${JSON.stringify(r[0]?.response)}` }] },
    { match: /hello/i, reply: [{ say: 'Hello from the simulated model, streamed in several deltas.' }] },
  ],
}

interface LiveMessage {
  serverContent?: { turnComplete?: boolean, modelTurn?: { parts?: Array<{ text?: string }> } }
  toolCall?: { functionCalls?: Array<{ id?: string, name?: string, args?: Record<string, unknown> }> }
  setupComplete?: unknown
}

interface LiveSessionLike {
  sendClientContent (params: { turns: unknown, turnComplete?: boolean }): void
  sendToolResponse (params: { functionResponses: unknown }): void
  close (): void
}

interface GenAiModule {
  GoogleGenAI: new (options: { apiKey: string, httpOptions?: { baseUrl?: string } }) => {
    live: { connect (params: { model: string, config?: Record<string, unknown>, callbacks: { onmessage: (m: LiveMessage) => void, onclose?: (e: { code: number, reason: string }) => void } }): Promise<LiveSessionLike> }
  }
}

const SDKS: Array<{ name: string, load: () => Promise<GenAiModule> }> = [
  { name: '@google/genai 3.x', load: async () => await import('@google/genai') as unknown as GenAiModule },
  { name: '@google/genai 2.x', load: async () => await import('genai2') as unknown as GenAiModule },
]

for (const sdk of SDKS) {
  t.test(`${sdk.name} connects through livegate with httpOptions.baseUrl: a text turn and a client tool round trip`, async (t) => {
    const { GoogleGenAI } = await sdk.load()
    const gw = await startGateway(t, { sim: { script } })
    const ai = new GoogleGenAI({ apiKey: CLIENT_TOKEN, httpOptions: { baseUrl: gw.httpUrl } })
    const messages: LiveMessage[] = []
    const waiters: Array<{ test: (m: LiveMessage) => boolean, resolve: () => void }> = []
    const waitFor = (test: (m: LiveMessage) => boolean): Promise<void> => new Promise((resolve) => {
      if (messages.some(test)) resolve()
      else waiters.push({ test, resolve })
    })
    const session = await ai.live.connect({
      model: 'gemini-3.1-flash-live-preview',
      config: { responseModalities: ['TEXT'], tools: [{ functionDeclarations: [WEATHER] }] },
      callbacks: {
        onmessage (m) {
          messages.push(m)
          for (const w of waiters.splice(0)) { if (w.test(m)) w.resolve(); else waiters.push(w) }
          for (const call of m.toolCall?.functionCalls ?? []) {
            session.sendToolResponse({ functionResponses: [{ id: call.id, name: call.name, response: { output: `sunny in ${String(call.args?.city)}` } }] })
          }
        },
      },
    })
    const turnDone = (count: number) => (): boolean => messages.filter((m) => m.serverContent?.turnComplete === true).length >= count
    const text = (): string => messages.map((m) => (m.serverContent?.modelTurn?.parts ?? []).map((p) => p.text ?? '').join('')).join('')

    session.sendClientContent({ turns: [{ role: 'user', parts: [{ text: 'hello' }] }], turnComplete: true })
    await waitFor(turnDone(1))
    t.match(text(), /Hello from the simulated model/)

    session.sendClientContent({ turns: [{ role: 'user', parts: [{ text: 'what is the weather?' }] }], turnComplete: true })
    await waitFor(turnDone(2))
    t.match(text(), /The weather in Paris: \{"output":"sunny in Paris"\}/, 'the model used the client\'s tool response')
    const conn = gw.sim.connections[0]!
    t.equal(conn.credential, SERVER_KEY, 'upstream got the server key, not the client token')
    const call = messages.find((m) => m.toolCall !== undefined)?.toolCall?.functionCalls?.[0]
    const response = conn.received.find((f) => f.kind === 'toolResponse')?.message as { toolResponse?: { functionResponses?: Array<{ id?: string }> } } | undefined
    t.equal(response?.toolResponse?.functionResponses?.[0]?.id, call?.id, 'the response carries the model\'s call id')
    session.close()
    t.equal((await conn.closed).code, 1000, 'the SDK\'s close without a code reaches upstream as 1000')
  })
}

t.test('a raw ws client in the seed notebook\'s style does a client tool round trip in snake_case', async (t) => {
  const gw = await startGateway(t, { sim: { script } })
  const client = await connect(gw.wsUrl)
  client.send({ setup: { model: 'models/gemini-3.1-flash-live-preview', tools: [{ function_declarations: [WEATHER] }], generation_config: { response_modalities: ['TEXT'] } } })
  await client.waitFor(hasKey('setupComplete'))
  client.send({ client_content: { turns: [{ role: 'user', parts: [{ text: 'weather please' }] }], turn_complete: true } })
  const callFrame = await client.waitFor(hasKey('toolCall'))
  t.equal(callFrame.binary, true, 'the notebook decodes bytes: the frame is binary')
  const fc = (callFrame.json?.toolCall as { functionCalls: Array<{ id: string, name: string }> }).functionCalls[0]!
  client.send({ tool_response: { function_responses: [{ id: fc.id, name: fc.name, response: { result: { string_value: 'ok' } } }] } })
  await client.waitFor(isTurnComplete)
  t.match(client.frames.map(textOf).join(''), /The weather in Paris: \{"result":\{"string_value":"ok"\}\}/)
  client.ws.close()
})
