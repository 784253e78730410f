/**
 * A GCE metadata server on loopback, as google-auth-library's Compute client talks to it (`Metadata-Flavor: Google`
 * both ways; `/computeMetadata/v1/instance/service-accounts/default/token` → `{access_token, expires_in,
 * token_type}`). `useFakeMetadata()` points the library at it through GCE_METADATA_HOST and hides any developer
 * credentials, so no test ever reaches the real metadata host or a real account.
 */
import { EventEmitter } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'

export interface FakeMetadata {
  readonly host: string
  /** Every token handed out, oldest first. */
  readonly issued: string[]
  /** Paths asked for, in order. */
  readonly requests: string[]
  /** Lifetime (seconds) of the next tokens: shift()ed per token, the last value repeats. */
  lifetimes: number[]
  /** Answer token requests with 500 (no usable credentials). */
  failing: boolean
  readonly events: EventEmitter
  close (): Promise<void>
}

interface Teardown { teardown (fn: () => Promise<void> | void): void }

export async function startFakeMetadata (t: Teardown, onToken: (token: string) => void = () => {}): Promise<FakeMetadata> {
  const issued: string[] = []
  const requests: string[] = []
  const events = new EventEmitter()
  const state = { lifetimes: [3600], failing: false }
  const server = createServer((req, res) => {
    const url = req.url ?? ''
    requests.push(url.split('?')[0] ?? '')
    if (req.headers['metadata-flavor'] !== 'Google') {
      res.writeHead(403).end('Missing Metadata-Flavor:Google header.')
      return
    }
    const headers = { 'metadata-flavor': 'Google', 'content-type': 'application/json' }
    if (url.startsWith('/computeMetadata/v1/instance/service-accounts/default/token')) {
      if (state.failing) { res.writeHead(500, headers).end('{"error":"internal"}'); return }
      const lifetime = state.lifetimes.length > 1 ? state.lifetimes.shift() as number : state.lifetimes[0] ?? 3600
      const token = `ya29.fake-${issued.length + 1}-${Math.random().toString(36).slice(2)}`
      issued.push(token)
      onToken(token)
      res.writeHead(200, headers).end(JSON.stringify({ access_token: token, expires_in: lifetime, token_type: 'Bearer' }))
      events.emit('token', token)
      return
    }
    if (url.split('?')[0] === '/computeMetadata/v1/instance' || url.split('?')[0] === '/computeMetadata/v1/instance/') {
      res.writeHead(200, { 'metadata-flavor': 'Google', 'content-type': 'text/plain' }).end('attributes/\nservice-accounts/\n')
      return
    }
    res.writeHead(404, headers).end('{}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  const close = async (): Promise<void> => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  t.teardown(close)
  return {
    host,
    issued,
    requests,
    events,
    get lifetimes () { return state.lifetimes },
    set lifetimes (v) { state.lifetimes = v },
    get failing () { return state.failing },
    set failing (v) { state.failing = v },
    close,
  }
}

/**
 * Point google-auth-library at the fake for this test process: GCE_METADATA_HOST (so gcp-metadata asks only it, and
 * never the real 169.254.169.254 or metadata.google.internal), and an empty CLOUDSDK_CONFIG and no
 * GOOGLE_APPLICATION_CREDENTIALS (so a developer's own credentials are never picked up).
 */
export async function useFakeMetadata (t: Teardown, fake: FakeMetadata): Promise<void> {
  const saved = { GCE_METADATA_HOST: process.env.GCE_METADATA_HOST, CLOUDSDK_CONFIG: process.env.CLOUDSDK_CONFIG, GOOGLE_APPLICATION_CREDENTIALS: process.env.GOOGLE_APPLICATION_CREDENTIALS }
  const gcloud = await mkdtemp(path.join(os.tmpdir(), 'livegate-gcloud-'))
  process.env.GCE_METADATA_HOST = fake.host
  process.env.CLOUDSDK_CONFIG = gcloud
  delete process.env.GOOGLE_APPLICATION_CREDENTIALS
  t.teardown(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
    await rm(gcloud, { recursive: true, force: true })
  })
}
