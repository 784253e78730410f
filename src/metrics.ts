/**
 * @module metrics
 * The app's Prometheus metrics (prom-client), one `Registry` per app: no global registry, so several gateways run in
 * one process (tests) without sharing or clashing. Served by http/metrics.ts at `GET /metrics`.
 *
 * The relay's hot path pays nothing: sessions keep plain number counters (frames, bytes) as they always have, and
 * the frame and byte counters are computed at scrape time (`collect`) as the sum over open sessions plus a running
 * total of closed ones. Events that happen per session, per turn or per tool run call `inc()` directly.
 *
 * Labels come only from bounded sets: client names (configured tokens), tool names (the registry), close codes
 * (standard ones; the rest bucketed), modalities (Gemini's enum, the rest `OTHER`) and limit names.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { LIMIT_NAMES, type LimitName } from './live/limits.js'
import type { TurnUsage } from './live/usage.js'

/** What a session counts, read at scrape time. */
export interface FrameCounts {
  readonly clientFrames: number
  readonly clientBytes: number
  readonly upstreamFrames: number
  readonly upstreamBytes: number
}

export interface MetricsSources {
  /** Open sessions. */
  readonly sessions: () => Iterable<FrameCounts>
  /** Renders waiting for a worker and running now; undefined before the first render. */
  readonly renderQueue: () => { queued: number, running: number } | undefined
  /** Reads served by the memory tier of the artifact store, and those that went below it. */
  readonly artifactCache: () => { hits: number, misses: number } | undefined
}

export interface Metrics {
  readonly registry: Registry
  sessionStarted (client: string): void
  /** Fold a closed session's counters into the running totals (call once per session, after its last frame). */
  sessionEnded (counts: FrameCounts): void
  upstreamClosed (code: number): void
  toolRun (tool: string, status: string, seconds: number): void
  usage (client: string, usage: TurnUsage): void
  refused (limit: LimitName): void
}

/** Distinct client labels kept before new names are counted as `other` (a guard: names come from configuration). */
const MAX_CLIENT_LABELS = 1000
const TOOL_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/** RFC 6455 codes by name, livegate/Gemini 4xxx as one bucket, anything else as `other`. */
export function closeCodeLabel (code: number): string {
  if (code >= 1000 && code <= 1015) return String(code)
  if (code >= 4000 && code <= 4999) return '4xxx'
  if (code >= 3000 && code <= 3999) return '3xxx'
  return 'other'
}

export function createMetrics (sources: MetricsSources): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const closed = { clientFrames: 0, clientBytes: 0, upstreamFrames: 0, upstreamBytes: 0 }
  const clients = new Set<string>()
  const clientLabel = (name: string): string => {
    if (clients.has(name)) return name
    if (clients.size >= MAX_CLIENT_LABELS) return 'other'
    clients.add(name)
    return name
  }
  const totals = (): typeof closed => {
    const sum = { ...closed }
    for (const s of sources.sessions()) {
      sum.clientFrames += s.clientFrames
      sum.clientBytes += s.clientBytes
      sum.upstreamFrames += s.upstreamFrames
      sum.upstreamBytes += s.upstreamBytes
    }
    return sum
  }

  new Gauge({
    name: 'livegate_sessions_active',
    help: 'Client sessions open now.',
    registers: [registry],
    collect () {
      let n = 0
      for (const _ of sources.sessions()) n++
      this.set(n)
    },
  })
  const sessionsTotal = new Counter({ name: 'livegate_sessions_total', help: 'Client sessions admitted, by client.', labelNames: ['client'], registers: [registry] })
  new Counter({
    name: 'livegate_frames_total',
    help: 'WebSocket frames relayed, by direction (client: from the client; upstream: from Gemini).',
    labelNames: ['direction'],
    registers: [registry],
    collect () {
      const sum = totals()
      this.reset()
      this.inc({ direction: 'client' }, sum.clientFrames)
      this.inc({ direction: 'upstream' }, sum.upstreamFrames)
    },
  })
  new Counter({
    name: 'livegate_bytes_total',
    help: 'WebSocket payload bytes relayed, by direction (client: from the client; upstream: from Gemini).',
    labelNames: ['direction'],
    registers: [registry],
    collect () {
      const sum = totals()
      this.reset()
      this.inc({ direction: 'client' }, sum.clientBytes)
      this.inc({ direction: 'upstream' }, sum.upstreamBytes)
    },
  })
  const toolRuns = new Counter({ name: 'livegate_tool_runs_total', help: 'Server tool runs, by tool and status (ok, error, cancelled).', labelNames: ['tool', 'status'], registers: [registry] })
  const toolDuration = new Histogram({ name: 'livegate_tool_run_duration_seconds', help: 'Server tool run time, by tool.', labelNames: ['tool'], buckets: TOOL_BUCKETS_S, registers: [registry] })
  const upstreamCloses = new Counter({ name: 'livegate_upstream_closes_total', help: 'Upstream (Gemini) sockets that closed while their session was open, by close code.', labelNames: ['code'], registers: [registry] })
  const usageTokens = new Counter({
    name: 'livegate_usage_tokens_total',
    help: 'Gemini tokens reported in usageMetadata, by client, side (prompt, response) and modality.',
    labelNames: ['client', 'side', 'modality'],
    registers: [registry],
  })
  const refusals = new Counter({ name: 'livegate_limit_refusals_total', help: 'Sessions and requests refused by a limit, by limit.', labelNames: ['limit'], registers: [registry] })
  for (const limit of LIMIT_NAMES) refusals.inc({ limit }, 0)
  new Counter({
    name: 'livegate_artifact_cache_hits_total',
    help: 'Artifact reads served by the in-memory tier.',
    registers: [registry],
    collect () { this.reset(); this.inc(sources.artifactCache()?.hits ?? 0) },
  })
  new Counter({
    name: 'livegate_artifact_cache_misses_total',
    help: 'Artifact reads the in-memory tier did not hold (served from, or missing in, the store below).',
    registers: [registry],
    collect () { this.reset(); this.inc(sources.artifactCache()?.misses ?? 0) },
  })
  new Gauge({
    name: 'livegate_render_queue_depth',
    help: 'Chart renders waiting for a worker thread.',
    registers: [registry],
    collect () { this.set(sources.renderQueue()?.queued ?? 0) },
  })
  new Gauge({
    name: 'livegate_renders_running',
    help: 'Chart renders running in worker threads now.',
    registers: [registry],
    collect () { this.set(sources.renderQueue()?.running ?? 0) },
  })

  return {
    registry,
    sessionStarted (client) { sessionsTotal.inc({ client: clientLabel(client) }) },
    sessionEnded (counts) {
      closed.clientFrames += counts.clientFrames
      closed.clientBytes += counts.clientBytes
      closed.upstreamFrames += counts.upstreamFrames
      closed.upstreamBytes += counts.upstreamBytes
    },
    upstreamClosed (code) { upstreamCloses.inc({ code: closeCodeLabel(code) }) },
    toolRun (tool, status, seconds) {
      toolRuns.inc({ tool, status })
      toolDuration.observe({ tool }, seconds)
    },
    usage (client, usage) {
      const label = clientLabel(client)
      for (const d of usage.details) usageTokens.inc({ client: label, side: d.side, modality: d.modality }, d.tokens)
    },
    refused (limit) { refusals.inc({ limit }) },
  }
}
