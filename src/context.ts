/**
 * @module context
 * What hangs off the Fastify instance as `app.livegate`: the per-app state every plugin shares. No globals, so a
 * test can run several gateways in one process.
 */
import type { Config } from './config.js'

/** The part of a live session the app needs for shutdown and health. */
export interface SessionHandle {
  readonly id: string
  close (code: number, reason: string): void
}

export interface LivegateContext {
  readonly config: Config
  readonly sessions: Set<SessionHandle>
  /** Set once shutdown begins: new sessions are refused, health says so. */
  closing: boolean
  /** Base URL of the upstream Gemini service actually used (the in-process simulator when no key is set). */
  upstreamBaseUrl: string
}

declare module 'fastify' {
  interface FastifyInstance {
    livegate: LivegateContext
  }
}
