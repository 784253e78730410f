/**
 * @module tools/registry
 * A server tool is data: a Gemini `FunctionDeclaration` and `run(args, ctx)`. The registry holds the tools this
 * process may run (`LIVEGATE_SERVER_TOOLS`), and answers which of them a given session uses (`?server_tools=`).
 */
import type { FastifyBaseLogger } from 'fastify'
import { LivegateError } from '../errors.js'

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }
export type JsonObject = { [key: string]: JsonValue }

export type FunctionBehavior = 'BLOCKING' | 'NON_BLOCKING'

/** The Gemini FunctionDeclaration shape (camelCase, as the SDKs send it); tools/tool-modules.ts holds its schema. */
export interface FunctionDeclaration {
  readonly name: string
  readonly description: string
  /** An OpenAPI-subset Schema (`type: 'OBJECT'`, `properties`, …). */
  readonly parameters?: JsonObject
  /** A JSON Schema instead of `parameters` (not both). */
  readonly parametersJsonSchema?: JsonObject
  readonly response?: JsonObject
  readonly responseJsonSchema?: JsonObject
  readonly behavior?: FunctionBehavior
}

export interface ToolContext {
  /** Aborted when the model cancels the call, the session ends, or the tool's time is up (LIVEGATE_TOOL_TIMEOUT_MS). */
  readonly signal: AbortSignal
  /** The session's logger, with `tool` and `callId` bound. */
  readonly log: FastifyBaseLogger
  /** The Live session this call belongs to (as in livegate's log lines). */
  readonly sessionId: string
  /** The model's id for this call. */
  readonly callId: string
  /** Who opened the session: the client's name, `anonymous` when clients are not named. */
  readonly clientName: string
  /** Absolute base for artifact URLs, e.g. `https://livegate.example` (no trailing slash, never a key). */
  readonly publicBaseUrl: string
  /**
   * Store bytes in livegate's artifact store (content-addressed, the same store and public URLs as charts) and list
   * them in this run's `livegate_events` frame. Content types: see ARTIFACT_TYPES in tools/tool-context.ts.
   */
  storeArtifact (bytes: Uint8Array, contentType: string, size?: { width: number, height: number }): Promise<StoredArtifact>
  /** List an artifact stored some other way (a chart, a map) in this run's `livegate_events` frame. */
  addArtifact (artifact: ToolArtifact): void
}

export interface StoredArtifact {
  /** The content hash the artifact is stored under. */
  readonly id: string
  /** Where clients fetch it: `<public base>/v1/artifacts/<id>.<ext>`. */
  readonly url: string
}

/** An image (or other file) a tool run produced, as clients fetch it. */
export interface ToolArtifact {
  readonly url: string
  readonly mimeType: string
  readonly width?: number
  readonly height?: number
}

/**
 * A tool that runs on the server. `run` resolves with the object the model reads as `functionResponse.response`;
 * a thrown error becomes an `{ error: { code, message, hint } }` response the model can act on.
 */
export interface ServerTool {
  readonly declaration: FunctionDeclaration
  run (args: JsonObject, ctx: ToolContext): Promise<JsonObject> | JsonObject
}

export interface ToolRegistry {
  /** Every tool enabled in this process, by name. */
  readonly tools: ReadonlyMap<string, ServerTool>
  /**
   * The tools one session uses, from its `?server_tools=` value: undefined → all, `none` → none, else a comma list
   * (unknown names are an error naming the valid ones).
   */
  forSession (selection: string | null): ReadonlyMap<string, ServerTool>
}

export function createToolRegistry (available: readonly ServerTool[], enabled: readonly string[] | undefined): ToolRegistry {
  const byName = new Map(available.map((tool) => [tool.declaration.name, tool]))
  const unknown = (enabled ?? []).filter((name) => !byName.has(name))
  if (unknown.length > 0) {
    throw new LivegateError('LG_ERR_CONFIG_INVALID',
      `LIVEGATE_SERVER_TOOLS names unknown tools: ${unknown.join(', ')} (available: ${[...byName.keys()].join(', ')}, or none)`)
  }
  const tools: ReadonlyMap<string, ServerTool> = enabled === undefined
    ? byName
    : new Map([...byName].filter(([name]) => enabled.includes(name)))
  const none: ReadonlyMap<string, ServerTool> = new Map()
  return {
    tools,
    forSession (selection) {
      if (selection === null || selection === '' || selection === 'all') return tools
      if (selection === 'none') return none
      const names = selection.split(',').map((s) => s.trim()).filter((s) => s !== '')
      const bad = names.filter((name) => !tools.has(name))
      if (bad.length > 0) {
        throw new LivegateError('LG_ERR_TOOL_UNKNOWN',
          `server_tools names ${bad.join(', ')}; enabled here: ${[...tools.keys()].join(', ') || 'none'}`)
      }
      return new Map([...tools].filter(([name]) => names.includes(name)))
    },
  }
}

/** A tool's failure as the function response the model reads: what went wrong and how to fix the call. */
export function errorResponse (code: string, message: string, hint?: string): JsonObject {
  const error: JsonObject = { code, message }
  if (hint !== undefined) error.hint = hint
  return { error }
}
