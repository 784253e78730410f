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
import { ANONYMOUS_NAME } from '../auth/identity.js'
import { createToolContext } from '../tools/tool-context.js'
import { passThrough, type Interceptor } from './interceptor.js'
import { SERVER_FUNCTION_CALL, TOOL_CALL_CANCELLATION, TOOL_RESPONSE, conforms, shapeProblem } from './frame-schemas.js'
import { effectiveBehavior } from './models.js'
import { field, type JsonObject } from './protocol.js'
import { SETUP_COMPLETE_MARKER, TOOL_TRAFFIC_MARKER, mayCarryToolResponse } from './markers.js'
import type { SessionIO } from './session.js'

/** Server call ids remembered for dropping client answers; old ones are forgotten first. */
const MAX_REMEMBERED_IDS = 1024

interface ToolInterceptorOptions {
  readonly tools: ReadonlyMap<string, ServerTool>
  readonly artifacts: ArtifactStore
  readonly publicBaseUrl: string
  /** The session's client, as tools see it (ToolContext.clientName). */
  readonly clientName: string
  /** Send `{"livegate": {"toolRun": …}}` frames to the client (`?livegate_events=1`). */
  readonly events: boolean
  readonly scheduling: ToolScheduling
  readonly timeoutMs: number
  /** Told of every finished run (metrics). */
  readonly onRun?: ToolRunObserver
  /**
   * Server tools that run on the server even when the client declares a function of the same name
   * (`LIVEGATE_SERVER_TOOLS_OVERRIDE`); default none: a function the client declares is the client's.
   */
  readonly override?: ReadonlySet<string>
  /** Vertex AI may send calls without an id (googleapis/js-genai#1210); answer those by name. Gemini's always carry one. */
  readonly idlessCalls?: boolean
}

/** What happened to a server tool whose name the client declared too (`{"livegate": {"toolConflict": …}}`). */
interface ToolConflict {
  readonly name: string
  /** Who runs the calls in this session: `client` (the server tool is left out) or `server` (operator override). */
  readonly owner: 'client' | 'server'
  readonly detail: string
  /** How to get the other outcome. */
  readonly override: string
}

/** A finished server tool run: its tool name (from the registry, a bounded set), status and duration. */
type ToolRunObserver = (tool: string, status: RunStatus, seconds: number) => void


/** A server call that passed SERVER_FUNCTION_CALL: an id to answer under, a tool name, and `args` as the model sent it. */
/** `key` names the run: the call's id, or for an id-less (Vertex) call a per-session counter. */
interface FunctionCall { id: string | undefined, key: string, name: string, args: unknown }

