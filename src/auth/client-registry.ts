/**
 * @module auth/client-registry
 * Configured client secrets → client names. Lookup compares SHA-256 digests in constant time against every entry,
 * so neither a secret's content nor its length leaks through timing, and which entry matched does not either.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { ClientToken } from '../config.js'

type ClientLookup = (secret: string) => string | undefined

function digest (value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

export function createClientRegistry (tokens: readonly ClientToken[]): ClientLookup {
  const entries = tokens.map((t) => ({ name: t.name, digest: digest(t.secret) }))
  return function lookupClient (secret) {
    const candidate = digest(secret)
    let found: string | undefined
    for (const entry of entries) {
      if (timingSafeEqual(entry.digest, candidate) && found === undefined) found = entry.name
    }
    return found
  }
}
