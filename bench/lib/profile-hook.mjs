/**
 * @module bench/lib/profile-hook
 * Preloaded (`--import`) into a relay only by bench/relay-profile.ts: SIGTTIN starts the V8 sampling profiler in
 * this process, the next SIGTTIN stops it and writes `$BENCH_PROFILE_DIR/<pid>.cpuprofile`. Unlike `--cpu-prof`,
 * the profile covers only the measured window, not startup and warm-up. Plain JavaScript for the same reason as
 * gc-hook.mjs.
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { isMainThread } from 'node:worker_threads'

const dir = process.env.BENCH_PROFILE_DIR
const SAMPLING_INTERVAL_US = 200

if (isMainThread && dir !== undefined && dir !== '') {
  const session = new Session()
  session.connect()
  let running = false
  process.on('SIGTTIN', () => {
    if (!running) {
      running = true
      session.post('Profiler.enable', () => {
        session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US }, () => {
          session.post('Profiler.start')
        })
      })
      return
    }
    running = false
    session.post('Profiler.stop', (err, result) => {
      if (err === null) writeFileSync(`${dir}/${process.pid}.cpuprofile`, JSON.stringify(result.profile))
    })
  })
}
