/**
 * @module charts/locked-loader
 * A Vega loader for untrusted specs. Vega's default loader in Node reads local files (absolute, relative and
 * `file://`) and fetches any URL, and image marks bypass `load` and go through `sanitize` (measured in
 * reference/chart-rendering.md §4.1). Here `load`, `sanitize`, `file` and `http` all consult the URL policy, and every
 * refusal is recorded so the caller can tell the model to inline its data instead of returning an empty chart.
 */
import * as vega from 'vega'
import type { UrlPolicy } from './url-policy.js'

export interface LockedLoader {
  readonly loader: vega.Loader
  /** URIs refused so far, in order, without duplicates. */
  readonly refused: string[]
}

type SanitizeResult = { href: string }

export function createLockedLoader (policy: UrlPolicy): LockedLoader {
  const refused: string[] = []
  // `redirect: 'error'`: an allowed URL must not bounce the request to a host the policy would refuse.
  const base = vega.loader({ mode: 'http', http: { redirect: 'error' } } as Record<string, unknown>) as vega.Loader
  const refuse = (uri: unknown): never => {
    const text = String(uri).slice(0, 500)
    if (!refused.includes(text)) refused.push(text)
    throw new Error(`external load refused: ${text}`)
  }
  const sanitize = async (uri: string): Promise<SanitizeResult> => {
    if (typeof uri !== 'string' || !policy.allows(uri)) return refuse(uri)
    return { href: uri }
  }
  const http = async (url: string, options?: unknown): Promise<string> => {
    if (!policy.allows(url)) return refuse(url)
    return await (base.http as (u: string, o?: unknown) => Promise<string>).call(base, url, options)
  }
  const loader = Object.assign(Object.create(base) as vega.Loader, {
    sanitize,
    http,
    file: async (path: string): Promise<string> => refuse(path),
    load: async (uri: string, options?: { http?: unknown }): Promise<string> => {
      const { href } = await sanitize(uri)
      return await http(href, options?.http)
    },
  })
  return { loader, refused }
}
