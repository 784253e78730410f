/**
 * @module live/frame-schemas
 * The shapes of the few frames livegate reads, as TypeBox schemas compiled once at load. They check what livegate
 * reads and what Gemini would refuse in its shape (a declaration that is not an object, a name that is not a string),
 * and nothing more: every object allows unknown properties, so fields Gemini adds later pass through untouched.
 * Field names come in both proto3 JSON spellings (`functionDeclarations` and `function_declarations`), and a repeated
 * field may hold one value instead of a list, as Google's parser allows (simulator/json.ts `list`).
 */
import { Type, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors'

/** Marks the unions `repeated()` builds, so an error names the item, not "expected union value". */
const REPEATED = 'x-livegate-repeated'

function snake (camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}

/** An object whose listed fields are optional, each under its camelCase and its snake_case name. */
function message (fields: Record<string, TSchema>): TSchema {
  const properties: Record<string, TSchema> = {}
  for (const [name, schema] of Object.entries(fields)) {
    properties[name] = Type.Optional(schema)
    const other = snake(name)
    if (other !== name) properties[other] = Type.Optional(schema)
  }
  return Type.Object(properties)
}

/** A proto repeated field: a list, or one value standing for a list of one. */
function repeated (item: TSchema): TSchema {
  return Type.Union([Type.Array(item), item], { [REPEATED]: true })
}

const FUNCTION_DECLARATION = message({ name: Type.String() })
const TOOL = message({ functionDeclarations: repeated(FUNCTION_DECLARATION) })

/** The body of the client's `setup`: livegate reads `model` and merges its tools into `tools`. */
export const SETUP = message({ model: Type.String(), tools: repeated(TOOL) })

/** The body of a client `toolResponse`: livegate drops the answers to server-run call ids. */
export const TOOL_RESPONSE = message({
  functionResponses: repeated(message({ id: Type.String(), name: Type.String() })),
})

/** One of the model's function calls that livegate runs itself: the tool's name, and the id to answer (Vertex AI may leave it out). */
export const SERVER_FUNCTION_CALL = Type.Object({ id: Type.Optional(Type.String({ minLength: 1 })), name: Type.String(), args: Type.Optional(Type.Unknown()) })

/** `toolCallCancellation`: the ids of calls to stop. */
export const TOOL_CALL_CANCELLATION = message({ ids: Type.Array(Type.Unknown()) })

/** `goAway`: how long the connection has left (a proto Duration string). */
export const GO_AWAY = message({ timeLeft: Type.String() })

/** `sessionResumptionUpdate`; `lastConsumedClientMessageIndex` is an int64, so a string in proto3 JSON (numbers parse too). */
export const SESSION_RESUMPTION_UPDATE = message({
  newHandle: Type.String(),
  resumable: Type.Boolean(),
  lastConsumedClientMessageIndex: Type.Union([Type.String({ pattern: '^[0-9]+$' }), Type.Integer({ minimum: 0 })]),
})

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>()

/** The compiled checker of one of the schemas above (compiled on first use, once). */
function checker (schema: TSchema): TypeCheck<TSchema> {
  let check = compiled.get(schema)
  if (check === undefined) {
    check = TypeCompiler.Compile(schema)
    compiled.set(schema, check)
  }
  return check
}

// Compile at load: the first frame of the first session pays nothing.
for (const schema of [SETUP, TOOL_RESPONSE, SERVER_FUNCTION_CALL, TOOL_CALL_CANCELLATION, GO_AWAY, SESSION_RESUMPTION_UPDATE]) checker(schema)

/** Whether `value` has the shape of `schema` (a compiled check: no allocation when it does). */
export function conforms (schema: TSchema, value: unknown): boolean {
  return checker(schema).Check(value)
}

const EXPECTED: Partial<Record<ValueErrorType, string>> = {
  [ValueErrorType.Object]: 'must be an object',
  [ValueErrorType.Array]: 'must be a list',
  [ValueErrorType.String]: 'must be a string',
  [ValueErrorType.StringMinLength]: 'must not be empty',
  [ValueErrorType.StringPattern]: 'must be a decimal number',
  [ValueErrorType.Boolean]: 'must be true or false',
  [ValueErrorType.Integer]: 'must be an integer',
}

/** `/tools/0/function_declarations/1` → `tools[0].function_declarations[1]`. */
function dotted (root: string, pointer: string): string {
  let out = root
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    out += /^\d+$/.test(part) ? `[${part}]` : `${out === '' ? '' : '.'}${part}`
  }
  return out
}

/** For a repeated field, the error of the variant the value was meant as (a list when it is one, else one item). */
function innermost (error: ValueError): ValueError {
  if (error.type !== ValueErrorType.Union || (error.schema as Record<string, unknown>)[REPEATED] !== true) return error
  const isList = Array.isArray(error.value)
  // Neither a list nor an object: it was not meant as one item, so the field should be a list.
  if (!isList && (error.value === null || typeof error.value !== 'object')) return { ...error, type: ValueErrorType.Array }
  const variant = error.errors[isList ? 0 : 1]
  const inner = variant?.First()
  return inner === undefined ? error : innermost(inner)
}

/**
 * Why `value` does not have the shape of `schema`, naming the field: `setup.tools[0].functionDeclarations[0] must be
 * an object`; undefined when it does. `root` names the value (`setup`).
 */
export function shapeProblem (schema: TSchema, value: unknown, root: string): string | undefined {
  const check = checker(schema)
  if (check.Check(value)) return undefined
  const first = check.Errors(value).First()
  if (first === undefined) return `${root} is not valid`
  const error = innermost(first)
  const where = dotted(root, error.path)
  return `${where === '' ? 'the message' : where} ${EXPECTED[error.type] ?? error.message.toLowerCase()}`
}
