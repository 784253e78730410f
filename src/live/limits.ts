/**
 * @module live/limits
 * Whether a new session may open, and the bookkeeping while it is open. Checked once, before the session exists:
 * process pressure (@fastify/under-pressure's view), the process ceiling (LIVEGATE_MAX_SESSIONS), the client's open
 * sessions (LIVEGATE_MAX_SESSIONS_PER_CLIENT, per process), its new sessions this minute and its tokens today (both
 * through `LimitCounters`, so replicas sharing Redis share them). A refusal is a LivegateError with close code 1013
 * and an `LG_ERR_LIMIT_…` code naming the limit. Sessions already open are never touched by a refusal.
 *
 * Limits key on the client's name; anonymous clients (no tokens configured) are told apart by IP address, so one
 * anonymous user cannot spend everyone's allowance. Metric labels use the name only (a bounded set).
 */
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import { LivegateError, type ErrorCode } from '../errors.js'
import type { LimitCounters } from './limit-counters.js'
import type { TurnUsage } from './usage.js'
import { ANONYMOUS_NAME } from '../auth/identity.js'

export const LIMIT_NAMES = ['pressure', 'sessions', 'client_sessions', 'session_rate', 'daily_tokens', 'render_rate'] as const
export type LimitName = typeof LIMIT_NAMES[number]

const MINUTE_MS = 60_000
const DAY_MS = 86_400_000
/** Token counters outlive their UTC day a little, so a replica with a skewed clock still finds yesterday's. */
const TOKEN_KEY_TTL_MS = 2 * DAY_MS

/** The key limits count under: the client's name, or `anonymous@<ip>` for clients without a name. */
export function limitKeyOf (clientName: string, ip: string): string {
  return clientName === ANONYMOUS_NAME ? `${ANONYMOUS_NAME}@${ip}` : clientName
}

/** What an admitted session holds: give it back once, when the session ends. */
export interface SessionTicket {
  readonly client: string
  release (): void
  /** Count a turn's tokens toward the client's daily budget. */
  recordUsage (usage: TurnUsage): void
}

export interface SessionLimits {
  /** A ticket, or a LivegateError (thrown, or the promise's rejection) naming the limit. Async only when a shared counter is involved. */
  admit (clientName: string, ip: string): SessionTicket | Promise<SessionTicket>
  /** Sessions admitted and not yet released. */
  readonly open: number
}

export interface SessionLimitsOptions {
  readonly limits: Config['limits']
  readonly counters: LimitCounters
  /** True while the process is overloaded (event-loop delay, heap). */
  readonly underPressure: () => boolean
  readonly onRefusal: (limit: LimitName) => void
  readonly log: FastifyBaseLogger
}

function utcDay (ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

export function createSessionLimits (options: SessionLimitsOptions): SessionLimits {
  const { limits, counters, log } = options
  const perClient = new Map<string, number>()
  let open = 0

  function refuse (limit: LimitName, code: ErrorCode, detail: string, extra?: Record<string, unknown>): never {
    options.onRefusal(limit)
    throw new LivegateError(code, detail, { limitName: limit, ...extra })
  }

  function ticketFor (key: string, client: string): SessionTicket {
    let released = false
    return {
      client,
      release () {
        if (released) return
        released = true
        open--
        const held = (perClient.get(key) ?? 1) - 1
        if (held <= 0) perClient.delete(key)
        else perClient.set(key, held)
      },
      recordUsage (usage) {
        if (limits.dailyTokens === undefined || usage.total <= 0) return
        counters.add(`tokens:${key}:${utcDay(Date.now())}`, usage.total, TOKEN_KEY_TTL_MS).catch((err: unknown) => {
          log.warn({ err: { message: (err as Error).message } }, 'could not record token usage toward the daily budget')
        })
      },
    }
  }

  async function checkShared (key: string): Promise<void> {
    const now = Date.now()
    let started: number | undefined
    let spent: number | undefined
    try {
      const [rate, tokens] = await Promise.all([
        limits.sessionsPerMinute === undefined ? undefined : counters.add(`sessions:${key}:${Math.floor(now / MINUTE_MS)}`, 1, MINUTE_MS),
        limits.dailyTokens === undefined ? undefined : counters.get(`tokens:${key}:${utcDay(now)}`),
      ])
      started = rate?.count
      spent = tokens
    } catch (err) {
      log.warn({ err: { message: (err as Error).message } }, 'limit counters unavailable: admitting the session unchecked')
      return
    }
    if (limits.sessionsPerMinute !== undefined && started !== undefined && started > limits.sessionsPerMinute) {
      const retryAfterSeconds = Math.ceil((MINUTE_MS - (now % MINUTE_MS)) / 1000)
      refuse('session_rate', 'LG_ERR_LIMIT_SESSION_RATE',
        `at most ${limits.sessionsPerMinute} new sessions per minute for this client; retry in ${retryAfterSeconds} s`, { retryAfterSeconds })
    }
    if (limits.dailyTokens !== undefined && spent !== undefined && spent >= limits.dailyTokens) {
      const retryAfterSeconds = Math.ceil((DAY_MS - (now % DAY_MS)) / 1000)
      refuse('daily_tokens', 'LG_ERR_LIMIT_DAILY_TOKENS',
        `this client used its ${limits.dailyTokens} tokens for today (UTC); the budget resets at 00:00 UTC`, { retryAfterSeconds })
    }
  }

  return {
    get open () { return open },
    admit (clientName, ip) {
      if (options.underPressure()) {
        refuse('pressure', 'LG_ERR_LIMIT_PRESSURE', 'the gateway is overloaded; retry shortly or on another replica', { retryAfterSeconds: 10 })
      }
      if (open >= limits.maxSessions) {
        refuse('sessions', 'LG_ERR_LIMIT_SESSIONS', `this gateway holds its maximum of ${limits.maxSessions} sessions; retry later`)
      }
      const key = limitKeyOf(clientName, ip)
      const held = perClient.get(key) ?? 0
      if (limits.maxSessionsPerClient !== undefined && held >= limits.maxSessionsPerClient) {
        refuse('client_sessions', 'LG_ERR_LIMIT_CLIENT_SESSIONS', `at most ${limits.maxSessionsPerClient} open sessions per client; close one first`)
      }
      // Reserved before any await, so concurrent admissions cannot overshoot the ceilings.
      open++
      perClient.set(key, held + 1)
      const ticket = ticketFor(key, clientName)
      if (limits.sessionsPerMinute === undefined && limits.dailyTokens === undefined) return ticket
      return checkShared(key).then(() => ticket, (err: unknown) => {
        ticket.release()
        throw err
      })
    },
  }
}
