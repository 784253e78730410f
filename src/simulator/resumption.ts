/**
 * @module simulator/resumption
 * Session resumption handles (reference §1.6, §4 items 27–28): each `sessionResumptionUpdate.newHandle` names a
 * snapshot of the conversation; a later `setup.sessionResumption.handle` restores it. Handles stay valid for 2 hours.
 * One store per simulator, so a client can resume on another connection.
 */
import { randomBytes } from 'node:crypto'
import type { HistoryEntry } from './script.js'

/** Resumption tokens are valid for 2 h (ai.google.dev session-management). */
export const HANDLE_TTL_MS = 2 * 60 * 60 * 1000

export interface SessionSnapshot {
  model: string
  history: readonly HistoryEntry[]
  userTurns: number
}

export interface HandleEntry {
  snapshot: SessionSnapshot
  /** The connection that issued the handle. */
  ownerId: number
  /** Index of the last client message of that connection the snapshot includes (setup = 0). */
  clientIndex: number
  issuedAt: number
}

export class HandleStore {
  readonly #entries = new Map<string, HandleEntry>()
  readonly #now: () => number
  readonly #ttlMs: number

  constructor (now: () => number = Date.now, ttlMs = HANDLE_TTL_MS) {
    this.#now = now
    this.#ttlMs = ttlMs
  }

  get size (): number { return this.#entries.size }

  /** Store a snapshot and return its new opaque handle. */
  issue (snapshot: SessionSnapshot, ownerId: number, clientIndex = 0): string {
    this.#prune()
    const handle = randomBytes(24).toString('base64url')
    this.#entries.set(handle, { snapshot, ownerId, clientIndex, issuedAt: this.#now() })
    return handle
  }

  /** The entry for a handle, or undefined when unknown or expired. */
  lookup (handle: string): HandleEntry | undefined {
    const entry = this.#entries.get(handle)
    if (entry === undefined) return undefined
    if (this.#now() - entry.issuedAt > this.#ttlMs) {
      this.#entries.delete(handle)
      return undefined
    }
    return entry
  }

  #prune (): void {
    const cutoff = this.#now() - this.#ttlMs
    for (const [handle, entry] of this.#entries) {
      if (entry.issuedAt >= cutoff) break // insertion order is issue order
      this.#entries.delete(handle)
    }
  }
}
