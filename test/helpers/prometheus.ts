/**
 * Read values out of a Prometheus text exposition, for asserting on what a scraper would see.
 */

/** Every sample `name{labels} value` in the text. */
export function samples (text: string): Array<{ name: string, labels: Record<string, string>, value: number }> {
  const out: Array<{ name: string, labels: Record<string, string>, value: number }> = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line)
    if (match === null) continue
    const labels: Record<string, string> = {}
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1] as string] = pair[2] as string
    out.push({ name: match[1] as string, labels, value: Number(match[3]) })
  }
  return out
}

/** The value of the one sample with this name and exactly these labels; undefined when there is none. */
export function valueOf (text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort())
  return samples(text).find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value
}
