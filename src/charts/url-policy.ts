/**
 * @module charts/url-policy
 * Decides whether a chart may load a URL. Default: nothing (no `file://`, no relative paths, no http). With
 * LIVEGATE_CHART_URL_ALLOWLIST, an absolute http(s) URL whose origin matches a listed prefix exactly and whose
 * path starts at a segment boundary of the prefix's path. The origin is compared parsed, never as a substring,
 * because `hostname.includes(allowed)` (vega-render-service) accepts `allowed.evil.tld`.
 */

export interface UrlPolicy {
  allows (uri: string): boolean
}

interface Prefix { origin: string, path: string }

function parsePrefix (text: string): Prefix | undefined {
  let url: URL
  try { url = new URL(text) } catch { return undefined }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
  return { origin: url.origin, path: url.pathname }
}

function underPath (path: string, prefix: string): boolean {
  if (prefix === '/' || path === prefix) return true
  return path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)
}

/**
 * @example createUrlPolicy(['https://vega.github.io/vega-datasets/']).allows('https://vega.github.io/vega-datasets/data/cars.json') // true
 */
export function createUrlPolicy (allowlist: readonly string[]): UrlPolicy {
  const prefixes = allowlist.map(parsePrefix).filter((p): p is Prefix => p !== undefined)
  return {
    allows (uri: string): boolean {
      if (prefixes.length === 0) return false
      // Relative and protocol-relative URIs have no base here, so `new URL` throws and they are refused.
      let url: URL
      try { url = new URL(uri) } catch { return false }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return false
      if (url.username !== '' || url.password !== '') return false
      return prefixes.some((p) => p.origin === url.origin && underPath(url.pathname, p.path))
    },
  }
}
