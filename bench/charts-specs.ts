/**
 * @module bench/charts-specs
 * The issue's three benchmark charts in the shape Altair 5's `chart.to_dict()` produces (data inlined as a named
 * dataset, Altair's 300×300 view config), as in reference/chart-rendering.md §2.1.
 */
import { readFileSync } from 'node:fs'

type Spec = Record<string, unknown>
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.20.1.json'
const VIEW = { view: { continuousWidth: 300, continuousHeight: 300 } }

/** A deterministic pseudo-random sequence, so every run renders the same charts. */
function lcg (seed: number): () => number {
  let s = seed
  return () => { s = (s * 1664525 + 1013904223) % 4294967296; return s / 4294967296 }
}

export function fiveFilms (): Spec {
  return JSON.parse(readFileSync(new URL('../test/fixtures/charts/five-films.vl.json', import.meta.url), 'utf8')) as Spec
}

export function bars (n = 1000): Spec {
  const rnd = lcg(1)
  const categories = ['north', 'south', 'east', 'west']
  const rows = Array.from({ length: n }, (_, i) => ({
    date: new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString().slice(0, 10),
    value: Math.round(rnd() * 1000) / 10,
    region: categories[i % 4],
  }))
  return {
    $schema: SCHEMA, config: VIEW, data: { name: 'data-bars' }, datasets: { 'data-bars': rows },
    mark: { type: 'bar' }, width: 800, height: 300,
    encoding: {
      x: { field: 'date', type: 'temporal' }, y: { field: 'value', type: 'quantitative' },
      color: { field: 'region', type: 'nominal' }, tooltip: [{ field: 'date', type: 'temporal' }, { field: 'value', type: 'quantitative' }],
    },
  }
}

export function scatter (n = 10_000): Spec {
  const rnd = lcg(2)
  const rows = Array.from({ length: n }, (_, i) => ({ x: Math.round(rnd() * 10000) / 100, y: Math.round(rnd() * 10000) / 100, group: `g${i % 5}` }))
  return {
    $schema: SCHEMA, config: VIEW, data: { name: 'data-scatter' }, datasets: { 'data-scatter': rows },
    mark: { type: 'circle', size: 20 }, width: 500, height: 400,
    params: [{ name: 'param_1', select: { type: 'interval', encodings: ['x', 'y'] }, bind: 'scales' }],
    encoding: {
      x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' },
      color: { field: 'group', type: 'nominal' }, tooltip: [{ field: 'x', type: 'quantitative' }, { field: 'y', type: 'quantitative' }, { field: 'group', type: 'nominal' }],
    },
  }
}

export const BENCH_SPECS: Array<[string, () => Spec]> = [
  ['five-film line chart with labels', fiveFilms],
  ['1,000 bars', () => bars(1000)],
  ['10,000 points', () => scatter(10_000)],
]
