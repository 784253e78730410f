/**
 * @module charts/url-encoding
 * Kroki's way of putting a diagram in a URL: the source deflated (zlib) and base64url-encoded. Inflation is capped
 * at the spec size limit, so a small URL cannot expand into gigabytes (Kroki itself has no such cap).
 */
import { deflateSync, inflateRawSync, inflateSync } from 'node:zlib'
import { LivegateError } from '../errors.js'

/** @example encodeSpecForUrl('{"mark":"bar"}') // → 'eNqrVspNLMpWslJKSixSqgUAIvcEmw' */
export function encodeSpecForUrl (specJson: string): string {
  return deflateSync(Buffer.from(specJson, 'utf8'), { level: 9 }).toString('base64url')
}

/** The spec text in `encoded`; throws LG_ERR_HTTP_BAD_REQUEST or LG_ERR_RENDER_SPEC_TOO_LARGE. */
export function decodeSpecFromUrl (encoded: string, maxBytes: number): string {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(encoded)) {
    throw new LivegateError('LG_ERR_HTTP_BAD_REQUEST', 'the encoded spec must be base64url (A–Z, a–z, 0–9, -, _)')
  }
  const deflated = Buffer.from(encoded, 'base64url')
  for (const inflate of [inflateSync, inflateRawSync]) {
    try {
      return inflate(deflated, { maxOutputLength: maxBytes }).toString('utf8')
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new LivegateError('LG_ERR_RENDER_SPEC_TOO_LARGE', `the decoded spec is larger than ${maxBytes} bytes`, { limit: maxBytes })
      }
    }
  }
  throw new LivegateError('LG_ERR_HTTP_BAD_REQUEST', 'the encoded spec is not deflate data (Kroki encoding: zlib deflate, then base64url)')
}
