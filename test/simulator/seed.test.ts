import t from 'tap'
import * as vl from 'vega-lite'
import {
  DRAW_MAP_DECLARATION, RENDER_ALTAIR_DECLARATION, SEED_ALTAIR_JSON, SEED_CAPITALS, SEED_CAPITALS_MAP_ARGS,
  SEED_CHART_SPEC, SEED_CIRCULAR_MAP_ARGS, SEED_FILMS, SEED_GRADIENT, SEED_PICK_MAP_ARGS, SEED_PROMPTS,
  SEED_RENDER_ALTAIR_ARGS, SEED_SYDNEY_MAP_ARGS, SEED_TOOLS,
} from '../../src/simulator/index.js'
import { type RawClient, has, openSession, startTestSimulator, textOf } from './client.js'

t.test('the notebook\'s declarations, verbatim', async (t) => {
  t.equal(RENDER_ALTAIR_DECLARATION.name, 'render_altair')
  t.equal(RENDER_ALTAIR_DECLARATION.parameters.properties.altair_json.description,
    'JSON STRING representation of the Altair chart to render. Must be a string, not a json object')
  t.equal(RENDER_ALTAIR_DECLARATION.parameters.properties.theme.description,
    'Altair theme. Choose from one of "dark", "ggplot2", "default", "opaque".')
  t.equal(DRAW_MAP_DECLARATION.description, 'Render a Google Maps static map using the specified parameters. No information is returned.')
  const p = DRAW_MAP_DECLARATION.parameters
  t.same(Object.keys(p.properties), ['center', 'zoom', 'path', 'markers'])
  t.same(p.required, ['center', 'zoom'])
  t.same([p.properties.zoom.type, p.properties.markers.type, p.properties.markers.items.type], ['NUMBER', 'ARRAY', 'STRING'])
  t.match(p.properties.path.description, /^The path parameter defines a set of one or more locations[\s\S]*Solid thick white line: path=color:0xffffffff\|weight:10\n[\s\S]*separated by the \| \(pipe\) character\.\n$/)
  t.match(p.properties.markers.description, /^The markers parameter defines[\s\S]*markers=markerStyles\|markerLocation1\| markerLocation2\|\.\.\. etc\.[\s\S]*tiny and small markers are not capable of displaying an alphanumeric-character\.\n$/)
  t.same(SEED_TOOLS.plotting.map((tool) => Object.keys(tool)[0]), ['googleSearch', 'codeExecution', 'functionDeclarations'])
})

t.test('"plot them" draws a real Vega-Lite v5 line chart of the five films, passed as a JSON string', async (t) => {
  t.type(SEED_RENDER_ALTAIR_ARGS.altair_json, 'string')
  t.same(JSON.parse(SEED_ALTAIR_JSON), SEED_CHART_SPEC)
  t.equal(SEED_RENDER_ALTAIR_ARGS.theme, 'default', 'the notebook\'s default theme')
  t.match(SEED_CHART_SPEC, { $schema: /vega-lite\/v5/, mark: { type: 'line' }, encoding: { x: { field: 'year' }, y: { field: 'runtime_minutes' } } })
  t.same(SEED_CHART_SPEC.data.values.map((v) => [v.year, v.runtime_minutes]), SEED_FILMS.map((f) => [f.year, f.runtimeMinutes]))
  const compiled = vl.compile(JSON.parse(SEED_ALTAIR_JSON) as vl.TopLevelSpec).spec
  t.ok(Array.isArray(compiled.marks) && compiled.marks.length > 0, 'vega-lite compiles it')
})

t.test('the map arguments follow the Static Maps grammar of the declaration', async (t) => {
  const MARKER = /^color:(0x[0-9A-F]{6}|red|blue|green)\|label:[A-Z0-9]\|-?\d+\.\d{4},-?\d+\.\d{4}$/
  for (const args of [SEED_SYDNEY_MAP_ARGS, SEED_PICK_MAP_ARGS, SEED_CAPITALS_MAP_ARGS, SEED_CIRCULAR_MAP_ARGS]) {
    t.match(args.center, /^-?\d+\.\d{4},-?\d+\.\d{4}$/)
    t.ok(Number.isInteger(args.zoom), 'zoom is an integer')
    for (const marker of args.markers) t.match(marker, MARKER)
  }
  t.equal(SEED_SYDNEY_MAP_ARGS.markers.length, 3, 'three restaurants')
  t.equal(SEED_CAPITALS_MAP_ARGS.markers.length, SEED_CAPITALS.length, 'every capital')
  t.equal(SEED_GRADIENT[0], '0xFFA500', 'orange')
  t.equal(SEED_GRADIENT.at(-1), '0x008000', 'to green')
  t.match(SEED_CIRCULAR_MAP_ARGS.markers[0], /^color:0xFFA500\|label:P\|/, 'starts in Perth')
  t.match(SEED_CIRCULAR_MAP_ARGS.markers[2], /label:B\|/, 'clockwise: Perth, Darwin, Brisbane…')
  t.not(SEED_CIRCULAR_MAP_ARGS.markers.join(), SEED_CAPITALS_MAP_ARGS.markers.join(), 'the second map differs')
})

const OK = { result: { string_value: 'ok' } }

