/**
 * @module simulator/calls
 * The function calls a session waits on (reference §1.5, §4 items 19–24). A `toolCall` registers a group of ids;
 * `toolResponse`s fill it in. A BLOCKING group resolves the turn that waits on it once every id is answered; a
 * NON_BLOCKING group completes each time every id has a response (again after `willContinue: true`) and closes once
 * none is left open. Answered and cancelled ids are remembered, so a late response for one is ignored rather than an
 * error; an id the model never issued is the caller's 1007.
 */
import { randomBytes } from 'node:crypto'
import { list, obj } from './json.js'
import type { Action, ToolResponse, UserTurn } from './script.js'

/** `function-call-` and up to 19 digits, like Gemini's ids (`function-call-5831923424298605773`). */
export function newCallId (): string {
  return `function-call-${(randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn).toString()}`
}

export interface CallGroup<Owner> {
  readonly ids: readonly string[]
  readonly names: ReadonlyMap<string, string>
  readonly blocking: boolean
  /** The model turn waiting on a BLOCKING group. */
  readonly owner: Owner | undefined
  readonly responses: Map<string, ToolResponse>
  /** Ids still expecting a response (NON_BLOCKING with `willContinue: true` keeps an id open). */
  readonly open: Set<string>
  /** NON_BLOCKING: the actions to run when the responses arrive. */
  readonly continuation: readonly Action[]
  readonly turn: UserTurn
  resolve?: (responses: ToolResponse[]) => void
  /** Called when a NON_BLOCKING group gets a full set of responses (the turn that made it may still be talking). */
  answered?: () => void
}

export type Answer<Owner> =
  | { ok: true, completed: Array<{ group: CallGroup<Owner>, responses: ToolResponse[] }> }
  | { ok: false, id: string | undefined }

export class CallBook<Owner> {
  readonly #groups = new Map<string, CallGroup<Owner>>()
  readonly #retired = new Set<string>()

  /** Whether any call waits for a response. */
  get pending (): boolean { return this.#groups.size > 0 }

  register (
    calls: ReadonlyArray<{ id: string, name: string }>, blocking: boolean, owner: Owner | undefined,
    continuation: readonly Action[], turn: UserTurn,
  ): CallGroup<Owner> {
    const group: CallGroup<Owner> = {
      ids: calls.map((c) => c.id),
      names: new Map(calls.map((c) => [c.id, c.name])),
      blocking,
      owner,
      responses: new Map(),
      open: new Set(calls.map((c) => c.id)),
      continuation,
      turn,
    }
    for (const id of group.ids) this.#groups.set(id, group)
    return group
  }

  /** Wait for a BLOCKING group's responses, in call order; rejects when the turn is aborted. */
  async wait (group: CallGroup<Owner>, signal: AbortSignal): Promise<ToolResponse[]> {
    signal.throwIfAborted()
    return await new Promise<ToolResponse[]>((resolve, reject) => {
      const onAbort = (): void => { reject(signal.reason) }
      signal.addEventListener('abort', onAbort, { once: true })
      group.resolve = (responses) => {
        signal.removeEventListener('abort', onAbort)
        resolve(responses)
      }
    })
  }

  /** Apply a `toolResponse.functionResponses` list; returns the groups it completed, or the first unknown id. */
  answer (functionResponses: unknown): Answer<Owner> {
    const touched = new Set<CallGroup<Owner>>()
    for (const item of list(functionResponses)) {
      const r = obj(item) ?? {}
      const id = typeof r.id === 'string' && r.id !== '' ? r.id : undefined
      const group = id === undefined ? undefined : this.#groups.get(id)
      if (id === undefined || group === undefined) {
        if (id !== undefined && this.#retired.has(id)) continue
        return { ok: false, id }
      }
      const response: ToolResponse = {
        id,
        name: typeof r.name === 'string' ? r.name : group.names.get(id) ?? '',
        response: obj(r.response) ?? {},
        ...(typeof r.scheduling === 'string' ? { scheduling: r.scheduling } : {}),
        ...(r.willContinue === true ? { willContinue: true } : {}),
      }
      group.responses.set(id, response)
      if (response.willContinue !== true || group.blocking) group.open.delete(id)
      touched.add(group)
    }
    const completed: Array<{ group: CallGroup<Owner>, responses: ToolResponse[] }> = []
    for (const group of touched) {
      if (group.responses.size < group.ids.length) continue
      if (group.blocking || group.open.size === 0) this.#retire(group)
      completed.push({ group, responses: group.ids.map((id) => group.responses.get(id) as ToolResponse) })
    }
    return { ok: true, completed }
  }

  /** Cancel the BLOCKING groups a turn waits on (barge-in); returns their ids for `toolCallCancellation`. */
  cancelOwnedBy (owner: Owner): string[] {
    const cancelled: string[] = []
    for (const group of new Set(this.#groups.values())) {
      if (group.blocking && group.owner === owner) {
        cancelled.push(...group.ids)
        this.#retire(group)
      }
    }
    return cancelled
  }

  clear (): void {
    this.#groups.clear()
  }

  #retire (group: CallGroup<Owner>): void {
    for (const id of group.ids) {
      this.#groups.delete(id)
      this.#retired.add(id)
    }
  }
}
