/**
 * @module maps/providers/google
 * Google Maps Static API with the server's `MAPS_API_KEY`: the request is re-serialised and sent as is, so Google
 * geocodes and draws everything. A map counts only when Google answers 200, `image/*`, no
 * `X-Staticmap-API-Warning` (an address that will not geocode still gets 200 and a picture with a yellow bar) and
 * a body that is not a tiny error image. 5xx and 429 are retried with backoff. The key is added to the URL at the
 * moment of the request and never appears in an error, a note, a log line or an artifact.
 */
import { LivegateError } from '../../errors.js'
import { createOutbound, DEFAULT_OUTBOUND_LIMITS, type Outbound } from '../../net/outbound.js'
import type { MapPool } from '../pool.js'
import { toSearchParams } from '../serialize.js'
import type { MapRequest } from '../types.js'
import { geocodeRequest, type Drawn, type MapProvider } from './provider.js'
import { buildScene } from '../scene.js'

export const GOOGLE_TIMEOUT_MS = DEFAULT_OUTBOUND_LIMITS.timeoutMs
/** How livegate names Google in errors (never the URL: it carries the key). */
export const GOOGLE_PROVIDER = 'Google Static Maps'
export const GOOGLE_RETRIES = 2
const BACKOFF_MS = 250
/** A Retry-After longer than this is not worth holding a tool call for; we wait this long at most. */
const MAX_RETRY_AFTER_MS = 2000
/** "One also rejects bodies under 1000 bytes as 'probably error image'" (reference §1.7). */
const ERROR_IMAGE_BYTES = 1000

export interface GoogleOptions {
  readonly url: string
  readonly apiKey: string
  readonly pool: MapPool
  /** The shared outbound client (config.outbound); default: one of its own with `timeoutMs`. */
  readonly outbound?: Outbound
  readonly timeoutMs?: number
  readonly retries?: number
  readonly backoffMs?: number
}

/** Width and height from a PNG's IHDR chunk, or undefined when the bytes are not a PNG. */
export function pngSize (b: Uint8Array): { width: number, height: number } | undefined {
  if (b.byteLength < 24 || b[0] !== 0x89 || b[1] !== 0x50 || b[2] !== 0x4e || b[3] !== 0x47) return undefined
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  return { width: v.getUint32(16), height: v.getUint32(20) }
}

function scrub (text: string, key: string): string {
  return text.split(key).join('(key)').replace(/\s+/g, ' ').trim().slice(0, 300)
}

async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
  })
}

export function createGoogleProvider (options: GoogleOptions): MapProvider {
  const outbound = options.outbound ?? createOutbound({ ...DEFAULT_OUTBOUND_LIMITS, timeoutMs: options.timeoutMs ?? GOOGLE_TIMEOUT_MS })
  const retries = options.retries ?? GOOGLE_RETRIES
  const backoff = options.backoffMs ?? BACKOFF_MS

  async function fetchMap (params: URLSearchParams, signal?: AbortSignal): Promise<{ bytes: Uint8Array, headers: Record<string, unknown> }> {
    const url = new URL(options.url)
    for (const [k, v] of params) url.searchParams.append(k, v)
    url.searchParams.set('key', options.apiKey)
    for (let attempt = 0; ; attempt++) {
      let status: number
      let headers: Record<string, unknown>
      let bytes: Uint8Array
      try {
        const res = await outbound.get(url, { provider: GOOGLE_PROVIDER, signal })
        status = res.status
        headers = res.headers
        bytes = res.bytes
      } catch (err) {
        if (signal?.aborted === true) throw new LivegateError('LG_ERR_MAP_ABORTED', 'the map was cancelled while Google drew it')
        // Past the timeout or the size cap a retry would only double the wait: the caller hears it now.
        if (err instanceof LivegateError) throw err
        if (attempt < retries) { await sleep(backoff * 2 ** attempt, signal); continue }
        const code = (err as { code?: string }).code ?? 'network error'
        throw new LivegateError('LG_ERR_MAP_PROVIDER', `Google Static Maps unreachable (${code})`)
      }
      if ((status === 429 || status >= 500) && attempt < retries) {
        const retryAfter = Number(headers['retry-after'])
        await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(MAX_RETRY_AFTER_MS, retryAfter * 1000) : backoff * 2 ** attempt, signal)
        continue
      }
      return check(status, headers, bytes)
    }
  }

  function check (status: number, headers: Record<string, unknown>, bytes: Uint8Array): { bytes: Uint8Array, headers: Record<string, unknown> } {
    const type = String(headers['content-type'] ?? '')
    const text = (): string => scrub(Buffer.from(bytes).toString('utf8'), options.apiKey)
    if (status !== 200) throw new LivegateError('LG_ERR_MAP_PROVIDER', `Google Static Maps answered ${status}: ${text() || '(no message)'}`, { upstreamStatus: status })
    if (!type.startsWith('image/')) throw new LivegateError('LG_ERR_MAP_PROVIDER', `Google Static Maps answered ${type || 'no content type'} instead of an image: ${text()}`)
    const warning = headers['x-staticmap-api-warning']
    if (warning !== undefined) {
      const message = scrub(Array.isArray(warning) ? warning.join(', ') : String(warning), options.apiKey)
      const code = /geocod/i.test(message) ? 'LG_ERR_MAP_GEOCODE_FAILED' : 'LG_ERR_MAP_PROVIDER'
      throw new LivegateError(code, `Google Static Maps warned: ${message}; the map would be wrong. Send the locations as 'lat,lng'`, { warning: message })
    }
    return { bytes, headers }
  }

  return {
    name: 'google',
    cacheSalt: new URL(options.url).origin + new URL(options.url).pathname,
    async draw (req: MapRequest, signal?: AbortSignal): Promise<Drawn> {
      const notes = [...req.notes]
      if (req.format !== 'png' && req.format !== 'png8' && req.format !== 'png32') notes.push(`format '${req.format}' served as PNG`)
      const { bytes } = await fetchMap(toSearchParams(req), signal)
      const size = pngSize(bytes)
      if (size === undefined) throw new LivegateError('LG_ERR_MAP_PROVIDER', 'Google Static Maps answered an image that is not a PNG')
      if (bytes.byteLength < ERROR_IMAGE_BYTES && req.width * req.height >= 100 * 100) {
        throw new LivegateError('LG_ERR_MAP_PROVIDER', `Google Static Maps answered a ${bytes.byteLength}-byte image for a ${req.width}x${req.height} map: an error image (key, billing or quota)`)
      }
      if (size.width !== req.width * req.scale || size.height !== req.height * req.scale) {
        notes.push(`Google returned ${size.width}x${size.height} for ${req.width * req.scale}x${req.height * req.scale} (Google clamps sizes it will not serve)`)
      }
      // Google geocoded the addresses itself; report what the gazetteer agrees on, and the view where it is known.
      const { found, resolved } = await geocodeRequest(options.pool, req, false, signal)
      if (resolved.length > 0) notes.push("Google geocoded the addresses; 'resolved' gives livegate's gazetteer reading of them, which may differ slightly")
      let center = null
      let zoom = req.zoom ?? null
      try {
        const { scene } = buildScene(req, found, { attribution: '' })
        center = scene.center
        zoom = scene.zoom
      } catch {
        notes.push('Google positioned this map from addresses livegate cannot resolve offline; centre reported as unknown')
      }
      return { png: bytes, width: size.width, height: size.height, center, zoom, resolved, notes }
    },
  }
}
