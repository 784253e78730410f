import { test } from 'tap'
import { assertRowLimit, canonicalJson, countInlineRows, parseSpecInput, specKind } from '../../src/charts/spec-input.js'
import type { LivegateError } from '../../src/errors.js'

const spec = { mark: 'bar', data: { values: [{ a: 1 }, { a: 2 }] } }
const codeOf = (fn: () => unknown): string | undefined => {
  try { fn() } catch (err) { return (err as LivegateError).code }
  return undefined
}

test('accepts a spec as an object, a JSON string and a doubly encoded JSON string', async (t) => {
  t.same(parseSpecInput(spec, 1e6), spec)
  t.same(parseSpecInput(JSON.stringify(spec), 1e6), spec)
  t.same(parseSpecInput(JSON.stringify(JSON.stringify(spec)), 1e6), spec)
  t.same(parseSpecInput(`  ${JSON.stringify(spec)}\n`, 1e6), spec, 'surrounding whitespace is fine')
})

test('refuses what is not a JSON object with a precise code', async (t) => {
  const cases: Array<[unknown, string]> = [
    ['{"mark": "bar"', 'LG_ERR_RENDER_BAD_JSON'],
    ['', 'LG_ERR_RENDER_BAD_JSON'],
    [JSON.stringify(JSON.stringify(JSON.stringify(JSON.stringify(spec)))), 'LG_ERR_RENDER_BAD_JSON'],
    ['[1,2]', 'LG_ERR_RENDER_INVALID_SPEC'],
    [42, 'LG_ERR_RENDER_INVALID_SPEC'],
    [null, 'LG_ERR_RENDER_INVALID_SPEC'],
    ['"just text"', 'LG_ERR_RENDER_BAD_JSON'],
  ]
  for (const [input, code] of cases) t.equal(codeOf(() => parseSpecInput(input, 1e6)), code, JSON.stringify(input).slice(0, 60))
})

test('counts bytes before parsing and refuses a spec over the limit', async (t) => {
  const big = { mark: 'point', data: { values: Array.from({ length: 2000 }, (_, i) => ({ i, label: `row ${i}` })) } }
  const bytes = Buffer.byteLength(JSON.stringify(big))
  t.equal(codeOf(() => parseSpecInput(big, bytes - 1)), 'LG_ERR_RENDER_SPEC_TOO_LARGE', 'object')
  t.equal(codeOf(() => parseSpecInput(JSON.stringify(big), bytes - 1)), 'LG_ERR_RENDER_SPEC_TOO_LARGE', 'string')
  t.ok(parseSpecInput(big, bytes), 'exactly at the limit is accepted')
})

test('detects Vega and Vega-Lite from $schema of any version, else from the shape', async (t) => {
  t.equal(specKind({ $schema: 'https://vega.github.io/schema/vega-lite/v4.17.0.json' }), 'vega-lite')
  t.equal(specKind({ $schema: 'https://vega.github.io/schema/vega-lite/v6.4.1.json' }), 'vega-lite')
  t.equal(specKind({ $schema: 'https://vega.github.io/schema/vega/v5.json' }), 'vega')
  t.equal(specKind({ marks: [], signals: [] }), 'vega')
  t.equal(specKind({ mark: 'bar' }), 'vega-lite')
  t.equal(codeOf(() => specKind({ $schema: 'https://example.com/other.json' })), 'LG_ERR_RENDER_INVALID_SPEC')
})

test('counts inline rows, datasets and sequence generators anywhere in the spec', async (t) => {
  t.equal(countInlineRows(spec), 2)
  t.equal(countInlineRows({ datasets: { a: [1, 2, 3], b: [4] }, layer: [{ data: { values: [1] } }] }), 5)
  t.equal(countInlineRows({ data: { sequence: { start: 0, stop: 1e7, as: 'x' } } }), 1e7)
  t.equal(countInlineRows({ data: [{ name: 's', transform: [{ type: 'sequence', start: 0, stop: 100, step: 2 }] }] }), 50)
  t.equal(codeOf(() => countInlineRows({ data: [{ transform: [{ type: 'sequence', start: 0, stop: { signal: 'n' } }] }] })), 'LG_ERR_RENDER_TOO_MANY_ROWS', 'signal bounds cannot be checked, so they are refused')
  t.equal(codeOf(() => assertRowLimit({ data: { sequence: { start: 0, stop: 1e7 } } }, 100000)), 'LG_ERR_RENDER_TOO_MANY_ROWS')
  t.equal(codeOf(() => assertRowLimit(spec, 2)), undefined)
})

test('canonical JSON ignores key order and keeps a __proto__ key as data', async (t) => {
  t.equal(canonicalJson({ b: 1, a: { d: 2, c: [{ z: 1, y: 2 }] } }), canonicalJson({ a: { c: [{ y: 2, z: 1 }], d: 2 }, b: 1 }))
  t.equal(canonicalJson(JSON.parse('{"__proto__": {"x": 1}, "a": 1}')), '{"__proto__":{"x":1},"a":1}')
})
