/**
 * Golden images: what users see must not drift unnoticed (fonts, themes, map data, library upgrades). Compared with a
 * pixel tolerance, because anti-aliasing differs slightly between machines. Regenerate after an intended change with
 * `LIVEGATE_UPDATE_GOLDEN=1 npx tap <test file>`, look at the PNGs, and commit them.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { decodePng } from './pixels.js'

const UPDATE = process.env.LIVEGATE_UPDATE_GOLDEN === '1'
/** A channel differing by more than this counts the pixel as different. */
const CHANNEL_TOLERANCE = 48
/** At most this share of pixels may differ. */
const MAX_DIFFERENT_SHARE = 0.01

interface Asserts {
  pass (message: string): void
  fail (message: string): void
  same (found: unknown, wanted: unknown, message: string): void
  ok (value: unknown, message: string): void
}

/** Assert that `png` looks like the golden image at `file` (written instead when LIVEGATE_UPDATE_GOLDEN=1). */
export async function assertGolden (t: Asserts, file: URL, png: Buffer): Promise<void> {
  const name = file.pathname.split('/').pop() ?? ''
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE) return t.fail(`no golden image ${name}; run with LIVEGATE_UPDATE_GOLDEN=1 and commit it`)
    writeFileSync(file, png)
    return t.pass(`wrote ${name}`)
  }
  const [actual, expected] = await Promise.all([decodePng(png), decodePng(readFileSync(file))])
  t.same([actual.width, actual.height], [expected.width, expected.height], `${name}: same size`)
  if (actual.width !== expected.width || actual.height !== expected.height) return
  let different = 0
  for (let i = 0; i < actual.data.length; i += 4) {
    for (let c = 0; c < 4; c++) {
      if (Math.abs((actual.data[i + c] ?? 0) - (expected.data[i + c] ?? 0)) > CHANNEL_TOLERANCE) { different++; break }
    }
  }
  const share = different / (actual.width * actual.height)
  t.ok(share <= MAX_DIFFERENT_SHARE, `${name}: ${different} pixels (${(share * 100).toFixed(2)} %) differ; at most ${MAX_DIFFERENT_SHARE * 100} % may`)
}
