/**
 * @module live/tool-interceptor
 * Server-side tools inside a session: declarations merged into `setup.tools`; `toolCall` split into server-owned
 * calls (run here, answered upstream with the same id) and client-owned ones (forwarded, ids unchanged);
 * `toolCallCancellation` aborts server runs; a client's `toolResponse` for a server-owned id is dropped, so a client
 * that answers every call with "ok" never causes a second response.
 */
import { performance } from 'node:perf_hooks'
import type { FastifyRequest } from 'fastify'
import type { ArtifactStore } from '../artifacts/store.js'
import type { ToolScheduling } from '../config.js'
import { ERRORS, LivegateError, isLivegateError } from '../errors.js'
import { errorResponse, type JsonObject as ToolJson, type ServerTool, type ToolArtifact, type ToolRegistry } from '../tools/registry.js'
import { passThrough, type Interceptor } from './interceptor.js'
import { effectiveBehavior } from './models.js'
import { field, type JsonObject } from './protocol.js'
import type { SessionIO } from './session.js'

/** Matches `"toolCall"` and `"toolCallCancellation"`; a false positive only costs a parse. */
const TOOL_CALL_MARKER = Buffer.from('"toolCall')
const TOOL_RESPONSE_MARKERS = [Buffer.from('oolResponse'), Buffer.from('ool_response')]
/** Server call ids remembered for dropping client answers; old ones are forgotten first. */
const MAX_REMEMBERED_IDS = 1024

export interface ToolInterceptorOptions {
  readonly tools: ReadonlyMap<string, ServerTool>
  readonly artifacts: ArtifactStore
  readonly publicBaseUrl: string
  /** Send `{"livegate": {"toolRun": …}}` frames to the client (`?livegate_events=1`). */
  readonly events: boolean
  readonly scheduling: ToolScheduling
  readonly timeoutMs: number
  /** Told of every finished run (metrics). */
  readonly onRun?: ToolRunObserver
}

/** A finished server tool run: its tool name (from the registry, a bounded set), status and duration. */
export type ToolRunObserver = (tool: string, status: RunStatus, seconds: number) => void

interface FunctionCall { id: string, name: string, args: JsonObject }

interface Run {
  readonly controller: AbortController
  cancelled: boolean
}

export type RunStatus = 'ok' | 'error' | 'cancelled'

export class ToolInterceptor implements Interceptor {
  readonly inspectsUpstream = true
  readonly inspectsClient = true
  readonly #options: ToolInterceptorOptions
  readonly #runs = new Map<string, Run>()
  readonly #serverIds = new Set<string>()
  #session: SessionIO | undefined = undefined
  #closed = false

  constructor (options: ToolInterceptorOptions) {
    this.#options = options
  }

  attach (session: SessionIO): void {
    this.#session = session
  }

