/**
 * @module node-flags
 * The V8 heap flags livegate's process is started with: `npm start`, `npm run start:dist`, the `livegate` bin's
 * shebang and the Dockerfile's CMD give them on node's command line (V8 reads them once, when the heap is made: set
 * later it does nothing, and NODE_OPTIONS refuses it). A test checks every launcher against this list;
 * heap-tuning warns at start when they are missing.
 *
 * Why: a relay's heap is small (tens of MB) and nearly all it allocates dies within a frame, but V8 sizes the old
 * generation's limit from the live heap plus one young generation, so a small heap starts a full (mark-compact)
 * collection whenever a young generation's worth of promotions might fill it: twice a second at 500 audio sessions,
 * each marking the whole heap on the helper threads. That marking was the whole of livegate's CPU beyond a bare ws
 * relay's (bench/RESULTS.md "Relay cost": 3.0 s of background marking in 11 s against the bare relay's 0.6 s). A
 * 128 MB floor under the old generation's limit makes full collections rare under load (23 → 4 in 11 s) for at most
 * that much more resident garbage, which V8's memory reducer collects once the load goes. Larger semi-spaces
 * (`--max-semi-space-size=32`) cut scavenges by a third but cost each idle session ≈ 27 KB more RSS: not given.
 */
export const RELAY_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=128']
