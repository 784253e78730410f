/**
 * @module net/outbound
 * The one way livegate calls out over HTTP (Google Static Maps, tile servers, allowlisted chart data). Every call
 * has a connect-and-total timeout and a response size cap enforced while the body streams, so an upstream that
 * never answers or sends 200 MB holds a request for at most the timeout and costs at most the cap in memory. With
 * an address policy, every connection's DNS answer is checked and the checked address is the one connected to
 * (undici's connector hands our `lookup` to `net.connect`), so a host cannot be rebound between check and use.
 * Redirects are never followed: undici's `request` returns the 3xx to the caller, who decides.
 *
 * Sits below charts/ and maps/ (design.md): both use it, neither imports the other.
 *
 * @example
 * const out = createOutbound({ timeoutMs: 10_000, maxBytes: 20 << 20 })
 * const res = await out.get('https://tiles.example/1/0/0.png', { provider: 'the tile server' })
 */
import dns from 'node:dns'
import type { LookupAddress } from 'node:dns'
import { isIP } from 'node:net'
import type { Agent } from 'undici'
import { LivegateError } from '../errors.js'
import type { AddressPolicy } from './address-policy.js'

export interface OutboundLimits {
  /** Connect plus headers plus the whole body (LIVEGATE_OUTBOUND_TIMEOUT_MS). */
  readonly timeoutMs: number
  /** Largest response body (LIVEGATE_OUTBOUND_MAX_BYTES). */
  readonly maxBytes: number
}

export const DEFAULT_OUTBOUND_LIMITS: OutboundLimits = { timeoutMs: 10_000, maxBytes: 20 * 1024 * 1024 }

interface OutboundCall {
  /** Who is called, for messages ("Google Static Maps", "the tile server"): never a URL, which may hold a key. */
  readonly provider: string
  readonly signal?: AbortSignal | undefined
  readonly headers?: Record<string, string>
}

interface OutboundResponse {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly bytes: Uint8Array
}

export interface Outbound {
  readonly limits: OutboundLimits
  get (url: string | URL, call: OutboundCall): Promise<OutboundResponse>
  close (): Promise<void>
}

/** Thrown (before any byte is sent) when a host resolves to an address the policy refuses. */
class AddressRefusedError extends Error {
  readonly code = 'LG_NET_ADDRESS_REFUSED'
  constructor (readonly host: string, readonly address: string) {
    super(`${host} resolves to ${address}, an internal address that is not allowlisted`)
    this.name = 'AddressRefusedError'
  }
}

export function isAddressRefused (err: unknown): err is AddressRefusedError {
  return (err as { code?: unknown } | null)?.code === 'LG_NET_ADDRESS_REFUSED'
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/** A `net.connect` lookup that resolves once, refuses the whole answer if any address is refused, and pins it. */
function checkedLookup (policy: AddressPolicy) {
  return function lookup (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err !== null) { callback(err, []); return }
      const bad = addresses.find((a) => !policy.allows(a.address))
      if (bad !== undefined) { callback(new AddressRefusedError(hostname, bad.address) as unknown as NodeJS.ErrnoException, []); return }
      const first = addresses[0]
      if (options.all === true) callback(null, addresses)
      else if (first === undefined) callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), [])
      else callback(null, first.address, first.family)
    })
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

function causeOf (err: unknown): unknown {
  // undici wraps connector errors (our lookup's refusal among them) in its own.
  let e = err as { cause?: unknown } | undefined
  for (let i = 0; i < 4 && e !== undefined && e !== null; i++) {
    if (isAddressRefused(e)) return e
    e = e.cause as { cause?: unknown } | undefined
  }
  return err
}

/** undici's agent for one Outbound and its `request`, once loaded. */
interface UndiciClient { agent: Agent, request: typeof import('undici').request }

export function createOutbound (limits: OutboundLimits, options: { addressPolicy?: AddressPolicy } = {}): Outbound {
  const policy = options.addressPolicy
  // undici is loaded, and the agent made, on the first call: most gateways never call out (offline maps, inline chart
  // data), and a module that size stays out of the heap the relay's collector walks.
  let agent: Promise<UndiciClient> | undefined
  const client = async (): Promise<UndiciClient> => await (agent ??= import('undici').then(({ Agent, request }) => ({
    agent: new Agent({
      connect: { timeout: limits.timeoutMs, ...(policy === undefined ? {} : { lookup: checkedLookup(policy) }) },
      headersTimeout: limits.timeoutMs,
      bodyTimeout: limits.timeoutMs,
    }),
    request,
  })))

  const timedOut = (provider: string): LivegateError =>
    new LivegateError('LG_ERR_OUTBOUND_TIMEOUT', `${provider} did not answer within ${limits.timeoutMs} ms`, { provider })
  const tooLarge = (provider: string, bytes: number | undefined): LivegateError =>
    new LivegateError('LG_ERR_OUTBOUND_TOO_LARGE',
      `${provider} ${bytes === undefined ? `sent more than ${limits.maxBytes} bytes` : `announced ${bytes} bytes`}; the response limit is ${limits.maxBytes} bytes`, { provider, limit: limits.maxBytes })

  return {
    limits,
    async get (url, call) {
      const target = typeof url === 'string' ? new URL(url) : url
      // An IP literal is never looked up, so the policy is applied to it here.
      const literal = target.hostname.replace(/^\[(.*)\]$/, '$1')
      if (policy !== undefined && isIP(literal) !== 0 && !policy.allows(literal)) throw new AddressRefusedError(literal, literal)
      const controller = new AbortController()
      let expired = false
      const timer = setTimeout(() => { expired = true; controller.abort() }, limits.timeoutMs)
      const onAbort = (): void => { controller.abort() }
      call.signal?.addEventListener('abort', onAbort, { once: true })
      if (call.signal?.aborted === true) controller.abort()
      try {
        const { agent: dispatcher, request } = await client()
        const res = await request(target, { dispatcher, signal: controller.signal, ...(call.headers === undefined ? {} : { headers: call.headers }) })
        const declared = Number(res.headers['content-length'])
        if (Number.isFinite(declared) && declared > limits.maxBytes) {
          res.body.destroy()
          throw tooLarge(call.provider, declared)
        }
        const chunks: Buffer[] = []
        let total = 0
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          total += chunk.byteLength
          if (total > limits.maxBytes) {
            res.body.destroy()
            throw tooLarge(call.provider, undefined)
          }
          chunks.push(chunk)
        }
        return { status: res.statusCode, headers: res.headers, bytes: new Uint8Array(Buffer.concat(chunks, total)) }
      } catch (err) {
        if (err instanceof LivegateError) throw err
        if (expired || TIMEOUT_CODES.has((err as { code?: string }).code ?? '')) throw timedOut(call.provider)
        throw causeOf(err)
      } finally {
        clearTimeout(timer)
        call.signal?.removeEventListener('abort', onAbort)
      }
    },
    async close () {
      if (agent !== undefined) await (await agent).agent.close()
    },
  }
}
