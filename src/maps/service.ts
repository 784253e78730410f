/**
 * @module maps/service
 * `MapService`: the one entry point for the `draw_map` tool and the REST routes. It parses (query string or tool
 * arguments), picks the provider the config names (Google with MAPS_API_KEY, else tiles with LIVEGATE_MAP_TILES,
 * else offline), and stores the PNG as an artifact whose id is a content hash of the normalised request, the
 * provider and the renderer version — the same map asked twice is drawn once.
 *
 * @example
 * const map = await app.livegate.maps.create({ args: { center: 'Sydney', zoom: 12, markers: ['color:red|label:A|Sydney'] } })
 * map.path // '/v1/artifacts/<id>.png'
 */
import { createHash } from 'node:crypto'
import type { Config } from '../config.js'
import { LivegateError } from '../errors.js'
import { createSharedWork } from '../artifacts/shared-work.js'
import type { ArtifactStore } from '../artifacts/store.js'
import { createOutbound, type Outbound } from '../net/outbound.js'
import { parseMapArgs, parseMapQuery } from './params.js'
import { createMapPool, mapPoolOptions, type MapPool } from './pool.js'
import { createGoogleProvider } from './providers/google.js'
import { createOfflineProvider } from './providers/offline.js'
import { createTilesProvider } from './providers/tiles.js'
import type { MapProvider, ProviderName } from './providers/provider.js'
import type { Resolved } from './scene.js'
import type { LatLng, MapRequest } from './types.js'

/** Bump when drawing changes, so cached maps are redrawn. */
const RENDERER_VERSION = 'maps-1'

export interface MapInput {
  /** A Static Maps query string (`center=…&zoom=…&markers=…`), as REST receives it. */
  readonly query?: string
  /** `draw_map` tool arguments, or a `POST /v1/maps` body. */
  readonly args?: Readonly<Record<string, unknown>>
}

export interface MapResult {
  readonly id: string
  /** `/v1/artifacts/<id>.png`, relative to the public base URL. */
  readonly path: string
  readonly width: number
  readonly height: number
  readonly provider: ProviderName
  /** Null only for Google maps positioned from addresses livegate cannot resolve itself. */
  readonly center: LatLng | null
  readonly zoom: number | null
  readonly resolved: Resolved[]
  readonly notes: string[]
  readonly cached: boolean
}

export interface MapService {
  readonly provider: ProviderName
  /** @throws LivegateError (LG_ERR_MAP_*, LG_ERR_RENDER_BUSY) */
  create (input: MapInput, options?: { signal?: AbortSignal }): Promise<MapResult>
  close (): Promise<void>
}

interface MapServiceOptions {
  readonly config: Config
  readonly store: ArtifactStore
  /** Override the pool (tests share one across apps). */
  readonly pool?: MapPool
}

export function pickProvider (config: Config, store: ArtifactStore, pool: MapPool, outbound: Outbound = createOutbound(config.outbound)): MapProvider {
  const maps = config.maps
  if (maps.apiKey !== undefined) return createGoogleProvider({ url: maps.googleUrl, apiKey: maps.apiKey, pool, outbound })
  if (maps.tilesUrl !== undefined) return createTilesProvider({ template: maps.tilesUrl, attribution: maps.attribution, store, pool, outbound })
  return createOfflineProvider(pool)
}

function parse (input: MapInput): MapRequest {
  if (input.query !== undefined && input.args !== undefined) {
    throw new LivegateError('LG_ERR_MAP_INVALID_PARAM', 'give either a query string or tool arguments, not both')
  }
  if (input.query !== undefined) return parseMapQuery(input.query)
  return parseMapArgs(input.args ?? {})
}

export function mapId (req: MapRequest, provider: MapProvider): string {
  const { notes: _notes, ...normalised } = req
  return createHash('sha256')
    .update(JSON.stringify([RENDERER_VERSION, provider.name, provider.cacheSalt, normalised]))
    .digest('base64url').slice(0, 32)
}

export function createMapService (options: MapServiceOptions): MapService {
  const { config, store } = options
  const ownPool = options.pool === undefined
  const pool = options.pool ?? createMapPool(mapPoolOptions(config.charts))
  const outbound = createOutbound(config.outbound)
  const provider = pickProvider(config, store, pool, outbound)
  const inflight = createSharedWork<MapResult>()

  async function cachedResult (id: string): Promise<MapResult | undefined> {
    const [meta, png] = await Promise.all([store.get(`${id}.json`), store.head(`${id}.png`)])
    if (meta === undefined || png === undefined) return undefined
    return { ...(JSON.parse(meta.bytes.toString('utf8')) as MapResult), cached: true }
  }

  async function draw (req: MapRequest, id: string, signal?: AbortSignal): Promise<MapResult> {
    const drawn = await provider.draw(req, signal)
    const result: MapResult = {
      id,
      path: `/v1/artifacts/${id}.png`,
      width: drawn.width,
      height: drawn.height,
      provider: provider.name,
      center: drawn.center,
      zoom: drawn.zoom,
      resolved: drawn.resolved,
      notes: drawn.notes,
      cached: false,
    }
    await store.put(`${id}.png`, drawn.png, { mimeType: 'image/png', sourceKind: 'map', width: drawn.width, height: drawn.height })
    await store.put(`${id}.json`, Buffer.from(JSON.stringify(result)), { mimeType: 'application/json', sourceKind: 'map-meta' })
    return result
  }

  /**
   * Callers of the same map share one draw (artifacts/shared-work): it is cancelled only when every caller waiting on
   * it has gone, so one impatient client cannot fail the others. A caller that joined reads `cached: true`.
   */
  async function shared (req: MapRequest, id: string, signal: AbortSignal | undefined): Promise<MapResult> {
    try {
      const { value, shared: joined } = await inflight.run(id, async (drawSignal) => await draw(req, id, drawSignal), signal)
      return joined ? { ...value, cached: true } : value
    } catch (err) {
      if (signal?.aborted === true && err === signal.reason) throw new LivegateError('LG_ERR_MAP_ABORTED', 'the map was cancelled before it was drawn')
      throw err
    }
  }

  return {
    provider: provider.name,
    async create (input, opts = {}) {
      const req = parse(input)
      const id = mapId(req, provider)
      const hit = await cachedResult(id)
      if (hit !== undefined) return hit
      return await shared(req, id, opts.signal)
    },
    async close () {
      await outbound.close()
      if (ownPool) await pool.close()
    },
  }
}
