/**
 * @module charts/locked-loader
 * A Vega loader for untrusted specs. Vega's default loader in Node reads local files (absolute, relative and
 * `file://`) and fetches any URL, and image marks bypass `load` and go through `sanitize` (measured in
 * reference/chart-rendering.md §4.1). Here `load`, `sanitize`, `file` and `http` all consult the URL policy, and every
 * refusal is recorded so the caller can tell the model to inline its data instead of returning an empty chart.
 *
 * What the policy allows is fetched through net/outbound: a timeout and a size cap, the resolved address checked
 * (internal addresses only when the allowlist names that address) and pinned, and no redirect followed. Allowed
 * image URLs are fetched the same way and handed to the renderer as data URLs, so the canvas never fetches itself.
 */
import * as vega from 'vega'
import { createAddressPolicy } from '../net/address-policy.js'
import { createOutbound, isAddressRefused, type Outbound, type OutboundLimits } from '../net/outbound.js'
import type { ErrorCode } from '../errors.js'
import type { UrlPolicy } from './url-policy.js'

export interface LoadFailure { code: ErrorCode, detail: string, extra?: Record<string, unknown> }

export interface LockedLoader {
  readonly loader: vega.Loader
  /** URIs refused so far, in order, without duplicates. */
  readonly refused: string[]
  /** Why each refused URI was refused, when it was more than "not allowlisted" (redirects, internal addresses). */
  readonly reasons: string[]
  /** The first allowed load that timed out or was too large (Vega turns it into a warning and an empty chart). */
  failure (): LoadFailure | undefined
  close (): Promise<void>
}

type SanitizeResult = { href: string }

export interface LockedLoaderOptions {
  readonly policy: UrlPolicy
  /** The allowlist entries: an IP literal among their hosts may be reached even when it is internal. */
  readonly allowlist: readonly string[]
  readonly limits: OutboundLimits
}

function hostOf (text: string): string {
  try { return new URL(text).hostname } catch { return '' }
}

export function createLockedLoader ({ policy, allowlist, limits }: LockedLoaderOptions): LockedLoader {
  const refused: string[] = []
  const reasons: string[] = []
  let failed: LoadFailure | undefined
  let outbound: Outbound | undefined
  const refuse = (uri: unknown, reason?: string): never => {
    const text = String(uri).slice(0, 500)
    if (!refused.includes(text)) refused.push(text)
    if (reason !== undefined && !reasons.includes(reason)) reasons.push(reason)
    throw new Error(`external load refused: ${text}`)
  }
  const fetchBytes = async (url: string): Promise<{ bytes: Uint8Array, type: string }> => {
    if (!policy.allows(url)) return refuse(url)
    outbound ??= createOutbound(limits, { addressPolicy: createAddressPolicy(allowlist.map(hostOf)) })
    const host = hostOf(url)
    let res
    try {
      res = await outbound.get(url, { provider: `chart data host ${host}` })
    } catch (err) {
      if (isAddressRefused(err)) return refuse(url, err.message)
      const e = err as { code?: string, detail?: string, extra?: Record<string, unknown> }
      if (e.code === 'LG_ERR_OUTBOUND_TIMEOUT' || e.code === 'LG_ERR_OUTBOUND_TOO_LARGE') {
        failed ??= { code: e.code, detail: `${e.detail ?? ''}; inline the data with "data": {"values": [...]} instead`, ...(e.extra === undefined ? {} : { extra: e.extra }) }
      }
      throw err
    }
    // A redirect could lead anywhere the policy was never asked about.
    if (res.status >= 300 && res.status < 400) return refuse(url, `${host} answered a redirect (${res.status}); redirects are not followed`)
    if (res.status !== 200) throw new Error(`${url.slice(0, 200)} answered ${res.status}`)
    const type = res.headers['content-type']
    return { bytes: res.bytes, type: typeof type === 'string' ? type : 'application/octet-stream' }
  }
  const http = async (url: string): Promise<string> => Buffer.from((await fetchBytes(url)).bytes).toString('utf8')
  const sanitize = async (uri: string, options?: { context?: string }): Promise<SanitizeResult> => {
    if (typeof uri !== 'string' || !policy.allows(uri)) return refuse(uri)
    if (options?.context !== 'image') return { href: uri }
    const { bytes, type } = await fetchBytes(uri)
    return { href: `data:${type.split(';')[0] ?? 'image/png'};base64,${Buffer.from(bytes).toString('base64')}` }
  }
  const base = vega.loader({ mode: 'http' }) as vega.Loader
  const loader = Object.assign(Object.create(base) as vega.Loader, {
    sanitize,
    http,
    file: async (path: string): Promise<string> => refuse(path),
    load: async (uri: string): Promise<string> => {
      const { href } = await sanitize(uri)
      return await http(href)
    },
  })
  return {
    loader,
    refused,
    reasons,
    failure: () => failed,
    async close () { await outbound?.close() },
  }
}
