/**
 * @module tools/tool-context
 * The `ctx` one tool run gets: its signal, logger and identities, and `storeArtifact`, which puts bytes in the
 * artifact store under their content hash (the same store and public URLs as charts). Every artifact a run stores
 * or announces is collected for the run's `livegate_events` frame.
 */
import { createHash } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { ArtifactStore } from '../artifacts/store.js'
import { LivegateError } from '../errors.js'
import type { StoredArtifact, ToolArtifact, ToolContext } from './registry.js'

/** Content types a tool may store, and the extension its URL gets. Nothing a browser would run as a page (no HTML). */
export const ARTIFACT_TYPES: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/svg+xml': 'svg',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'application/pdf': 'pdf',
  'application/json': 'json',
  'text/csv': 'csv',
  'text/plain': 'txt',
  'audio/wav': 'wav',
}

/** Largest artifact one storeArtifact call accepts (16 MiB); the store's own limits apply on top. */
const MAX_TOOL_ARTIFACT_BYTES = 16 * 1024 * 1024

export interface ToolRunInfo {
  readonly signal: AbortSignal
  readonly log: FastifyBaseLogger
  readonly sessionId: string
  readonly callId: string
  readonly clientName: string
  readonly publicBaseUrl: string
  readonly artifacts: ArtifactStore
}

export interface ToolRunContext {
  readonly ctx: ToolContext
  /** What the run stored or announced so far, in order. */
  readonly artifacts: readonly ToolArtifact[]
}

/** 128 bits of sha256 over the content type and the bytes, base64url: the same id length as charts. */
function contentId (bytes: Uint8Array, contentType: string): string {
  return createHash('sha256').update(contentType).update('\0').update(bytes).digest('base64url').slice(0, 22)
}

export function createToolContext (info: ToolRunInfo): ToolRunContext {
  const collected: ToolArtifact[] = []
  const ctx: ToolContext = {
    signal: info.signal,
    log: info.log,
    sessionId: info.sessionId,
    callId: info.callId,
    clientName: info.clientName,
    publicBaseUrl: info.publicBaseUrl,
    async storeArtifact (bytes, contentType, size): Promise<StoredArtifact> {
      const type = typeof contentType === 'string' ? contentType.split(';')[0]?.trim().toLowerCase() ?? '' : ''
      const ext = ARTIFACT_TYPES[type]
      if (ext === undefined) {
        throw new LivegateError('LG_ERR_TOOL_FAILED', `storeArtifact: content type ${JSON.stringify(String(contentType).slice(0, 60))} is not one of ${Object.keys(ARTIFACT_TYPES).join(', ')}`)
      }
      if (!(bytes instanceof Uint8Array)) throw new LivegateError('LG_ERR_TOOL_FAILED', 'storeArtifact: bytes must be a Uint8Array or Buffer')
      if (bytes.byteLength > MAX_TOOL_ARTIFACT_BYTES) {
        throw new LivegateError('LG_ERR_TOOL_FAILED', `storeArtifact: ${bytes.byteLength} bytes is over the ${MAX_TOOL_ARTIFACT_BYTES}-byte limit`)
      }
      const id = contentId(bytes, type)
      await info.artifacts.put(`${id}.${ext}`, bytes, { mimeType: type, sourceKind: 'tool', ...size })
      const url = `${info.publicBaseUrl}/v1/artifacts/${id}.${ext}`
      collected.push({ url, mimeType: type, ...size })
      return { id, url }
    },
    addArtifact (artifact) {
      collected.push(artifact)
    },
  }
  return { ctx, artifacts: collected }
}
