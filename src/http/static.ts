/**
 * @module http/static
 * Serves the thin web client (`public/`) at `/`. The page holds no key and speaks only the public protocol, so
 * this plugin is just files plus the headers that keep the page honest: a Content-Security-Policy that lets it
 * reach its own origin (and the artifact origin, if `LIVEGATE_PUBLIC_URL` names another) and nothing else, and
 * `no-cache` so a new deploy is picked up on the next load (the files are small; ETags make revalidation cheap).
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

const HERE = path.dirname(fileURLToPath(import.meta.url))

/**
 * Where public/ is: `src/http/` → `../../public` when run from source, `dist/src/http/` → `../../../public` when
 * compiled (tsc does not copy public/, and the page needs no build).
 */
export function publicRoot (): string {
  const candidates = [path.resolve(HERE, '../../public'), path.resolve(HERE, '../../../public')]
  const found = candidates.find((dir) => existsSync(path.join(dir, 'index.html')))
  if (found === undefined) throw new Error(`web client not found: no index.html in ${candidates.join(' or ')}`)
  return found
}

/**
 * The page's CSP. `connect-src 'self'` covers ws:/wss: to the same host (CSP Level 3); images may also come from
 * the artifact origin named by `LIVEGATE_PUBLIC_URL`.
 * @example contentSecurityPolicy('https://cdn.example') // "...; img-src 'self' data: https://cdn.example; ..."
 */
export function contentSecurityPolicy (publicUrl: string | undefined): string {
  const artifactOrigin = publicUrl === undefined ? '' : ` ${new URL(publicUrl).origin}`
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data:${artifactOrigin}`,
    "connect-src 'self'",
    "media-src 'self' blob:",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

interface WebClientOptions {
  /** Directory to serve; default public/ next to src/. */
  root?: string
}

export default async function webClient (app: FastifyInstance, options: WebClientOptions = {}): Promise<void> {
  const csp = contentSecurityPolicy(app.livegate.config.publicUrl)
  await app.register(fastifyStatic, {
    root: options.root ?? publicRoot(),
    prefix: '/',
    // One route per file, found at start: unknown paths fall through to the problem+json 404, not a file lookup.
    wildcard: false,
    index: 'index.html',
    decorateReply: false,
    cacheControl: false,
    setHeaders (res) {
      res.setHeader('cache-control', 'no-cache')
      res.setHeader('content-security-policy', csp)
      res.setHeader('x-content-type-options', 'nosniff')
      res.setHeader('referrer-policy', 'no-referrer')
      res.setHeader('permissions-policy', 'microphone=(self), camera=(), geolocation=()')
    },
  })
}
