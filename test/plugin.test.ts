import t from 'tap'
import Fastify from 'fastify'
import livegate from '../src/plugin.js'
import { startSimulator } from '../src/simulator/index.js'
import { CLIENT_TOKEN, SERVER_KEY } from './helpers/gateway.js'
import { createLogSink } from './helpers/log-sink.js'
import type { Script } from '../src/simulator/script.js'

interface Teardown { teardown (fn: () => unknown): void }

const script: Script = { rules: [{ match: /hello/i, reply: [{ say: 'Hello from behind the prefix.' }] }] }

interface LiveMessage { serverContent?: { turnComplete?: boolean, modelTurn?: { parts?: Array<{ text?: string }> } } }
interface GenAi {
  GoogleGenAI: new (options: { apiKey: string, httpOptions?: { baseUrl?: string } }) => {
    live: { connect (params: { model: string, config?: Record<string, unknown>, callbacks: { onmessage: (m: LiveMessage) => void } }): Promise<{ sendClientContent (p: { turns: unknown, turnComplete?: boolean }): void, close (): void }> }
  }
}

const VEGA_LITE = {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  data: { values: [{ a: 'x', b: 1 }, { a: 'y', b: 2 }] },
  mark: 'bar',
  encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' } },
}

/** A host app with routes of its own and livegate under `/gemini`; the host keeps Fastify's default router options. */
async function startHost (t: Teardown) {
  const sim = await startSimulator({ chunkDelayMs: 0, apiKeys: [SERVER_KEY], script })
  t.teardown(() => sim.close())
  const host = Fastify({ logger: { level: 'warn', stream: createLogSink().stream } })
  host.get('/hello', async () => ({ from: 'host' }))
  host.get('/healthz', async () => ({ host: true }))
  await host.register(livegate, {
    prefix: '/gemini',
    env: {
      GEMINI_API_KEY: SERVER_KEY,
      LIVEGATE_UPSTREAM_URL: sim.url,
      LIVEGATE_CLIENT_TOKENS: CLIENT_TOKEN,
      LIVEGATE_STORE: 'memory',
      LIVEGATE_RENDER_THREADS: '1',
      LIVEGATE_RENDER_TIMEOUT_MS: '30000',
    },
  })
  await host.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => host.close())
  const address = host.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return { host, sim, url: `http://127.0.0.1:${port}` }
}

t.test('registered with a prefix inside a host app, livegate serves its routes under it and leaves the host\'s alone', async (t) => {
  const { url } = await startHost(t)
  t.same(await (await fetch(`${url}/hello`)).json(), { from: 'host' }, 'the host route answers')
  t.same(await (await fetch(`${url}/healthz`)).json(), { host: true }, 'the host keeps its own /healthz')
  t.same(await (await fetch(`${url}/gemini/healthz`)).json(), { status: 'ok' }, 'livegate health is under the prefix')
  const refused = await fetch(`${url}/gemini/v1/charts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  t.equal(refused.status, 401, 'the prefixed REST routes still need a client token')
  t.equal(refused.headers.get('content-type'), 'application/problem+json; charset=utf-8')
  const page = await fetch(`${url}/gemini/`)
  t.equal(page.status, 200, 'the web client is served under the prefix')
  t.match(await page.text(), /<script type="module" src="app.js">/)
  t.equal((await fetch(`${url}/v1/artifacts/x.png`)).status, 404, 'nothing of livegate leaks outside the prefix')
})

for (const baseSuffix of ['/gemini', '/gemini/']) {
  t.test(`a JS SDK session with baseUrl http://host${baseSuffix} runs through the prefix`, async (t) => {
    const { url, sim } = await startHost(t)
    const { GoogleGenAI } = await import('@google/genai') as unknown as GenAi
    const ai = new GoogleGenAI({ apiKey: CLIENT_TOKEN, httpOptions: { baseUrl: url + baseSuffix } })
    let text = ''
    let resolveDone: () => void = () => {}
    const done = new Promise<void>((resolve) => { resolveDone = resolve })
    const session = await ai.live.connect({
      model: 'gemini-3.1-flash-live-preview',
      config: { responseModalities: ['TEXT'] },
      callbacks: {
        onmessage (m) {
          for (const part of m.serverContent?.modelTurn?.parts ?? []) text += part.text ?? ''
          if (m.serverContent?.turnComplete === true) resolveDone()
        },
      },
    })
    session.sendClientContent({ turns: [{ role: 'user', parts: [{ text: 'hello' }] }], turnComplete: true })
    await done
    t.equal(text, 'Hello from behind the prefix.')
    t.equal(sim.connections[0]?.credential, SERVER_KEY, 'upstream got the server key')
    session.close()
  })
}

t.test('a chart rendered through the prefix is handed out with prefixed URLs that serve it', async (t) => {
  const { url } = await startHost(t)
  const res = await fetch(`${url}/gemini/v1/charts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_TOKEN}` },
    body: JSON.stringify(VEGA_LITE),
  })
  t.equal(res.status, 201)
  const body = await res.json() as { id: string, urls: { png: string, svg: string } }
  t.equal(body.urls.png, `${url}/gemini/v1/artifacts/${body.id}.png`)
  const png = await fetch(body.urls.png)
  t.equal(png.status, 200)
  t.equal(png.headers.get('content-type'), 'image/png')
  const bytes = Buffer.from(await png.arrayBuffer())
  t.same([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG')
  const svg = await fetch(body.urls.svg)
  t.match(await svg.text(), /<svg/, 'the other format renders on demand under the prefix')
})
