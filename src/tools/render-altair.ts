/**
 * @module tools/render-altair
 * The seed notebook's `render_altair(altair_json, theme)`, run on the server: the chart is rendered and stored, and
 * the model reads `ok` (the seed's contract) plus where the image is and how big it is.
 */
import type { ChartService } from '../charts/chart-service.js'
import { LivegateError } from '../errors.js'
import { RENDER_ALTAIR_DECLARATION as SEED_RENDER_ALTAIR } from './seed-declarations.js'
import type { FunctionBehavior, FunctionDeclaration, JsonObject, ServerTool } from './registry.js'

/** The seed notebook's declaration, verbatim. */
export const RENDER_ALTAIR_DECLARATION: FunctionDeclaration = SEED_RENDER_ALTAIR

export function renderAltairTool (charts: ChartService, behavior?: FunctionBehavior): ServerTool {
  const declaration = behavior === undefined ? RENDER_ALTAIR_DECLARATION : { ...RENDER_ALTAIR_DECLARATION, behavior }
  return {
    declaration,
    async run (args, ctx) {
      // Models send the spec as the declared string, but also as an object; both are accepted.
      const spec = args.altair_json ?? args.json_graph
      if (spec === undefined || spec === null || spec === '') {
        throw new LivegateError('LG_ERR_TOOL_INVALID_ARGS', 'altair_json is required: pass the Vega-Lite chart as a JSON string')
      }
      const theme = typeof args.theme === 'string' && args.theme !== '' ? args.theme : undefined
      const chart = await charts.create({ spec, theme, format: 'png' }, { signal: ctx.signal })
      const png = `${ctx.publicBaseUrl}${chart.paths.png}`
      const svg = `${ctx.publicBaseUrl}${chart.paths.svg}`
      const response: JsonObject = { result: 'ok', image: { png, svg, width: chart.width, height: chart.height } }
      if (chart.warnings.length > 0) response.warnings = chart.warnings
      ctx.addArtifact({ url: png, mimeType: 'image/png', width: chart.width, height: chart.height })
      ctx.addArtifact({ url: svg, mimeType: 'image/svg+xml', width: chart.width, height: chart.height })
      return response
    },
  }
}
