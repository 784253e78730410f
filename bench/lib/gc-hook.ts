/**
 * @module bench/lib/gc-hook
 * Preloaded (`--expose-gc --import`) into every server the benchmarks spawn, livegate included: SIGUSR2 runs a full
 * garbage collection, so an RSS reading taken after it counts live memory rather than garbage not yet collected.
 * It adds one signal listener and nothing on any request path.
 */
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  gc?.()
})
