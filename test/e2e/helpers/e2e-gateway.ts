/**
 * The shared test gateway (test/helpers/gateway.ts) with limits loosened for browser tests: a cold render worker on
 * a busy CI machine can take longer than the production render and tool timeouts, and these tests are about the
 * page, not about those limits (the charts and tools tests cover them).
 */
import { startGateway, type Gateway, type GatewayOptions } from '../../helpers/gateway.js'

const RELAXED_LIMITS = {
  LIVEGATE_RENDER_TIMEOUT_MS: '120000',
  LIVEGATE_TOOL_TIMEOUT_MS: '120000',
}

interface Teardown { teardown (fn: () => Promise<void> | void): void }

export async function startE2eGateway (t: Teardown, options: GatewayOptions = {}): Promise<Gateway> {
  return await startGateway(t, { ...options, env: { ...RELAXED_LIMITS, ...options.env } })
}
