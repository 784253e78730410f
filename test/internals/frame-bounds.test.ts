import t from 'tap'
import { MAX_JSON_DEPTH, nestsDeeperThan, parseFrame } from '../../src/live/protocol.js'
import { SETUP, TOOL_RESPONSE, conforms, SERVER_FUNCTION_CALL, shapeProblem } from '../../src/live/frame-schemas.js'

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8')

t.test('the depth scan counts brackets, not brackets inside strings or escaped quotes', async (t) => {
  const cases: Array<[string, number, boolean]> = [
    ['{}', 1, false],
    ['{"a":[{}]}', 3, false],
    ['{"a":[{}]}', 2, true],
    ['{"a":"[[[[[[{{{{"}', 1, false],
    ['{"a":"\\"[[[["}', 1, false],
    ['{"a":"\\\\"}', 1, false],
    ['{"a":"\\\\",[[["b"]]]}', 3, true],
    ['{"é":"ü[[["}', 1, false],
  ]
  for (const [text, max, deeper] of cases) t.equal(nestsDeeperThan(bytes(text), max), deeper, `${text} deeper than ${max}`)
})

t.test('parseFrame refuses a frame nested deeper than the bound before parsing it', async (t) => {
  const ok = `${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}`
  t.match(parseFrame(`{"a":${ok}}`), { ok: true })
  t.match(parseFrame(`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`), { ok: false, failure: 'too-deep' })
  t.match(parseFrame('{"a":1}', { maxBytes: 4, maxDepth: 10 }), { ok: false, failure: 'too-large' })
  t.match(parseFrame('nope'), { ok: false, failure: 'json' })
  t.match(parseFrame('[1]'), { ok: false, failure: 'not-object' })
})

t.test('shape problems name the field in the spelling the client used', async (t) => {
  const cases: Array<[unknown, string | undefined]> = [
    [{ model: 'm', tools: [{ functionDeclarations: [null] }] }, 'setup.tools[0].functionDeclarations[0] must be an object'],
    [{ model: 'm', tools: [{ function_declarations: [{ name: 3 }] }] }, 'setup.tools[0].function_declarations[0].name must be a string'],
    [{ model: 'm', tools: { functionDeclarations: { name: 'x' } } }, undefined],
    [{ model: 'm', tools: [{ googleSearch: {} }], generationConfig: { anything: [1] } }, undefined],
    [{ model: 5 }, 'setup.model must be a string'],
    [null, 'setup must be an object'],
  ]
  for (const [value, problem] of cases) t.equal(shapeProblem(SETUP, value, 'setup'), problem, JSON.stringify(value))
  t.equal(shapeProblem(TOOL_RESPONSE, { function_responses: [{ id: 1 }] }, 'tool_response'), 'tool_response.function_responses[0].id must be a string')
  t.equal(conforms(SERVER_FUNCTION_CALL, { id: 'a', name: 'draw_map', args: 5 }), true, 'args are the tool\'s to judge')
  t.equal(conforms(SERVER_FUNCTION_CALL, { name: 'draw_map' }), true, 'no id: a Vertex-style call (answered by name on Vertex only)')
  t.equal(conforms(SERVER_FUNCTION_CALL, { id: '', name: 'draw_map' }), false, 'an empty id cannot be answered')
  t.equal(conforms(SERVER_FUNCTION_CALL, { id: '', name: 'draw_map' }), false)
})
