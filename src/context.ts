/**
 * @module context
 * What hangs off the Fastify instance as `app.livegate`: the per-app state every plugin shares. No globals, so a
 * test can run several gateways in one process.
 */
import type { Config } from './config.js'
import type { LiveSession } from './live/session.js'
import type { ArtifactStore } from './artifacts/store.js'
import type { ChartService } from './charts/chart-service.js'
import type { MapService } from './maps/service.js'
import type { SessionLimits } from './live/limits.js'
import type { Metrics } from './metrics.js'
import type { Authenticator } from './auth/authenticator.js'
import type { ClientIdentity } from './auth/identity.js'

export interface LivegateContext {
  readonly config: Config
  /** Open client sessions (the relay adds and removes them; health counts them). */
  readonly sessions: Set<LiveSession>
  /** Set once shutdown begins: new sessions are refused, health says so. */
  closing: boolean
  /** Base URL of the upstream Gemini service actually used (the in-process simulator when no key is set). */
  upstreamBaseUrl: string
  /** The key livegate dials upstream with (the server key, or a per-process one for the built-in simulator). */
  upstreamApiKey: string | undefined
  /** Rendered charts, maps and tiles (memory LRU in front of the configured store). */
  readonly artifacts: ArtifactStore
  /** Renders Vega-Lite/Vega specs in the worker pool and stores them in `artifacts`. */
  readonly charts: ChartService
  /** Draws Static Maps (Google, tiles or offline) in the map worker pool and stores them in `artifacts`. */
  readonly maps: MapService
  /** Admission of new sessions (per-client and per-process limits). */
  readonly limits: SessionLimits
  /** The app's Prometheus registry and the events that feed it. */
  readonly metrics: Metrics
  /** True while the process is overloaded (@fastify/under-pressure, registered with the REST routes). */
  underPressure: () => boolean
  /** Client identities (auth mode, client tokens, ephemeral tokens and their use counter). */
  readonly auth: Authenticator
  /**
   * The base artifact paths (`/v1/artifacts/…`) are appended to in URLs handed out: LIVEGATE_PUBLIC_URL, else the
   * request's protocol and Host plus the prefix livegate is mounted under.
   */
  readonly publicBaseUrl: (request: { readonly protocol: string, readonly host: string }) => string
}

declare module 'fastify' {
  interface FastifyInstance {
    livegate: LivegateContext
  }
  interface FastifyRequest {
    /** Set once the request is authenticated (REST rendering and auth-token routes, Live sessions); else null. */
    identity: ClientIdentity | null
  }
}
