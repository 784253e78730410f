/**
 * @module artifacts/store
 * The `ArtifactStore` contract every backend meets (memory, filesystem, the tiered pair, and later Redis): bytes
 * under a string key with a little metadata. Keys are chosen by the producer (content hashes for charts, e.g.
 * `<id>.png`); the store never interprets them beyond `assertKey`.
 */
import { createHash } from 'node:crypto'
import { LivegateError } from '../errors.js'

export type SourceKind = 'chart' | 'chart-spec' | 'map' | 'tile' | (string & {})

/** What a producer says about the bytes it stores. */
export interface ArtifactInput {
  readonly mimeType: string
  readonly sourceKind: SourceKind
  readonly width?: number
  readonly height?: number
}

export interface ArtifactMeta extends ArtifactInput {
  readonly key: string
  readonly size: number
  /** When it was stored, ms since the epoch. */
  readonly created: number
  /** Strong validator: a hash of the bytes, quoted as HTTP wants it. */
  readonly etag: string
}

export interface Artifact {
  readonly bytes: Buffer
  readonly meta: ArtifactMeta
}

export interface ArtifactStore {
  /** Store `bytes` under `key`, replacing what was there. */
  put (key: string, bytes: Uint8Array, input: ArtifactInput): Promise<ArtifactMeta>
  /** The artifact, or `undefined` when it is missing or expired. */
  get (key: string): Promise<Artifact | undefined>
  head (key: string): Promise<ArtifactMeta | undefined>
  delete (key: string): Promise<boolean>
  close (): Promise<void>
  /** Whether the store can be reached now, for /readyz; stores that cannot fail (memory, disk) omit it. */
  health? (): StoreHealth
  /** Reads the in-memory tier answered (hits) or passed down (misses), for metrics; single-tier stores omit it. */
  cacheStats? (): CacheStats
}

export interface CacheStats {
  readonly hits: number
  readonly misses: number
}

export interface StoreHealth {
  readonly ok: boolean
  /** Why not, when not ok: a connection error with any password cut out. */
  readonly reason?: string
}

/** Letters, digits, `-`, `_`, `.` in `/`-separated segments; no empty, `.` or `..` segment. */
const KEY = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/
const MAX_KEY_LENGTH = 200

function isValidKey (key: string): boolean {
  return key.length <= MAX_KEY_LENGTH && KEY.test(key)
}

export function assertKey (key: string): void {
  if (!isValidKey(key)) throw new LivegateError('LG_ERR_ARTIFACT_NOT_FOUND', `invalid artifact key ${JSON.stringify(key.slice(0, MAX_KEY_LENGTH))}`)
}

export function metaFor (key: string, bytes: Uint8Array, input: ArtifactInput, created = Date.now()): ArtifactMeta {
  const etag = `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`
  return { ...input, key, size: bytes.byteLength, created, etag }
}

export function asBuffer (bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
