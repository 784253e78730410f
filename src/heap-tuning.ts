/**
 * @module heap-tuning
 * V8 settings for a process that relays: imported first by main (never by the library entry, whose embedder owns its
 * heap). Allocation-site pretenuring is switched off. V8 decides, once and for good, to allocate every object of a
 * literal site straight into the old generation when most of them survived one scavenge; the site of Node's
 * `process.nextTick` tick objects (one per socket read, shared by every caller) gets that verdict during start-up or a
 * burst of new sessions, and from then on each relayed frame leaves old-generation garbage that only full collections
 * free: in the relay benchmark ≈ 1.5 MB/s at 100 sessions, 13 MB of the 20 MB sampled as outliving the young
 * generation, with the relay's p99 round trip at 10–12 ms against 2 ms without it (bench/RESULTS.md "Relay cost").
 * Nearly all a relay allocates dies within a frame, which is what the young generation is for. The flag is read at
 * each collection, so setting it here, before the gateway allocates, takes effect. A `--allocation-site-pretenuring`
 * given on the command line wins.
 *
 * The heap sizes (node-flags.ts) can only be given on node's command line; `missingNodeFlags` names those the process
 * was started without, for main to warn about.
 */
import { setFlagsFromString } from 'node:v8'
import { RELAY_NODE_FLAGS } from './node-flags.js'

if (!process.execArgv.some((arg) => arg.includes('allocation-site-pretenuring'))) {
  setFlagsFromString('--no-allocation-site-pretenuring')
}

/** The flags of node-flags.ts this process was started without (an own `--flag=value` of the same name counts). */
export function missingNodeFlags (execArgv: readonly string[] = process.execArgv): string[] {
  return RELAY_NODE_FLAGS.filter((flag) => {
    const name = flag.slice(0, flag.indexOf('='))
    return !execArgv.some((arg) => {
      const spelled = arg.replaceAll('_', '-') // V8 takes either spelling
      return spelled === name || spelled.startsWith(`${name}=`)
    })
  })
}
