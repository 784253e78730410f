/**
 * @module charts/chart-stack
 * Builds the artifact store and the chart service from config, for app.ts to put on `app.livegate`.
 */
import type { Config } from '../config.js'
import { createArtifactStore } from '../artifacts/create-store.js'
import type { ArtifactStore } from '../artifacts/store.js'
import { createChartService, type ChartService } from './chart-service.js'
import type { RenderPool } from './render-pool.js'

interface ChartStack {
  artifacts: ArtifactStore
  charts: ChartService
  /** Stops the render pool, then the store. */
  close (): Promise<void>
}

/** `pool`: where renders run (the gateway's render process); default, worker threads in this process. */
export async function createChartStack (config: Config, pool?: RenderPool): Promise<ChartStack> {
  const artifacts = await createArtifactStore(config.store)
  const charts = createChartService({ charts: config.charts, store: artifacts, outbound: config.outbound, ...(pool === undefined ? {} : { pool }) })
  return {
    artifacts,
    charts,
    async close () {
      await charts.close()
      await artifacts.close()
    },
  }
}
