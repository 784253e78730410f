/**
 * @module live/interceptor
 * The seam between the relay and whatever rewrites frames (server-side tools). The session asks two cheap questions
 * on the hot path (`inspects*`, then a byte check) and parses a frame only when both say yes.
 */
import type { JsonObject } from './protocol.js'
import type { SessionIO } from './session.js'

export interface Interceptor {
  /** Called once, when the session is built. */
  attach (session: SessionIO): void
  /**
   * The client's setup (the object under `setup`). Return a replacement to forward instead, or undefined to forward the
   * client's bytes unchanged. Throw a LivegateError to refuse the session.
   */
  onSetup (setup: JsonObject): JsonObject | undefined
  /** Whether upstream frames need looking at at all in this session. */
  readonly inspectsUpstream: boolean
  /**
   * Cheap byte test of an upstream frame; a false positive costs one parse, never a wrong result. Asked only about
   * frames that carry one of live/markers.ts's upstream markers (`mayCarryUpstreamMarker`): look for those.
   */
  wantsUpstreamFrame (data: Buffer): boolean
  /** A parsed upstream message. Return true to forward the original frame to the client, false to drop it. */
  onUpstreamMessage (message: JsonObject): boolean
  readonly inspectsClient: boolean
  wantsClientFrame (data: Buffer): boolean
  /** A parsed client message (after setup). Return true to forward the original frame upstream. */
  onClientMessage (message: JsonObject): boolean
  /** The session ended: abort whatever is in flight. */
  close (): void
}

/** Relays everything untouched: used when no server tools are enabled for a session. */
export const passThrough: Interceptor = Object.freeze({
  attach () {},
  onSetup () { return undefined },
  inspectsUpstream: false,
  wantsUpstreamFrame () { return false },
  onUpstreamMessage () { return true },
  inspectsClient: false,
  wantsClientFrame () { return false },
  onClientMessage () { return true },
  close () {},
})
