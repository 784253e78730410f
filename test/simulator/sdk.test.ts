import t from 'tap'
import { GoogleGenAI, Modality, type LiveServerMessage } from '@google/genai'
import { GoogleGenAI as GoogleGenAI2 } from 'genai2'
import { SEED_PROMPTS, SEED_RENDER_ALTAIR_ARGS, SEED_TOOLS } from '../../src/simulator/index.js'
import { KEY, MODEL, startTestSimulator } from './client.js'

/** The SDK adds `models/` itself. */
const TEXT_MODEL = MODEL.replace(/^models\//, '')

interface Inbox {
  messages: LiveServerMessage[]
  next (predicate: (m: LiveServerMessage) => boolean, timeoutMs?: number): Promise<LiveServerMessage>
  closed: Promise<{ code: number, reason: string }>
  callbacks: {
    onmessage: (m: LiveServerMessage) => void
    onclose: (e: { code: number, reason: string }) => void
    onerror: (e: unknown) => void
  }
}

function inbox (): Inbox {
  const messages: LiveServerMessage[] = []
  const waiters: Array<{ predicate: (m: LiveServerMessage) => boolean, resolve: (m: LiveServerMessage) => void, from: number }> = []
  let onClose!: (e: { code: number, reason: string }) => void
  const closed = new Promise<{ code: number, reason: string }>((resolve) => { onClose = resolve })
  return {
    messages,
    closed,
    async next (predicate, timeoutMs = 5000) {
      const from = messages.length
      return await new Promise((resolve, reject) => {
        const timer = setTimeout(() => { reject(new Error('no matching message')) }, timeoutMs)
        waiters.push({ predicate, from, resolve: (m) => { clearTimeout(timer); resolve(m) } })
      })
    },
    callbacks: {
      onmessage: (m) => {
        messages.push(m)
        for (const w of [...waiters]) {
          if (messages.length - 1 >= w.from && w.predicate(m)) {
            waiters.splice(waiters.indexOf(w), 1)
            w.resolve(m)
          }
        }
      },
      onclose: (e) => { onClose({ code: e.code, reason: e.reason }) },
      onerror: () => {},
    },
  }
}

const turnText = (messages: LiveServerMessage[]): string =>
  messages.map((m) => m.serverContent?.modelTurn?.parts?.map((p) => p.text ?? '').join('') ?? '').join('')

t.test('@google/genai 3.x connects with httpOptions.baseUrl and does a text turn', async (t) => {
  const sim = await startTestSimulator(t)
  const accepted = sim.nextConnection()
  const ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: sim.url } })
  const box = inbox()
  const session = await ai.live.connect({ model: TEXT_MODEL, config: { responseModalities: [Modality.TEXT] }, callbacks: box.callbacks })
  const conn = await accepted
  t.equal(conn.path.startsWith('//ws/'), true, 'the SDK dials the double slash')
  t.equal(conn.apiVersion, 'v1', '3.x defaults to v1')
  t.equal(conn.credential, KEY)
  t.equal(conn.setup?.model, MODEL)
  const done = box.next((m) => m.serverContent?.turnComplete === true)
  session.sendClientContent({ turns: SEED_PROMPTS.filmsAudio, turnComplete: true })
  const end = await done
  t.match(turnText(box.messages), /Blade Runner 2049\*\* \(2017\): 164 minutes/)
  t.ok(box.messages.some((m) => m.serverContent?.generationComplete === true))
  t.ok((end.usageMetadata?.totalTokenCount ?? 0) > 0, 'usageMetadata rides with turnComplete')
  session.close()
  t.equal((await conn.closed).code, 1005, 'Session.close() sends no code')
})

t.test('@google/genai 3.x: a client-side tool round trip', async (t) => {
  const sim = await startTestSimulator(t)
  const ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: sim.url } })
  const box = inbox()
  const session = await ai.live.connect({
    model: TEXT_MODEL,
    config: { responseModalities: [Modality.TEXT], tools: [...SEED_TOOLS.plotting] as never },
    callbacks: box.callbacks,
  })
  const call = box.next((m) => m.toolCall !== undefined)
  session.sendClientContent({ turns: SEED_PROMPTS.plot, turnComplete: true })
  const fc = (await call).toolCall!.functionCalls![0]!
  t.equal(fc.name, 'render_altair')
  t.same(fc.args, SEED_RENDER_ALTAIR_ARGS)
  const done = box.next((m) => m.serverContent?.turnComplete === true)
  session.sendToolResponse({ functionResponses: [{ id: fc.id!, name: fc.name!, response: { result: { string_value: 'ok' } } }] })
  await done
  t.match(turnText(box.messages), /line chart of the five films/)
  session.close()
})

t.test('@google/genai 3.x: a refused key rejects connect() with the close reason', async (t) => {
  const sim = await startTestSimulator(t)
  const ai = new GoogleGenAI({ apiKey: 'wrong', httpOptions: { baseUrl: sim.url } })
  const box = inbox()
  await t.rejects(ai.live.connect({ model: TEXT_MODEL, config: {}, callbacks: box.callbacks }), /API key not valid/)
})

t.test('@google/genai 2.x (v1beta) does a text turn too', async (t) => {
  const sim = await startTestSimulator(t)
  const accepted = sim.nextConnection()
  const ai = new GoogleGenAI2({ apiKey: KEY, httpOptions: { baseUrl: sim.url } })
  const box = inbox()
  const session = await ai.live.connect({ model: TEXT_MODEL, config: { responseModalities: ['TEXT' as never] }, callbacks: box.callbacks as never })
  t.equal((await accepted).apiVersion, 'v1beta')
  const done = box.next((m) => m.serverContent?.turnComplete === true)
  session.sendClientContent({ turns: SEED_PROMPTS.code, turnComplete: true })
  await done
  t.match(turnText(box.messages), /Arrival\* is the shortest/)
  session.close()
})
