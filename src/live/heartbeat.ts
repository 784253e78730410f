/**
 * @module live/heartbeat
 * One coarse timer for every session of an app (not one per socket): keepalive pings to clients, setup and idle
 * timeouts. Sessions only set a flag per frame; the clock is read here, once per sweep.
 */
import { LivegateError } from '../errors.js'
import type { LiveSession } from './session.js'

export interface HeartbeatOptions {
  readonly pingIntervalMs: number
  readonly setupTimeoutMs: number
  readonly idleTimeoutMs: number
}

export interface Heartbeat {
  stop (): void
}

export function startHeartbeat (sessions: () => Iterable<LiveSession>, options: HeartbeatOptions): Heartbeat {
  const sweepMs = Math.max(20, Math.min(1000, Math.floor(Math.min(options.pingIntervalMs, options.setupTimeoutMs, options.idleTimeoutMs) / 4)))
  let lastPingMs = Date.now()
  function check (session: LiveSession, now: number, pingDue: boolean): void {
    if (session.sawFrame) {
      session.sawFrame = false
      session.lastActivityMs = now
    }
    if (!session.setupSeen && now - session.startedMs > options.setupTimeoutMs) {
      session.fail(new LivegateError('LG_ERR_RELAY_SETUP_TIMEOUT', `no setup frame within ${options.setupTimeoutMs} ms`))
      return
    }
    if (now - session.lastActivityMs > options.idleTimeoutMs) {
      session.fail(new LivegateError('LG_ERR_RELAY_IDLE', `no frames either way for ${options.idleTimeoutMs} ms`))
      return
    }
    // A paused client socket cannot read its pongs; backpressure is not death.
    if (pingDue && !session.clientPaused) {
      if (!session.clientAlive) {
        session.log.info('client missed a ping; dropping it')
        session.drop(new LivegateError('LG_ERR_RELAY_PING_TIMEOUT', `client did not answer a ping within ${options.pingIntervalMs} ms`))
        return
      }
      session.clientAlive = false
      session.client.ping()
    }
  }
  const timer = setInterval(function sweep () {
    const now = Date.now()
    const pingDue = now - lastPingMs >= options.pingIntervalMs
    if (pingDue) lastPingMs = now
    for (const session of sessions()) {
      if (session.closed) continue
      // Each session's check is a boundary: one that throws ends that session, not the sweep or the process.
      try {
        check(session, now, pingDue)
      } catch (err) {
        session.faulted('heartbeat', err)
      }
    }
  }, sweepMs)
  timer.unref()
  return { stop () { clearInterval(timer) } }
}
