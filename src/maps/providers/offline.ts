/**
 * @module maps/providers/offline
 * The default provider, with no key and no network: bundled Natural Earth land and borders (resolution chosen by
 * zoom), US state lines, the GeoNames gazetteer for addresses. Natural Earth is a small-scale dataset: from zoom 9
 * up its coastlines are visibly wrong (the reference's Sydney z12 test: no harbour, the coast 1.4 km off), so the
 * image carries a banner and the result a note saying so.
 */
import type { MapPool } from '../pool.js'
import { drawLocally, type Drawn, type MapProvider } from './provider.js'
import type { MapRequest } from '../types.js'

const OFFLINE_ATTRIBUTION = 'Natural Earth · GeoNames (CC BY) · offline'
/** From this zoom the 1:10m coastline is schematic. */
const SCHEMATIC_FROM_ZOOM = 9
const SCHEMATIC_BANNER = 'Schematic coastline (Natural Earth 1:10m): not accurate at this zoom'
const SCHEMATIC_NOTE = 'schematic coastline: the offline base map (Natural Earth 1:10m) is not accurate at zoom 9 and above; markers and paths are placed exactly, the land and water around them are approximate'

export function createOfflineProvider (pool: MapPool): MapProvider {
  return {
    name: 'offline',
    cacheSalt: 'natural-earth-2.0.2',
    async draw (req: MapRequest, signal?: AbortSignal): Promise<Drawn> {
      const drawn = await drawLocally(pool, req, {
        attribution: OFFLINE_ATTRIBUTION,
        banner: { text: SCHEMATIC_BANNER, fromZoom: SCHEMATIC_FROM_ZOOM },
      }, async () => ({ kind: 'offline' }), signal)
      if ((drawn.zoom ?? 0) >= SCHEMATIC_FROM_ZOOM) drawn.notes.push(SCHEMATIC_NOTE)
      return drawn
    },
  }
}
