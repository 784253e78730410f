/**
 * @module maps/providers/tiles
 * Any XYZ raster tile server (`LIVEGATE_MAP_TILES=https://host/{z}/{x}/{y}.png`): fetch the 256 px tiles that
 * cover the image, place them at Google's pixel offsets, draw the overlays. Tiles are cached in memory and in the
 * artifact store, so a warm map needs no network at all.
 */
import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { LivegateError } from '../../errors.js'
import { createOutbound, DEFAULT_OUTBOUND_LIMITS, type Outbound } from '../../net/outbound.js'
import type { ArtifactStore } from '../../artifacts/store.js'
import { project, TILE_SIZE } from '../mercator.js'
import type { MapPool } from '../pool.js'
import type { PlacedTile } from '../render-worker.js'
import type { MapScene } from '../types.js'
import { drawLocally, type MapProvider } from './provider.js'

export const TILE_CONCURRENCY = 6
/** How livegate names the tile server in errors (never the template: it may hold an API key). */
export const TILES_PROVIDER = 'the tile server'
const MEMORY_CACHE_BYTES = 32 * 1024 * 1024
const USER_AGENT = 'livegate-maps/0.1 (+static map renderer)'

export interface TileRef { readonly z: number, readonly x: number, readonly y: number, readonly px: number, readonly py: number }

/**
 * The tiles covering a scene and where each goes, in logical pixels. The image's top-left corner is rounded to a
 * whole world pixel so tiles land on whole pixels (no resampling seams); overlays are off by under half a pixel.
 */
export function tilesFor (scene: Pick<MapScene, 'center' | 'zoom' | 'width' | 'height'>): TileRef[] {
  const n = 2 ** scene.zoom
  const c = project(scene.center)
  const left = Math.round(c.x * n - scene.width / 2)
  const top = Math.round(c.y * n - scene.height / 2)
  const out: TileRef[] = []
  for (let ty = Math.floor(top / TILE_SIZE); ty * TILE_SIZE < top + scene.height; ty++) {
    if (ty < 0 || ty >= n) continue
    for (let tx = Math.floor(left / TILE_SIZE); tx * TILE_SIZE < left + scene.width; tx++) {
      out.push({ z: scene.zoom, x: ((tx % n) + n) % n, y: ty, px: tx * TILE_SIZE - left, py: ty * TILE_SIZE - top })
    }
  }
  return out
}

export function tileUrl (template: string, t: Pick<TileRef, 'z' | 'x' | 'y'>): string {
  return template
    .replaceAll('{z}', String(t.z)).replaceAll('{x}', String(t.x)).replaceAll('{y}', String(t.y))
    .replaceAll('{-y}', String(2 ** t.z - 1 - t.y))
    .replaceAll('{s}', 'abc'[(t.x + t.y) % 3] as string)
}

export function assertTemplate (template: string): void {
  let url: URL | undefined
  try { url = new URL(tileUrl(template, { z: 0, x: 0, y: 0 })) } catch { url = undefined }
  if (url === undefined || !/^https?:$/.test(url.protocol) || !template.includes('{z}') || !template.includes('{x}') || !(template.includes('{y}') || template.includes('{-y}'))) {
    throw new LivegateError('LG_ERR_CONFIG_INVALID', 'LIVEGATE_MAP_TILES must be an http(s) URL template with {z}, {x} and {y}')
  }
}

export interface TilesOptions {
  readonly template: string
  readonly attribution: string | undefined
  readonly store: ArtifactStore | undefined
  readonly pool: MapPool
  /** The shared outbound client (config.outbound); default: one of its own with the default limits. */
  readonly outbound?: Outbound
}

export function createTilesProvider (options: TilesOptions): MapProvider {
  assertTemplate(options.template)
  const memory = new LRUCache<string, Uint8Array>({ maxSize: MEMORY_CACHE_BYTES, sizeCalculation: (b) => Math.max(1, b.byteLength) })
  const outbound = options.outbound ?? createOutbound(DEFAULT_OUTBOUND_LIMITS)
  // Without LIVEGATE_MAP_ATTRIBUTION, at least name where the tiles come from (the host only: no path or key).
  const attribution = options.attribution ?? `Tiles © ${new URL(tileUrl(options.template, { z: 0, x: 0, y: 0 })).host}`

  async function fetchTile (url: string, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    const key = `tiles/${createHash('sha256').update(url).digest('base64url').slice(0, 32)}`
    const hot = memory.get(key)
    if (hot !== undefined) return hot
    // The store is a cache: if it fails, fetch (and draw) anyway.
    const stored = await options.store?.get(key).catch(() => undefined)
    if (stored !== undefined) { memory.set(key, stored.bytes); return stored.bytes }
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await outbound.get(url, { provider: TILES_PROVIDER, signal, headers: { 'user-agent': USER_AGENT } })
      const bytes = res.bytes
      if (res.status === 200) {
        memory.set(key, bytes)
        await options.store?.put(key, bytes, { mimeType: String(res.headers['content-type'] ?? 'image/png'), sourceKind: 'tile' }).catch(() => undefined)
        return bytes
      }
      if (res.status !== 429 && res.status < 500) return undefined
    }
    return undefined
  }

  async function fetchAll (refs: readonly TileRef[], signal?: AbortSignal): Promise<Array<Uint8Array | undefined>> {
    const out: Array<Uint8Array | undefined> = new Array(refs.length)
    let next = 0
    let failure: unknown
    const worker = async (): Promise<void> => {
      while (next < refs.length && failure === undefined) {
        const i = next++
        try { out[i] = await fetchTile(tileUrl(options.template, refs[i] as TileRef), signal) } catch (err) { failure = err }
      }
    }
    await Promise.all(Array.from({ length: Math.min(TILE_CONCURRENCY, refs.length) }, worker))
    if (failure !== undefined) {
      if (signal?.aborted === true) throw new LivegateError('LG_ERR_MAP_ABORTED', 'the map was cancelled while its tiles were fetched')
      if (failure instanceof LivegateError) throw failure
      // Only the error code: the template may hold an operator's API key, so no URL goes into a message.
      throw new LivegateError('LG_ERR_MAP_PROVIDER', `tile server unreachable (${(failure as { code?: string }).code ?? 'network error'})`)
    }
    return out
  }

  return {
    name: 'tiles',
    cacheSalt: options.template,
    async draw (req, signal) {
      return await drawLocally(options.pool, req, { attribution }, async (scene, notes) => {
        const refs = tilesFor(scene)
        const bytes = await fetchAll(refs, signal)
        const tiles: PlacedTile[] = []
        bytes.forEach((b, i) => { const r = refs[i] as TileRef; if (b !== undefined) tiles.push({ bytes: b, x: r.px, y: r.py }) })
        if (refs.length > 0 && tiles.length === 0) throw new LivegateError('LG_ERR_MAP_PROVIDER', `the tile server returned no tile for this map (zoom ${scene.zoom}, ${refs.length} tiles asked)`)
        if (tiles.length < refs.length) notes.push(`${refs.length - tiles.length} of ${refs.length} tiles were missing from the tile server and left blank`)
        return { kind: 'tiles', tiles }
      }, signal)
    },
  }
}
