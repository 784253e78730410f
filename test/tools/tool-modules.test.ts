import { mkdtemp, writeFile, rm } from 'node:fs/promises'
import { execFile } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { CLIENT_TOKEN, startGateway } from '../helpers/gateway.js'
import { connect, hasKey, isTurnComplete, textOf, type ClientFrame } from '../helpers/ws-client.js'
import type { Script } from '../../src/simulator/script.js'
import type { ReceivedFrame } from '../../src/simulator/types.js'
import { loadToolModules } from '../../src/tools/tool-modules.js'

const MODEL = 'models/gemini-3.1-flash-live-preview'
const WAIT_MS = 60000

/** An operator's module as it would sit on disk: a lookup, an artifact, a thrown error, and a tool that waits. */
const TOOL_MODULE = `
const TABLE = { lyon: { name: 'Lyon', population: 522250 } }
export default [
  {
    declaration: {
      name: 'lookup_city',
      description: 'Facts about a city from the operator table',
      parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] },
    },
    async run (args, ctx) {
      const city = TABLE[String(args.city).toLowerCase()]
      if (city === undefined) throw new Error('unknown city ' + args.city + '; try Lyon')
      const stored = await ctx.storeArtifact(Buffer.from('name,population\\n' + city.name + ',' + city.population + '\\n'), 'text/csv')
      return { ...city, csv: stored.url, id: stored.id, session: ctx.sessionId, client: ctx.clientName, call: ctx.callId }
    },
  },
  {
    declaration: { name: 'wait_forever', description: 'Waits until it is aborted' },
    run (_args, ctx) {
      return new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => {
          globalThis.__waitForeverAborted = ctx.signal.reason?.code ?? 'aborted'
          reject(ctx.signal.reason)
        })
      })
    },
  },
]
`

const script: Script = {
  rules: [
    { match: /Lyon/, reply: [{ call: { name: 'lookup_city', args: { city: 'Lyon' } } }, { sayFrom: (r) => JSON.stringify(r[0]?.response) }] },
    { match: /Atlantis/, reply: [{ call: { name: 'lookup_city', args: { city: 'Atlantis' } } }, { sayFrom: (r) => JSON.stringify(r[0]?.response) }] },
    { match: /wait/, reply: [{ call: { name: 'wait_forever' } }, { sayFrom: (r) => JSON.stringify(r[0]?.response) }] },
  ],
}

const toolResponses = (frames: readonly ReceivedFrame[]): Array<{ id: string, name: string, response: Record<string, unknown> }> =>
  frames.filter((f) => f.kind === 'toolResponse')
    .flatMap((f) => (f.message.toolResponse as { functionResponses: Array<{ id: string, name: string, response: Record<string, unknown> }> }).functionResponses)
const allText = (frames: readonly ClientFrame[]): string => frames.map(textOf).join('')
const isToolRun = (frame: ClientFrame): boolean => frame.json !== undefined && 'livegate' in frame.json

async function tempModule (t: { teardown (fn: () => Promise<void>): void }, name: string, source: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'livegate-tools-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = path.join(dir, name)
  await writeFile(file, source)
  return file
}