function isObject (value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** A proto repeated field as a list (frame-schemas `repeated`: a list, one value, or absent). */
function list (value: unknown): unknown[] {
  if (Array.isArray(value)) return value
  return value === undefined ? [] : [value]
}

/** The key a message uses for a field, in whichever spelling it came. */
function keyOf (obj: JsonObject, camel: string, snake: string): string {
  return camel in obj ? camel : snake in obj ? snake : camel
}

function jsonType (value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`
}

interface Run {
  readonly controller: AbortController
  cancelled: boolean
}

type RunStatus = 'ok' | 'error' | 'cancelled'

/** The function declarations of one `setup.tools` entry, in either spelling; undefined when it holds none. */
function declarationsOf (entry: JsonObject): Array<JsonObject | null> | undefined {
  const list = field(entry, 'functionDeclarations')
  return Array.isArray(list) ? list as Array<JsonObject | null> : undefined
}

export class ToolInterceptor implements Interceptor {
  readonly inspectsUpstream = true
  readonly inspectsClient = true
  readonly #options: ToolInterceptorOptions
  readonly #runs = new Map<string, Run>()
  #idlessRuns = 0
  readonly #serverIds = new Set<string>()
  /** The server tools this session runs: the factory's set, less those the client declared itself (after setup). */
  #owned: ReadonlyMap<string, ServerTool>
  /** Conflict events waiting for `setupComplete` to pass, so the client sees setupComplete first. */
  #pendingEvents: JsonObject[] | undefined = undefined
  #session: SessionIO | undefined = undefined
  #closed = false

  constructor (options: ToolInterceptorOptions) {
    this.#options = options
    this.#owned = options.tools
  }

  attach (session: SessionIO): void {
    this.#session = session
  }

  /**
   * Merge the server declarations into `setup.tools`. A function the client declares itself stays the client's:
   * the server tool of that name is left out of the session (logged, and a `toolConflict` event for clients that
   * asked for events), unless the operator listed it in `LIVEGATE_SERVER_TOOLS_OVERRIDE`, which replaces the
   * client's declaration with the server's.
   */
  onSetup (setup: JsonObject): JsonObject | undefined {
    // The session checked setup against SETUP: tools and declarations are objects (or lists of them), names strings.
    const entries: JsonObject[] = list(field(setup, 'tools')).filter(isObject).map((entry) => ({ ...entry }))
    const declared = new Set<string>()
    for (const entry of entries) {
      for (const decl of declarationsOf(entry) ?? []) if (typeof decl?.name === 'string') declared.add(decl.name)
    }
    const override = this.#options.override
    const owned = new Map<string, ServerTool>()
    const conflicts: ToolConflict[] = []
    for (const [name, tool] of this.#options.tools) {
      if (!declared.has(name)) { owned.set(name, tool); continue }
      if (override?.has(name) === true) {
        owned.set(name, tool)
        conflicts.push({
          name,
          owner: 'server',
          detail: `the client declares ${name}, but LIVEGATE_SERVER_TOOLS_OVERRIDE makes the server run it: the client's declaration is replaced`,
          override: `remove ${name} from LIVEGATE_SERVER_TOOLS_OVERRIDE to let clients keep their own ${name}`,
        })
      } else {
        conflicts.push({
          name,
          owner: 'client',
          detail: `the client declares ${name} itself: its calls go to the client and the server tool is left out of this session`,
          override: `LIVEGATE_SERVER_TOOLS_OVERRIDE=${name} makes the server run it anyway`,
        })
      }
    }
    this.#owned = owned
    this.#reportConflicts(conflicts)
    if (owned.size === 0) return undefined
    const declarations = [...owned.values()].map((tool) => ({ ...tool.declaration }))
    let merged = false
    for (const entry of entries) {
      const key = 'functionDeclarations' in entry ? 'functionDeclarations' : 'function_declarations' in entry ? 'function_declarations' : undefined
      if (key === undefined) continue
      const own = list(entry[key]).filter(isObject)
      const kept = own.filter((decl) => !(typeof decl.name === 'string' && owned.has(decl.name)))
      entry[key] = merged ? kept : [...kept, ...declarations]
      merged = true
    }
    if (!merged) entries.push({ functionDeclarations: declarations })
    return { ...setup, tools: entries }
  }

  #reportConflicts (conflicts: readonly ToolConflict[]): void {
    const session = this.#session
    if (session === undefined || conflicts.length === 0) return
    for (const c of conflicts) {
      if (c.owner === 'client') session.log.warn({ tool: c.name, owner: c.owner }, 'server tool left out: the client declares a function of the same name')
      else session.log.warn({ tool: c.name, owner: c.owner }, 'client declaration replaced by the server tool (LIVEGATE_SERVER_TOOLS_OVERRIDE)')
    }
    if (!this.#options.events) return
    this.#pendingEvents = conflicts.map((c) => ({ livegate: { toolConflict: { ...c } } }))
  }

  wantsUpstreamFrame (data: Buffer): boolean {
    if (this.#pendingEvents !== undefined && data.indexOf(SETUP_COMPLETE_MARKER) !== -1) return true
    return this.#owned.size !== 0 && data.indexOf(TOOL_TRAFFIC_MARKER) !== -1
  }

  onUpstreamMessage (message: JsonObject): boolean {
    const events = this.#pendingEvents
    if (events !== undefined && field(message, 'setupComplete') !== undefined) {
      // Forward setupComplete first (re-encoded: its only content is an optional sessionId), then the events.
      this.#pendingEvents = undefined
      this.#session?.sendClient(message)
      for (const event of events) this.#session?.sendClient(event)
      return false
    }
    const toolCall = field(message, 'toolCall')
    if (toolCall !== undefined) return this.#onToolCall(message, toolCall)
    const cancellation = field(message, 'toolCallCancellation')
    if (cancellation !== undefined) return this.#onCancellation(message, cancellation)
    return true
  }

  wantsClientFrame (data: Buffer): boolean {
    return this.#serverIds.size !== 0 && mayCarryToolResponse(data)
  }

  onClientMessage (message: JsonObject): boolean {
    const key = 'toolResponse' in message ? 'toolResponse' : 'tool_response' in message ? 'tool_response' : undefined
    if (key === undefined) return true
    const body = message[key]
    // Gemini refuses a toolResponse of this shape (1007); refusing it here keeps a server id from slipping through.
    const problem = shapeProblem(TOOL_RESPONSE, body, key)
    if (problem !== undefined) throw new LivegateError('LG_ERR_RELAY_BAD_FRAME', problem)
    const checked = body as JsonObject
    const listKey = keyOf(checked, 'functionResponses', 'function_responses')
    const responses = list(checked[listKey]) as JsonObject[]
    const kept = responses.filter((r) => !(typeof r.id === 'string' && this.#serverIds.has(r.id)))
    if (kept.length === responses.length) return true
    this.#session?.log.info({ dropped: responses.length - kept.length }, 'dropped client toolResponse for server-run calls')
    if (kept.length > 0) this.#session?.sendUpstream({ [key]: { ...checked, [listKey]: kept } })
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

  /**
   * Split the model's calls: those naming a server tool run here, the rest go to the client. A frame livegate cannot
   * read (toolCall not an object, functionCalls not a list) is the client's, untouched. A server call without a usable
   * id cannot be answered and is dropped (logged); an id already running or seen twice is answered once.
   */
  #onToolCall (message: JsonObject, toolCall: unknown): boolean {
    if (!isObject(toolCall)) return true
    const listKey = keyOf(toolCall, 'functionCalls', 'function_calls')
    const calls = toolCall[listKey] ?? []
    if (!Array.isArray(calls)) return true
    const clientCalls: unknown[] = []
    const serverCalls: FunctionCall[] = []
    for (const call of calls) {
      const name = field(call, 'name')
      if (typeof name !== 'string' || !this.#owned.has(name)) {
        clientCalls.push(call)
        continue
      }
      if (!conforms(SERVER_FUNCTION_CALL, call) || (field(call, 'id') === undefined && this.#options.idlessCalls !== true)) {
        this.#session?.log.warn({ tool: name }, 'server tool call without a usable id; it cannot be answered')
        continue
      }
      // Vertex AI may send calls without an id (googleapis/js-genai#1210): those are answered by name.
      const id = field(call, 'id') as string | undefined
      if (id !== undefined && (this.#runs.has(id) || serverCalls.some((c) => c.id === id))) {
        this.#session?.log.warn({ tool: name, callId: id }, 'server tool call id repeated; answered once')
        continue
      }
      serverCalls.push({ id, key: id ?? `${name}#${++this.#idlessRuns}`, name, args: field(call, 'args') })
    }
    if (clientCalls.length === calls.length) return true
    for (const call of serverCalls) this.#start(call)
    let rest: JsonObject | undefined
    if (clientCalls.length > 0) {
      rest = { ...toolCall, functionCalls: clientCalls }
      if (listKey !== 'functionCalls') delete rest[listKey]
    }
    return this.#forwardRest(message, 'toolCall', rest)
  }

  #onCancellation (message: JsonObject, cancellation: unknown): boolean {
    if (!conforms(TOOL_CALL_CANCELLATION, cancellation)) return true
    const ids = list(field(cancellation, 'ids'))
    const clientIds = ids.filter((id) => typeof id !== 'string' || !this.#serverIds.has(id))
    for (const id of ids) {
      const run = typeof id === 'string' ? this.#runs.get(id) : undefined
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
    const tool = this.#owned.get(call.name)
    if (session === undefined || tool === undefined) return
    if (call.id !== undefined) this.#remember(call.id)
    const run: Run = { controller: new AbortController(), cancelled: false }
    this.#runs.set(call.key, run)
    const timer = setTimeout(() => {
      run.controller.abort(new LivegateError('LG_ERR_TOOL_TIMEOUT', `${call.name} did not finish within ${this.#options.timeoutMs} ms`))
    }, this.#options.timeoutMs)
    const started = performance.now()
    const args = call.args ?? {}
    if (!isObject(args)) {
      // What tools answer for bad arguments: an error the model can read and correct.
      clearTimeout(timer)
      this.#runs.delete(call.key)
      const response = errorResponse('LG_ERR_TOOL_INVALID_ARGS', `args must be an object, got ${jsonType(args)}`, ERRORS.LG_ERR_TOOL_INVALID_ARGS.fix)
      this.#respond(call, response as JsonObject)
      this.#finish(call, started, 'error', [], response.error as JsonObject)
      return
    }
    const { ctx, artifacts } = createToolContext({
      signal: run.controller.signal,
      log: session.log.child({ tool: call.name, callId: call.key }),
      sessionId: session.id,
      callId: call.key,
      clientName: this.#options.clientName,
      publicBaseUrl: this.#options.publicBaseUrl,
      artifacts: this.#options.artifacts,
    })
    // Promise.resolve().then: a tool whose run throws synchronously (or returns a plain object) is handled alike.
    Promise.resolve().then(() => tool.run(args as ToolJson, ctx)).then((response) => {
      if (run.cancelled) return this.#finish(call, started, 'cancelled', [], undefined)
      this.#respond(call, response as JsonObject)
      this.#finish(call, started, 'ok', artifacts, undefined)
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
      this.#runs.delete(call.key)
    }).catch((err: unknown) => session.faulted(`${call.name} result`, err))
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

/** A session's client name as tools see it: the identity the route authenticated (auth/identity.ts). */
function clientNameOf (request: FastifyRequest): string {
  return request.identity?.name ?? ANONYMOUS_NAME
}

interface ToolInterceptorFactoryOptions {
  readonly registry: ToolRegistry
  readonly artifacts: ArtifactStore
  /** The base of artifact URLs for a session's request (LivegateContext.publicBaseUrl). */
  readonly publicBaseUrl: (request: FastifyRequest) => string
  readonly scheduling: ToolScheduling
  readonly timeoutMs: number
  /** LIVEGATE_SERVER_TOOLS_OVERRIDE: enabled tools the server runs even when a client declares the same name. */
  readonly override?: readonly string[]
  readonly onRun?: ToolRunObserver
  /** The upstream is Vertex AI, whose calls may lack an id. */
  readonly idlessCalls?: boolean
}

/**
 * The per-session interceptor from the connection's options (query, or the `/o/…` path prefix):
 * `server_tools=none|a,b` picks the tools (unknown names throw LG_ERR_TOOL_UNKNOWN), `livegate_events=1` turns
 * events on. A session without server tools relays untouched. Throws LG_ERR_CONFIG_INVALID at construction when
 * the override names a tool that is not enabled.
 */
export function createToolInterceptorFactory (options: ToolInterceptorFactoryOptions) {
  const override = new Set(options.override ?? [])
  const unknown = [...override].filter((name) => !options.registry.tools.has(name))
  if (unknown.length > 0) {
    throw new LivegateError('LG_ERR_CONFIG_INVALID',
      `LIVEGATE_SERVER_TOOLS_OVERRIDE names ${unknown.join(', ')}, which is not an enabled server tool (enabled: ${[...options.registry.tools.keys()].join(', ') || 'none'})`)
  }
  return function createToolInterceptor (request: FastifyRequest, connectionOptions: URLSearchParams): Interceptor {
    const tools = options.registry.forSession(connectionOptions.get('server_tools'))
    if (tools.size === 0) return passThrough
    const events = connectionOptions.get('livegate_events')
    return new ToolInterceptor({
      tools,
      artifacts: options.artifacts,
      publicBaseUrl: options.publicBaseUrl(request),
      clientName: clientNameOf(request),
      events: events === '1' || events === 'true',
      scheduling: options.scheduling,
      timeoutMs: options.timeoutMs,
      override,
      idlessCalls: options.idlessCalls === true,
      ...(options.onRun === undefined ? {} : { onRun: options.onRun }),
    })
  }
}
