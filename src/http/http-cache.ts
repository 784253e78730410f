/**
 * @module http/http-cache
 * Sending a stored artifact: content-addressed, so it is cached forever (`immutable`), validated by its ETag, and
 * an SVG gets a CSP that forbids scripts and external loads should anyone open it as a page.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Artifact } from '../artifacts/store.js'

const IMMUTABLE = 'public, max-age=31536000, immutable'
const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

/** RFC 9110 §13.1.2: `*`, or any listed tag equal under weak comparison. */
function matchesIfNoneMatch (header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  const bare = etag.replace(/^W\//, '')
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === bare)
}

export function sendArtifact (request: FastifyRequest, reply: FastifyReply, artifact: Artifact): FastifyReply {
  const { meta } = artifact
  void reply
    .header('etag', meta.etag)
    .header('cache-control', IMMUTABLE)
    .header('last-modified', new Date(meta.created).toUTCString())
    .header('x-content-type-options', 'nosniff')
  if (meta.mimeType === 'image/svg+xml') void reply.header('content-security-policy', SVG_CSP)
  if (meta.width !== undefined && meta.height !== undefined) void reply.header('x-image-size', `${meta.width}x${meta.height}`)
  if (matchesIfNoneMatch(request.headers['if-none-match'], meta.etag)) return reply.code(304).send()
  return reply.code(200).type(meta.mimeType).header('content-length', meta.size).send(artifact.bytes)
}

/** An AbortSignal that fires when the client goes away before the response is written. */
export function disconnectSignal (reply: FastifyReply): AbortSignal {
  const controller = new AbortController()
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new DOMException('client disconnected', 'AbortError'))
  })
  return controller.signal
}
