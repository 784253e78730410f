/**
 * @module tools/draw-map
 * The seed notebook's `draw_map(center, zoom, path, markers[])`, run on the server with Google Static Maps semantics:
 * the map is drawn by the configured provider (Google with the server's MAPS_API_KEY, a tile server, or offline),
 * stored, and the model is told what was drawn (resolved coordinates, final centre and zoom, provider) and where.
 */
import type { MapService } from '../maps/service.js'
import { DRAW_MAP_DECLARATION as SEED_DRAW_MAP } from './seed-declarations.js'
import type { FunctionBehavior, FunctionDeclaration, JsonObject, ServerTool } from './registry.js'

/** The seed notebook's declaration, verbatim. */
export const DRAW_MAP_DECLARATION: FunctionDeclaration = SEED_DRAW_MAP

export function drawMapTool (maps: MapService, behavior?: FunctionBehavior): ServerTool {
  const declaration = behavior === undefined ? DRAW_MAP_DECLARATION : { ...DRAW_MAP_DECLARATION, behavior }
  return {
    declaration,
    async run (args, ctx) {
      const map = await maps.create({ args }, { signal: ctx.signal })
      const url = `${ctx.publicBaseUrl}${map.path}`
      const response: JsonObject = {
        result: 'ok',
        image: { png: url, width: map.width, height: map.height },
        provider: map.provider,
        center: map.center === null ? null : { lat: map.center.lat, lng: map.center.lng },
        zoom: map.zoom,
        resolved: map.resolved.map((r) => ({ query: r.query, lat: r.lat, lng: r.lng })),
      }
      if (map.notes.length > 0) response.notes = map.notes
      ctx.addArtifact({ url, mimeType: 'image/png', width: map.width, height: map.height })
      return response
    },
  }
}
