/**
 * @module bench/lib/render-script
 * The simulator script the tool benchmarks drive: the user says `render <tag>` and the model calls `render_altair`
 * (BLOCKING) with the seed's five-film chart, then says one short sentence once the response is in. Tag `seed`
 * sends the seed's arguments unchanged (a warm cache after the first run); any other tag puts itself in the chart's
 * title, so every new tag is a cache miss and a real render.
 *
 * The optional `onTurnaround` is called with the time from just before the `toolCall` frame is sent to just after
 * the matching `toolResponse` has been read: the tool turnaround as the model side sees it.
 */
import { performance } from 'node:perf_hooks'
import { SEED_CHART_SPEC, SEED_RENDER_ALTAIR_ARGS, type Script } from '../../src/simulator/index.js'

export const RENDER_PROMPT = /^render (\S+)$/

/** `render_altair` args for a tag: the seed's own for `seed`, else the five-film chart titled with the tag. */
export function renderArgs (tag: string): Record<string, unknown> {
  if (tag === 'seed') return { ...SEED_RENDER_ALTAIR_ARGS }
  return { altair_json: JSON.stringify({ ...SEED_CHART_SPEC, title: `${SEED_CHART_SPEC.title} (${tag})` }), theme: 'default' }
}

export interface Turnaround { tag: string, ms: number, response: Record<string, unknown> }

export function renderScript (onTurnaround?: (t: Turnaround) => void): Script {
  return {
    rules: [{
      match: RENDER_PROMPT,
      reply: (turn) => {
        const tag = RENDER_PROMPT.exec(turn.text)?.[1] ?? 'seed'
        // The reply runs synchronously up to the send of the toolCall, so this is the send time within microseconds.
        const started = performance.now()
        return [
          { call: { name: 'render_altair', args: renderArgs(tag) }, behavior: 'BLOCKING' },
          {
            sayFrom: (responses) => {
              const ms = performance.now() - started
              const response = responses[0]?.response ?? {}
              onTurnaround?.({ tag, ms, response })
              return 'error' in response ? 'The chart failed.' : 'Here is the chart.'
            },
          },
        ]
      },
    }],
    fallback: [{ say: 'Say "render <tag>".' }],
  }
}
