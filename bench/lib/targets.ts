/**
 * @module bench/lib/targets
 * The three servers a relay benchmark compares, each in its own process: the simulator in echo mode (the direct
 * baseline), the bare `ws` relay in front of it, and livegate in front of it as `npm start` runs it.
 */
import { fileURLToPath } from 'node:url'
import { spawnLivegate, spawnReporting, type Child } from './children.js'
import { liveUrl } from './live-client.js'

const SIMULATOR_CHILD = fileURLToPath(new URL('./simulator-child.ts', import.meta.url))
const BARE_RELAY = fileURLToPath(new URL('../bare-relay.ts', import.meta.url))
/** The credential clients present (a livegate client token) and the server key livegate dials upstream with. */
export const CLIENT_TOKEN = 'bench-client-token'
export const SERVER_KEY = 'bench-server-key'

export interface Target {
  readonly name: string
  /** Where a load client dials. */
  readonly url: string
  /** The process that does the work measured for this target. */
  readonly child: Child
}

export interface Targets {
  readonly simulator: Child
  readonly direct: Target
  /** Undefined when started with `bare: false`. */
  readonly bare: Target | undefined
  /** Only when started with `bareLikeLivegate: true`. */
  readonly 'bare-like': Target | undefined
  /** Only when started with `bareOnFastify: true`. */
  readonly 'bare-fastify': Target | undefined
  /** Only when started with `bareMerged: true`. */
  readonly 'bare-merged': Target | undefined
  readonly livegate: Target
  stop (): Promise<void>
}

export interface TargetOptions {
  /** Added to livegate's environment. */
  livegateEnv?: Record<string, string>
  /** Start the bare relay too (default true). */
  bare?: boolean
  /** Also start the bare relay doing livegate's per-frame work (`--like-livegate`, an ablation). Default false. */
  bareLikeLivegate?: boolean
  /** Also start the bare relay behind Fastify + @fastify/websocket (`--fastify`, an ablation). Default false. */
  bareOnFastify?: boolean
  /** Also start the bare relay writing frames as livegate does (`--merged`, an ablation). Default false. */
  bareMerged?: boolean
  /** Extra node flags for the relays (e.g. a profiler hook), not the simulator. */
  relayNodeArgs?: readonly string[]
}

/** Start the simulator, then the relays pointing at it. */
export async function startTargets (options: TargetOptions = {}): Promise<Targets> {
  const started: Child[] = []
  const stop = async (): Promise<void> => { await Promise.all(started.map(async (c) => { await c.stop() })) }
  try {
    const simulator = await spawnReporting('simulator', SIMULATOR_CHILD)
    started.push(simulator)
    const upstream = String(simulator.info.url)
    const bare = options.bare === false ? undefined : await spawnReporting('bare-relay', BARE_RELAY, ['--upstream', upstream], options.relayNodeArgs)
    if (bare !== undefined) started.push(bare)
    const bareLike = options.bareLikeLivegate === true
      ? await spawnReporting('bare-relay-like-livegate', BARE_RELAY, ['--upstream', upstream, '--like-livegate'], options.relayNodeArgs)
      : undefined
    if (bareLike !== undefined) started.push(bareLike)
    const bareFastify = options.bareOnFastify === true
      ? await spawnReporting('bare-relay-on-fastify', BARE_RELAY, ['--upstream', upstream, '--fastify'], options.relayNodeArgs)
      : undefined
    if (bareFastify !== undefined) started.push(bareFastify)
    const bareMerged = options.bareMerged === true
      ? await spawnReporting('bare-relay-merged', BARE_RELAY, ['--upstream', upstream, '--merged'], options.relayNodeArgs)
      : undefined
    if (bareMerged !== undefined) started.push(bareMerged)
    const livegate = await spawnLivegate({
      GEMINI_API_KEY: SERVER_KEY,
      LIVEGATE_UPSTREAM_URL: upstream,
      LIVEGATE_CLIENT_TOKENS: CLIENT_TOKEN,
      ...options.livegateEnv,
    }, options.relayNodeArgs)
    started.push(livegate)
    return {
      simulator,
      direct: { name: 'direct to simulator', url: liveUrl(upstream, CLIENT_TOKEN), child: simulator },
      bare: bare === undefined ? undefined : { name: 'bare ws relay', url: liveUrl(`http://127.0.0.1:${String(bare.info.port)}`, CLIENT_TOKEN), child: bare },
      'bare-like': bareLike === undefined ? undefined : { name: 'bare relay + livegate\'s per-frame work', url: liveUrl(`http://127.0.0.1:${String(bareLike.info.port)}`, CLIENT_TOKEN), child: bareLike },
      'bare-fastify': bareFastify === undefined ? undefined : { name: 'bare relay on Fastify + @fastify/websocket', url: liveUrl(`http://127.0.0.1:${String(bareFastify.info.port)}`, CLIENT_TOKEN), child: bareFastify },
      'bare-merged': bareMerged === undefined ? undefined : { name: 'bare relay, frames written in one write', url: liveUrl(`http://127.0.0.1:${String(bareMerged.info.port)}`, CLIENT_TOKEN), child: bareMerged },
      livegate: { name: 'livegate', url: liveUrl(`http://127.0.0.1:${String(livegate.info.port)}`, CLIENT_TOKEN), child: livegate },
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}
