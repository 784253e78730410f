/**
 * @module charts/chart-stack
 * Builds the artifact store and the chart service from config, for app.ts to put on `app.livegate`.
 */
import type { Config } from '../config.js'
import { createArtifactStore } from '../artifacts/create-store.js'
import type { ArtifactStore } from '../artifacts/store.js'
import { createChartService, type ChartService } from './chart-service.js'

export interface ChartStack {
  artifacts: ArtifactStore
  charts: ChartService
  /** Stops the render pool, then the store. */
  close (): Promise<void>
}

export async function createChartStack (config: Config): Promise<ChartStack> {
  const artifacts = await createArtifactStore(config.store)
  const charts = createChartService({ charts: config.charts, store: artifacts, outbound: config.outbound })
  return {
    artifacts,
    charts,
    async close () {
      await charts.close()
      await artifacts.close()
    },
  }
}
