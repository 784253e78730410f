/**
 * @module live/drain
 * Graceful drain, what SIGTERM starts (issue 10 §3): new sessions are refused and `/readyz` answers 503 at once, so
 * the load balancer stops sending clients here; open sessions get `LIVEGATE_DRAIN_MS` to end on their own. A client
 * that manages resumption itself hears `goAway` at the start, as Gemini would warn it, and gets its newest handle
 * (`sessionResumptionUpdate`) just before the close, so it can resume through another replica: handles are Gemini's,
 * not this replica's. Whatever is still open at the deadline is closed with 1012 (service restart).
 */
import type { LivegateContext } from '../context.js'

/** How often the drain looks whether every session has ended (shutdown only, never on the relay path). */
const POLL_MS = 50
/** Time the closed sessions get to complete their close handshakes. */
const CLOSE_HANDSHAKE_MS = 2_000

/**
 * Drain `context`'s sessions within `drainMs`; resolves once every session has been closed. Then `app.close()`.
 * @example await drain(app.livegate, config.drainMs); await app.close()
 */
export async function drain (context: LivegateContext, drainMs: number): Promise<void> {
  context.closing = true
  const { sessions } = context
  for (const session of sessions) session.warnDrain(drainMs)
  await untilEmpty(sessions, drainMs)
  for (const session of sessions) session.closeDrained()
  // Let the close handshakes finish, so app.close() finds no session left to cut.
  await untilEmpty(sessions, CLOSE_HANDSHAKE_MS)
}

async function untilEmpty (sessions: ReadonlySet<unknown>, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs
  await new Promise<void>((resolve) => {
    const check = (): void => {
      if (sessions.size === 0 || Date.now() >= deadline) {
        clearInterval(timer)
        resolve()
      }
    }
    const timer = setInterval(check, POLL_MS)
    check()
  })
}