  onSetup (setup: JsonObject): JsonObject | undefined {
    const serverNames = new Set(this.#options.tools.keys())
    const declarations = [...this.#options.tools.values()].map((tool) => ({ ...tool.declaration }))
    const clientTools = field(setup, 'tools')
    const entries: JsonObject[] = Array.isArray(clientTools) ? clientTools.map((entry) => ({ ...(entry as JsonObject) })) : []
    let merged = false
    for (const entry of entries) {
      const key = 'functionDeclarations' in entry ? 'functionDeclarations' : 'function_declarations' in entry ? 'function_declarations' : undefined
      if (key === undefined) continue
      const own = Array.isArray(entry[key]) ? entry[key] as JsonObject[] : []
      const kept = own.filter((decl) => {
        const replaced = typeof decl.name === 'string' && serverNames.has(decl.name)
        if (replaced) this.#session?.log.info({ tool: decl.name }, 'client declaration replaced by the server tool of the same name')
        return !replaced
      })
      entry[key] = merged ? kept : [...kept, ...declarations]
      merged = true
    }
    if (!merged) entries.push({ functionDeclarations: declarations })
    return { ...setup, tools: entries }
  }

  wantsUpstreamFrame (data: Buffer): boolean {
    return data.indexOf(TOOL_CALL_MARKER) !== -1
  }

  onUpstreamMessage (message: JsonObject): boolean {
    const toolCall = field(message, 'toolCall')
    if (toolCall !== undefined) return this.#onToolCall(message, toolCall)
    const cancellation = field(message, 'toolCallCancellation')
    if (cancellation !== undefined) return this.#onCancellation(message, cancellation)
    return true
  }

  wantsClientFrame (data: Buffer): boolean {
    if (this.#serverIds.size === 0) return false
    for (const marker of TOOL_RESPONSE_MARKERS) if (data.indexOf(marker) !== -1) return true
    return false
  }

  onClientMessage (message: JsonObject): boolean {
    const key = 'toolResponse' in message ? 'toolResponse' : 'tool_response' in message ? 'tool_response' : undefined
    if (key === undefined) return true
    const body = message[key] as JsonObject | undefined
    const listKey = body !== undefined && 'function_responses' in body ? 'function_responses' : 'functionResponses'
    const responses = Array.isArray(body?.[listKey]) ? body[listKey] as JsonObject[] : []
    const kept = responses.filter((r) => !(typeof r.id === 'string' && this.#serverIds.has(r.id)))
    if (kept.length === responses.length) return true
    this.#session?.log.info({ dropped: responses.length - kept.length }, 'dropped client toolResponse for server-run calls')
    if (kept.length > 0) this.#session?.sendUpstream({ [key]: { ...body, [listKey]: kept } })
    return false
  }

  close (): void {
    this.#closed = true
    for (const run of this.#runs.values()) {
      run.cancelled = true
      run.controller.abort(new LivegateError('LG_ERR_TOOL_FAILED', 'session ended'))
    }
    this.#runs.clear()
  }

  #onToolCall (message: JsonObject, toolCall: unknown): boolean {
    const calls = (field(toolCall, 'functionCalls') ?? []) as FunctionCall[]
    if (!Array.isArray(calls)) return true
    const clientCalls = calls.filter((call) => !this.#options.tools.has(call.name))
    if (clientCalls.length === calls.length) return true
    for (const call of calls) if (this.#options.tools.has(call.name)) this.#start(call)
    return this.#forwardRest(message, 'toolCall', clientCalls.length === 0 ? undefined : { ...(toolCall as JsonObject), functionCalls: clientCalls })
  }

  #onCancellation (message: JsonObject, cancellation: unknown): boolean {
    const ids = (field(cancellation, 'ids') ?? []) as string[]
    if (!Array.isArray(ids)) return true
    const clientIds = ids.filter((id) => !this.#serverIds.has(id))
    for (const id of ids) {
      const run = this.#runs.get(id)
      if (run === undefined) continue
      run.cancelled = true
      run.controller.abort(new LivegateError('LG_ERR_TOOL_FAILED', 'cancelled by the model'))
    }
    if (clientIds.length === ids.length) return true
    return this.#forwardRest(message, 'toolCallCancellation', clientIds.length === 0 ? undefined : { ids: clientIds })
  }

  /** Forward what is left of a frame for the client; false tells the session to drop the original. */
  #forwardRest (message: JsonObject, key: string, rest: JsonObject | undefined): boolean {
    const others = Object.keys(message).filter((k) => k !== key && k !== 'tool_call' && k !== 'tool_call_cancellation')
    if (rest === undefined && others.length === 0) return false
    const out: JsonObject = {}
    for (const k of others) out[k] = message[k]
    if (rest !== undefined) out[key] = rest
    this.#session?.sendClient(out)
    return false
  }

  #start (call: FunctionCall): void {
    const session = this.#session
    const tool = this.#options.tools.get(call.name)
    if (session === undefined || tool === undefined) return
    this.#remember(call.id)
    const run: Run = { controller: new AbortController(), cancelled: false }
    this.#runs.set(call.id, run)
    const timer = setTimeout(() => {
      run.controller.abort(new LivegateError('LG_ERR_TOOL_TIMEOUT', `${call.name} did not finish within ${this.#options.timeoutMs} ms`))
    }, this.#options.timeoutMs)
    const started = performance.now()
    const args = (call.args ?? {}) as ToolJson
    tool.run(args, {
      signal: run.controller.signal,
      log: session.log,
      artifacts: this.#options.artifacts,
      publicBaseUrl: this.#options.publicBaseUrl,
    }).then((result) => {
      if (run.cancelled) return this.#finish(call, started, 'cancelled', [], undefined)
      this.#respond(call, result.response as JsonObject)
      this.#finish(call, started, 'ok', result.artifacts, undefined)
    }, (err: unknown) => {
      if (run.cancelled) return this.#finish(call, started, 'cancelled', [], undefined)
      const reason: unknown = run.controller.signal.aborted ? run.controller.signal.reason : err
      const lgErr = isLivegateError(reason) ? reason : new LivegateError('LG_ERR_TOOL_FAILED', `${call.name} failed unexpectedly`)
      if (!isLivegateError(reason)) session.log.error({ err, tool: call.name }, 'server tool crashed')
      const response = errorResponse(lgErr.code, lgErr.detail, ERRORS[lgErr.code].fix)
      this.#respond(call, response as JsonObject)
      this.#finish(call, started, 'error', [], response.error as JsonObject)
    }).finally(() => {
      clearTimeout(timer)
      this.#runs.delete(call.id)
    })
  }

  /**
   * Answer a server-run call upstream. `scheduling` goes only with a NON_BLOCKING call: declared so, or left unset on
   * a model whose default is NON_BLOCKING (gemini-3.8-live); the model is the one the client's setup named.
   */
  #respond (call: FunctionCall, response: JsonObject): void {
    if (this.#closed) return
    const functionResponse: JsonObject = { id: call.id, name: call.name, response }
    const declared = this.#options.tools.get(call.name)?.declaration.behavior
    if (effectiveBehavior(this.#session?.model, declared) === 'NON_BLOCKING') functionResponse.scheduling = this.#options.scheduling
    this.#session?.sendUpstream({ toolResponse: { functionResponses: [functionResponse] } })
  }

  #finish (call: FunctionCall, started: number, status: RunStatus, artifacts: readonly ToolArtifact[], error: JsonObject | undefined): void {
    const session = this.#session
    if (session === undefined) return
    const elapsedMs = performance.now() - started
    this.#options.onRun?.(call.name, status, elapsedMs / 1000)
    const durationMs = Math.round(elapsedMs * 10) / 10
    session.log.info({ tool: call.name, callId: call.id, status, durationMs, errorCode: error?.code }, 'server tool run')
    if (!this.#options.events || this.#closed) return
    const toolRun: JsonObject = { id: call.id, name: call.name, args: call.args ?? {}, status, durationMs, artifacts: artifacts.map((a) => ({ ...a })) }
    if (error !== undefined) toolRun.error = error
    session.sendClient({ livegate: { toolRun } })
  }

  #remember (id: string): void {
    this.#serverIds.add(id)
    if (this.#serverIds.size > MAX_REMEMBERED_IDS) {
      const oldest = this.#serverIds.values().next().value
      if (oldest !== undefined) this.#serverIds.delete(oldest)
    }
  }
}

export interface ToolInterceptorFactoryOptions {
  readonly registry: ToolRegistry
  readonly artifacts: ArtifactStore
  /** The base of artifact URLs for a session's request (LivegateContext.publicBaseUrl). */
  readonly publicBaseUrl: (request: FastifyRequest) => string
  readonly scheduling: ToolScheduling
  readonly timeoutMs: number
  readonly onRun?: ToolRunObserver
}

/**
 * The per-session interceptor from the client's query: `?server_tools=none|a,b` picks the tools (unknown names throw
 * LG_ERR_TOOL_UNKNOWN), `?livegate_events=1` turns events on. A session without server tools relays untouched.
 */
export function createToolInterceptorFactory (options: ToolInterceptorFactoryOptions) {
  return function createToolInterceptor (request: FastifyRequest, query: URLSearchParams): Interceptor {
    const tools = options.registry.forSession(query.get('server_tools'))
    if (tools.size === 0) return passThrough
    const events = query.get('livegate_events')
    return new ToolInterceptor({
      tools,
      artifacts: options.artifacts,
      publicBaseUrl: options.publicBaseUrl(request),
      events: events === '1' || events === 'true',
      scheduling: options.scheduling,
      timeoutMs: options.timeoutMs,
      ...(options.onRun === undefined ? {} : { onRun: options.onRun }),
    })
  }
}