/** The notebook's `run(ws, prompt, responses)`: send, answer every call with ok, stop at turnComplete. */
async function run (client: RawClient, prompt: string): Promise<{ text: string, calls: Array<{ name: string, args: Record<string, unknown> }> }> {
  const from = client.mark()
  client.say(prompt)
  const calls: Array<{ name: string, args: Record<string, unknown> }> = []
  let seen = from
  for (;;) {
    const frame = await client.waitFor((f) => has('toolCall')(f) || f.json.serverContent?.turnComplete === true, seen)
    seen = client.frames.indexOf(frame) + 1
    if (frame.json.serverContent?.turnComplete === true) break
    for (const fc of frame.json.toolCall.functionCalls) {
      calls.push({ name: fc.name, args: fc.args })
      client.send({ tool_response: { function_responses: [{ id: fc.id, name: fc.name, response: OK }] } })
    }
  }
  return { text: textOf(client.frames.slice(from)), calls }
}

t.test('the plotting conversation, as the notebook runs it', async (t) => {
  const sim = await startTestSimulator(t)
  const client = await openSession(sim, { tools: SEED_TOOLS.plotting })
  const films = await run(client, SEED_PROMPTS.films)
  for (const f of SEED_FILMS) t.match(films.text, `**${f.title}** (${f.year}): ${f.runtimeMinutes} minutes`)
  t.match(films.text, /^Based on the search results, the last 5 Denis Villeneuve movies are:/)
  const code = await run(client, SEED_PROMPTS.code)
  t.match(code.text, /```python[\s\S]*max\(runtimes[\s\S]*Longest: Dune: Part Two \(166 minutes\)/)
  const plot = await run(client, SEED_PROMPTS.plot)
  t.same(plot.calls, [{ name: 'render_altair', args: SEED_RENDER_ALTAIR_ARGS }])
  t.match(plot.text, /line chart/)
  const dark = await run(client, SEED_PROMPTS.restyle)
  t.same(dark.calls, [{ name: 'render_altair', args: { altair_json: SEED_ALTAIR_JSON, theme: 'dark' } }], 'the "Any requests?" turn')
  client.ws.close()
})

t.test('the mapping conversations', async (t) => {
  const sim = await startTestSimulator(t)
  const client = await openSession(sim, { tools: SEED_TOOLS.mapping })
  const sydney = await run(client, SEED_PROMPTS.sydney)
  t.same(sydney.calls, [{ name: 'draw_map', args: SEED_SYDNEY_MAP_ARGS }])
  t.match(sydney.text, /Quay[\s\S]*Bennelong[\s\S]*Tetsuya's/)
  const pick = await run(client, SEED_PROMPTS.pickOne)
  t.same(pick.calls, [{ name: 'draw_map', args: SEED_PICK_MAP_ARGS }])
  client.ws.close()

  const capitals = await openSession(sim, { tools: SEED_TOOLS.capitals })
  const first = await run(capitals, SEED_PROMPTS.capitals)
  t.match(first.text, /^Here is my plan:\n1\./, 'plans first, as asked')
  t.same(first.calls, [{ name: 'draw_map', args: SEED_CAPITALS_MAP_ARGS }])
  const circular = await run(capitals, SEED_PROMPTS.circular)
  t.same(circular.calls, [{ name: 'draw_map', args: SEED_CIRCULAR_MAP_ARGS }])
  capitals.ws.close()
})

t.test('prompts match loosely, and a tool the session did not declare is not called', async (t) => {
  const sim = await startTestSimulator(t)
  const client = await openSession(sim, { tools: SEED_TOOLS.plotting })
  t.same((await run(client, 'plot them')).calls.map((c) => c.name), ['render_altair'])
  t.same((await run(client, 'show me a graph of that')).calls.map((c) => c.name), ['render_altair'])
  const noMaps = await run(client, 'mark some restaurants in Sydney on a map')
  t.same(noMaps.calls, [], 'draw_map is not declared in the plotting session')
  t.match(noMaps.text, /no function named draw_map/)
  t.match((await run(client, 'what did I just ask?')).text, /You asked: "mark some restaurants in Sydney on a map"/)
  t.match((await run(client, 'tell me a joke')).text, /Gemini simulator/, 'the fallback points at the notebook\'s prompts')
  client.ws.close()
})

t.test('the notebook\'s AUDIO cell: the answer is spoken, with a transcript without markdown', async (t) => {
  const sim = await startTestSimulator(t)
  const client = await openSession(sim, { tools: SEED_TOOLS.plotting, generation_config: { response_modalities: ['AUDIO'] }, output_audio_transcription: {} })
  const from = client.mark()
  client.say(SEED_PROMPTS.filmsAudio)
  const end = await client.waitFor((f) => f.json.serverContent?.turnComplete === true, from, 10000)
  const frames = client.frames.slice(from, client.frames.indexOf(end))
  const transcript = frames.map((f) => f.json.serverContent?.outputTranscription?.text ?? '').join('')
  t.match(transcript, /^Denis Villeneuve's last five films are Dune: Part Two, from 2024/)
  t.notMatch(transcript, /\*/)
  t.ok(frames.filter((f) => f.json.serverContent?.modelTurn?.parts?.[0]?.inlineData !== undefined).length > 50, 'many audio chunks')
  client.ws.close()
})
