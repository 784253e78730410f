// The JS SDK in its own process, so the test CA can be trusted the way an operator would: NODE_EXTRA_CA_CERTS.
// usage: node sdk-child.mjs BASE_URL TOKEN PROMPT -> one JSON line {"text": str}
import { GoogleGenAI } from '@google/genai'

const [baseUrl, apiKey, prompt] = process.argv.slice(2)
const ai = new GoogleGenAI({ apiKey, httpOptions: { baseUrl, apiVersion: 'v1beta' } })
let text = ''
let done
const turnDone = new Promise((resolve) => { done = resolve })
const session = await ai.live.connect({
  model: 'gemini-3.1-flash-live-preview',
  config: { responseModalities: ['TEXT'] },
  callbacks: {
    onmessage (m) {
      for (const p of m.serverContent?.modelTurn?.parts ?? []) text += p.text ?? ''
      if (m.serverContent?.turnComplete === true) done()
    },
    onclose (e) { if (e.code !== 1000 && e.code !== 1005) { process.stderr.write(`closed ${e.code} ${e.reason}\n`); process.exit(2) } },
  },
})
session.sendClientContent({ turns: [{ role: 'user', parts: [{ text: prompt }] }], turnComplete: true })
await turnDone
session.close()
process.stdout.write(`${JSON.stringify({ text })}\n`)
