/**
 * @module bench/lib/stats
 * Percentiles (nearest rank, over every sample: no histogram buckets) and the number formats of the result tables.
 */

export interface Summary {
  n: number
  mean: number
  p50: number
  p90: number
  p99: number
  max: number
}

export function summarize (samples: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(samples).sort()
  const n = sorted.length
  if (n === 0) return { n, mean: NaN, p50: NaN, p90: NaN, p99: NaN, max: NaN }
  let sum = 0
  for (const v of sorted) sum += v
  const rank = (p: number): number => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))] as number
  return { n, mean: sum / n, p50: rank(0.5), p90: rank(0.9), p99: rank(0.99), max: sorted[n - 1] as number }
}

/** Milliseconds with three decimals (microsecond resolution). */
export function ms (value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : 'n/a'
}

/** A signed difference in ms, e.g. `+0.142`. */
export function signedMs (value: number): string {
  if (!Number.isFinite(value)) return 'n/a'
  return `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(3)}`
}

export function fixed (value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a'
}

/** A GitHub-flavoured Markdown table. */
export function table (header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}
