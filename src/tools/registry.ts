/**
 * @module tools/registry
 * A server tool is data: a Gemini `FunctionDeclaration` and `run(args, ctx)`. The registry holds the tools this
 * process may run (`LIVEGATE_SERVER_TOOLS`), and answers which of them a given session uses (`?server_tools=`).
 */
import type { FastifyBaseLogger } from 'fastify'
import type { ArtifactStore } from '../artifacts/store.js'
import { LivegateError } from '../errors.js'

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }
export type JsonObject = { [key: string]: JsonValue }

export type FunctionBehavior = 'BLOCKING' | 'NON_BLOCKING'

/** The Gemini FunctionDeclaration shape (camelCase, as the SDKs send it). */
export interface FunctionDeclaration {
  readonly name: string
  readonly description: string
  readonly parameters?: JsonObject
  readonly behavior?: FunctionBehavior
}

export interface ToolContext {
  /** Aborted when the model cancels the call, the session ends, or the tool's time is up. */
  readonly signal: AbortSignal
  readonly log: FastifyBaseLogger
  readonly artifacts: ArtifactStore
  /** Absolute base for artifact URLs, e.g. `https://livegate.example` (no trailing slash, never a key). */
  readonly publicBaseUrl: string
}

/** An image (or other file) a tool run produced, as clients fetch it. */
export interface ToolArtifact {
  readonly url: string
  readonly mimeType: string
  readonly width: number
  readonly height: number
}

export interface ToolResult {
  /** The function response the model reads. */
  readonly response: JsonObject
  readonly artifacts: readonly ToolArtifact[]
}

export interface ServerTool {
  readonly declaration: FunctionDeclaration
  run (args: JsonObject, ctx: ToolContext): Promise<ToolResult>
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
