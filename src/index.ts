/**
 * @module index
 * The package's main export: the livegate Fastify plugin (default), the configuration loader and table, and the
 * types a host app or a tool author needs.
 */
export { default, configOf, type LivegateOptions } from './plugin.js'
export { loadConfig, ENV_VARS, type Config, type EnvVar } from './config.js'
export type { LivegateContext } from './context.js'
export type {
  FunctionBehavior, FunctionDeclaration, JsonObject, JsonValue, ServerTool, StoredArtifact, ToolArtifact, ToolContext,
} from './tools/registry.js'