t.test('an operator tool module loaded from LIVEGATE_TOOL_MODULES runs on the server like the built-in tools', async (t) => {
  const file = await tempModule(t, 'lookup.mjs', TOOL_MODULE)
  const gw = await startGateway(t, { sim: { script }, env: { LIVEGATE_TOOL_MODULES: file, LIVEGATE_TOOL_TIMEOUT_MS: '500', LIVEGATE_CLIENT_TOKENS: `lookup-app:${CLIENT_TOKEN}` } })
  const client = await connect(`${gw.wsUrl}&livegate_events=1`)
  client.send({ setup: { model: MODEL, generationConfig: { responseModalities: ['TEXT'] } } })
  await client.waitFor(hasKey('setupComplete'))
  const conn = gw.sim.connections[0]!
  const declared = (conn.setup?.tools as Array<{ functionDeclarations?: Array<{ name: string }> }>).flatMap((e) => e.functionDeclarations ?? []).map((d) => d.name)
  t.same(declared, ['render_altair', 'draw_map', 'lookup_city', 'wait_forever'], 'the operator tools are declared upstream next to the built-in ones')

  t.test('a lookup with an artifact', async (t) => {
    client.send({ clientContent: { turns: [{ role: 'user', parts: [{ text: 'tell me about Lyon' }] }], turnComplete: true } })
    await client.waitFor(isTurnComplete, WAIT_MS)
    const [response] = toolResponses(conn.received)
    t.match(response, { name: 'lookup_city', response: { name: 'Lyon', population: 522250, client: 'lookup-app', session: String, call: response?.id } })
    const csvUrl = String(response?.response.csv)
    t.match(csvUrl, new RegExp(`^${gw.httpUrl}/v1/artifacts/[A-Za-z0-9_-]{22}\\.csv$`), 'a public artifact URL')
    t.match(allText(client.frames), /"name":"Lyon"/, 'the model read the response')
    t.notOk(client.frames.some((f) => f.json !== undefined && 'toolCall' in f.json), 'the client never saw the call')
    const event = client.frames.find(isToolRun)
    t.match(event?.json, { livegate: { toolRun: { name: 'lookup_city', status: 'ok', artifacts: [{ url: csvUrl, mimeType: 'text/csv' }] } } })
    const csv = await fetch(csvUrl)
    t.equal(csv.status, 200)
    t.equal(csv.headers.get('content-type'), 'text/csv')
    t.equal(await csv.text(), 'name,population\nLyon,522250\n')
    t.ok(gw.logs.entries().some((l) => l.msg === 'server tool run' && l.tool === 'lookup_city' && l.status === 'ok'), 'the run is logged like a built-in one')
  })

  t.test('a thrown error becomes an error response the model acts on', async (t) => {
    client.send({ clientContent: { turns: [{ role: 'user', parts: [{ text: 'and Atlantis?' }] }], turnComplete: true } })
    await client.waitFor((f) => isTurnComplete(f) && allText(client.frames).includes('Atlantis'), WAIT_MS)
    const response = toolResponses(conn.received)[1]
    t.match(response?.response, { error: { code: 'LG_ERR_TOOL_ERROR', message: 'lookup_city: unknown city Atlantis; try Lyon', hint: /the tool's own/ } })
    t.match(allText(client.frames), /unknown city Atlantis; try Lyon/, 'the model read the tool\'s message')
    const events = client.frames.filter(isToolRun)
    t.match(events[1]?.json, { livegate: { toolRun: { name: 'lookup_city', status: 'error', error: { code: 'LG_ERR_TOOL_ERROR' } } } })
  })

  t.test('the tool timeout aborts ctx.signal and answers the model with a timeout error', async (t) => {
    client.send({ clientContent: { turns: [{ role: 'user', parts: [{ text: 'wait for it' }] }], turnComplete: true } })
    await client.waitFor((f) => isTurnComplete(f) && allText(client.frames).includes('LG_ERR_TOOL_TIMEOUT'), WAIT_MS)
    t.equal((globalThis as { __waitForeverAborted?: string }).__waitForeverAborted, 'LG_ERR_TOOL_TIMEOUT', 'the tool saw its signal abort')
    t.match(toolResponses(conn.received)[2], { name: 'wait_forever', response: { error: { code: 'LG_ERR_TOOL_TIMEOUT' } } })
  })
  t.teardown(() => { client.ws.close() })
})

t.test('the example tool in examples/tools loads and answers', async (t) => {
  const [tool] = await loadToolModules([path.resolve('examples/tools/city-lookup.mjs')], [])
  t.equal(tool?.declaration.name, 'lookup_city')
})

const BAD_MODULES: Array<[string, string, RegExp]> = [
  ['syntax.mjs', 'export default {', /syntax\.mjs: does not load: /],
  ['no-default.mjs', 'export const tool = 1', /no-default\.mjs: has no default export/],
  ['no-run.mjs', "export default { declaration: { name: 'x', description: 'd' } }", /no-run\.mjs: does not match \{ declaration, run\(args, ctx\) \}: default export \/run: Expected required property$/],
  ['bad-name.mjs', "export default [{ declaration: { name: '1 bad', description: 'd' }, run () { return {} } }]", /bad-name\.mjs: does not match .*default export \[0\] \/declaration\/name: Expected string to match/],
  ['extra.mjs', "export default { declaration: { name: 'x', description: 'd', parameter: {} }, run () { return {} } }", /extra\.mjs: .*\/declaration\/parameter: Unexpected property/],
  ['clash.mjs', "export default { declaration: { name: 'draw_map', description: 'd' }, run () { return {} } }", /clash\.mjs: declares draw_map, already declared by a built-in tool/],
]

for (const [name, source, message] of BAD_MODULES) {
  t.test(`a module that does not load or match stops the start: ${name}`, async (t) => {
    const file = await tempModule(t, name, source)
    const err = await startGateway(t, { env: { LIVEGATE_TOOL_MODULES: file } }).then(() => undefined, (e: unknown) => e as Error & { code?: string })
    t.equal(err?.code, 'LG_ERR_CONFIG_TOOL_MODULE', 'the gateway does not start')
    t.ok(err?.message.startsWith(`LIVEGATE_TOOL_MODULES: ${file}: `), 'the message names the file')
    t.match(err?.message, message, 'and the problem')
  })
}

t.test('the server refuses to start on a bad module, naming the file and the problem', async (t) => {
  const file = await tempModule(t, 'broken.mjs', 'export default 42')
  const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, LIVEGATE_TOOL_MODULES: file, LIVEGATE_PORT: '0', LIVEGATE_STORE: 'memory', LIVEGATE_LOG_LEVEL: 'silent' },
  }).then(() => ({ code: 0, stderr: '' }), (err: { code: number, stderr: string }) => err)
  t.equal(result.code, 78, 'EX_CONFIG')
  t.match(result.stderr, `LG_ERR_CONFIG_TOOL_MODULE: LIVEGATE_TOOL_MODULES: ${file}: does not match { declaration, run(args, ctx) }: default export is number, not a tool object`)
})
