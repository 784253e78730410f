/**
 * @module bench/lib/cpu-profile
 * Reading a V8 `.cpuprofile`: self time by area (ws, livegate's relay, pino, fastify, Node's net/streams, GC, ...)
 * and the hottest functions, as shares of the busy (non-idle) samples.
 */
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { REPO_ROOT } from './children.js'

interface CallFrame { functionName: string, url: string, lineNumber: number }
interface ProfileNode { id: number, callFrame: CallFrame, hitCount?: number }
interface Profile { nodes: ProfileNode[], samples?: number[], startTime: number, endTime: number }

export interface ProfileSummary {
  /** Samples that were not `(idle)`. */
  busySamples: number
  /** Area → share of busy samples (0–1), largest first. */
  areas: Array<{ area: string, share: number }>
  /** The hottest functions by self samples: `name (file:line)` → share of busy samples. */
  top: Array<{ fn: string, area: string, share: number }>
}

/** Which part of the stack a frame belongs to; first match wins. */
const AREAS: ReadonlyArray<[string, (url: string, fn: string) => boolean]> = [
  ['GC', (url, fn) => url === '' && fn === '(garbage collector)'],
  ['V8/native (program)', (url, fn) => url === '' && fn === '(program)'],
  ['ws', (url) => url.includes('/node_modules/ws/')],
  ['livegate src/live', (url) => url.includes('/src/live/')],
  ['livegate other src', (url) => url.includes('/src/')],
  ['bare relay', (url) => url.includes('/bench/')],
  ['pino', (url) => url.includes('/node_modules/pino') || url.includes('/node_modules/sonic-boom/')],
  ['fastify', (url) => url.includes('/node_modules/fastify/') || url.includes('/node_modules/@fastify/')],
  ['other node_modules', (url) => url.includes('/node_modules/')],
  ['node: net/stream', (url) => /^node:(net|stream|internal\/(streams|stream_base_commons|net))/.test(url)],
  ['node: timers/events', (url) => /^node:(timers|events|internal\/(timers|event_target|process\/task_queues))/.test(url)],
  ['node: other', (url) => url.startsWith('node:')],
  ['native/builtins', () => true],
]

function areaOf (frame: CallFrame): string {
  for (const [name, test] of AREAS) if (test(frame.url, frame.functionName)) return name
  return 'native/builtins'
}

function label (frame: CallFrame): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName
  if (frame.url === '') return name
  const file = frame.url.startsWith('file://') ? relative(REPO_ROOT, new URL(frame.url).pathname) : frame.url
  return `${name} (${file}:${frame.lineNumber + 1})`
}

export function summarizeProfile (path: string, topN = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile
  const hits = new Map<number, number>()
  if (profile.samples !== undefined) for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1)
  else for (const node of profile.nodes) hits.set(node.id, node.hitCount ?? 0)
  const byArea = new Map<string, number>()
  const byFn = new Map<string, { area: string, n: number }>()
  let busy = 0
  for (const node of profile.nodes) {
    const n = hits.get(node.id) ?? 0
    if (n === 0 || node.callFrame.functionName === '(idle)') continue
    busy += n
    const area = areaOf(node.callFrame)
    byArea.set(area, (byArea.get(area) ?? 0) + n)
    const key = label(node.callFrame)
    const entry = byFn.get(key) ?? { area, n: 0 }
    entry.n += n
    byFn.set(key, entry)
  }
  return {
    busySamples: busy,
    areas: [...byArea].map(([area, n]) => ({ area, share: n / busy })).sort((a, b) => b.share - a.share),
    top: [...byFn].map(([fn, e]) => ({ fn, area: e.area, share: e.n / busy })).sort((a, b) => b.share - a.share).slice(0, topN),
  }
}
