/**
 * @module workers/render-protocol
 * The messages between the gateway and its render process (advanced serialization: typed arrays cross as they are).
 */
import type { RenderPoolOptions } from '../charts/render-pool.js'
import { LivegateError, isErrorCode, type ErrorCode } from '../errors.js'
import type { MapPoolOptions } from '../maps/pool.js'

/** The pools the render process builds, passed in its environment at start. */
export interface HostOptions {
  readonly charts: RenderPoolOptions
  readonly maps: MapPoolOptions
}

/** What the render process does. */
export type RenderOp = 'chart' | 'geocode' | 'map'

export type HostRequest =
  | { readonly id: number, readonly op: RenderOp, readonly task: unknown }
  | { readonly id: number, readonly op: 'cancel' }

/** A LivegateError as code, detail and extra; anything else as its message. */
export type RemoteError =
  | { readonly code: ErrorCode, readonly detail: string, readonly extra?: Record<string, unknown> }
  | { readonly message: string }

export type HostReply =
  | { readonly id: number, readonly value: unknown }
  | { readonly id: number, readonly error: RemoteError }

const OPS = new Set(['chart', 'geocode', 'map', 'cancel'])

export function isHostRequest (message: unknown): message is HostRequest {
  if (typeof message !== 'object' || message === null) return false
  const { id, op } = message as { id?: unknown, op?: unknown }
  return typeof id === 'number' && typeof op === 'string' && OPS.has(op)
}

export function isHostReply (message: unknown): message is HostReply {
  if (typeof message !== 'object' || message === null) return false
  const m = message as { id?: unknown, error?: unknown }
  return typeof m.id === 'number' && ('value' in m || (typeof m.error === 'object' && m.error !== null))
}

/**
 * The error a call of `op` fails with for the render process's `remote`: a registered code crosses as it is; anything
 * else (a chart's plain Error, or a code this gateway does not know) never throws here, since it runs in the IPC
 * message handler. A failed chart is LG_ERR_RENDER_CRASHED with the message; a map's plain Error stays one.
 */
export function errorFromRemote (op: RenderOp, remote: RemoteError): Error {
  const { code, detail, extra, message } = remote as { code?: unknown, detail?: unknown, extra?: unknown, message?: unknown }
  if (isErrorCode(code) && typeof detail === 'string') {
    return new LivegateError(code, detail, typeof extra === 'object' && extra !== null ? extra as Record<string, unknown> : undefined)
  }
  const text = typeof message === 'string' ? message : typeof detail === 'string' ? detail : 'no message'
  return op === 'chart' ? new LivegateError('LG_ERR_RENDER_CRASHED', `the render failed: ${text}`) : new Error(text)
}
