/**
 * @module tools/tool-modules
 * Operators' own server tools: `LIVEGATE_TOOL_MODULES` names ES modules whose default export is a tool or an array
 * of tools (`{ declaration, run(args, ctx) }`, see ServerTool). Each is checked once, at start, against a TypeBox
 * schema of the Gemini FunctionDeclaration; a module that does not load or does not match stops the start with
 * LG_ERR_CONFIG_TOOL_MODULE naming the file and the problem.
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { Type } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { LivegateError, isLivegateError } from '../errors.js'
import type { FunctionBehavior, JsonObject, ServerTool } from './registry.js'

/** Gemini's rule for function names: a letter or `_` first, then letters, digits, `_ . : -`, 64 characters at most. */
const FUNCTION_NAME = '^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$'
const SCHEMA_OBJECT = Type.Record(Type.String(), Type.Unknown())

const FunctionDeclarationSchema = Type.Object({
  name: Type.String({ pattern: FUNCTION_NAME }),
  description: Type.String({ minLength: 1, maxLength: 8192 }),
  parameters: Type.Optional(SCHEMA_OBJECT),
  parametersJsonSchema: Type.Optional(SCHEMA_OBJECT),
  response: Type.Optional(SCHEMA_OBJECT),
  responseJsonSchema: Type.Optional(SCHEMA_OBJECT),
  behavior: Type.Optional(Type.Union([Type.Literal('BLOCKING'), Type.Literal('NON_BLOCKING')])),
}, { additionalProperties: false })

const ToolSchema = Type.Object({
  declaration: FunctionDeclarationSchema,
  run: Type.Function([], Type.Unknown()),
})
const checkTool = TypeCompiler.Compile(ToolSchema)

/** Longest operator error message passed to the model. */
const MAX_MESSAGE_CHARS = 500

function problemsOf (value: unknown, where: string): string[] {
  if (typeof value !== 'object' || value === null) return [`${where} is ${value === null ? 'null' : typeof value}, not a tool object`]
  // One problem per path (a missing property is also "not a function"), at most five.
  const byPath = new Map<string, string>()
  for (const e of checkTool.Errors(value)) if (!byPath.has(e.path)) byPath.set(e.path, e.message)
  const problems = [...byPath].slice(0, 5).map(([at, message]) => `${where}${at === '' ? '' : ` ${at}`}: ${message}`)
  const declaration = (value as { declaration?: Record<string, unknown> }).declaration
  if (declaration?.parameters !== undefined && declaration.parametersJsonSchema !== undefined) {
    problems.push(`${where} /declaration: set parameters or parametersJsonSchema, not both`)
  }
  return problems
}

function moduleError (file: string, problem: string): LivegateError {
  return new LivegateError('LG_ERR_CONFIG_TOOL_MODULE', `LIVEGATE_TOOL_MODULES: ${file}: ${problem}`)
}

/**
 * An operator's tool as the interceptor runs it: the declaration gets LIVEGATE_TOOL_BEHAVIOR unless it names its own;
 * a thrown error becomes LG_ERR_TOOL_ERROR with the tool's message (the operator's words, meant for the model); a
 * result that is not a JSON object is an error too, so the response upstream is always a valid Struct.
 */
function operatorTool (tool: ServerTool, behavior: FunctionBehavior | undefined): ServerTool {
  const declaration = behavior === undefined || tool.declaration.behavior !== undefined ? tool.declaration : { ...tool.declaration, behavior }
  const { name } = declaration
  return {
    declaration,
    async run (args, ctx) {
      let result: unknown
      try {
        result = await tool.run(args, ctx)
      } catch (err) {
        if (isLivegateError(err)) throw err
        ctx.log.warn({ err }, 'operator tool threw')
        const message = err instanceof Error ? err.message : String(err)
        throw new LivegateError('LG_ERR_TOOL_ERROR', `${name}: ${message.slice(0, MAX_MESSAGE_CHARS)}`)
      }
      if (typeof result !== 'object' || result === null || Array.isArray(result)) {
        throw new LivegateError('LG_ERR_TOOL_FAILED', `${name} returned ${Array.isArray(result) ? 'an array' : result === null ? 'null' : typeof result}, not an object`)
      }
      try {
        return JSON.parse(JSON.stringify(result)) as JsonObject
      } catch {
        throw new LivegateError('LG_ERR_TOOL_FAILED', `${name} returned an object that is not JSON (a cycle or a BigInt)`)
      }
    },
  }
}

/**
 * Import every module, check its tools, and refuse names used twice (across modules, or by `builtInNames`).
 * @example await loadToolModules(['/srv/tools/lookup.mjs'], ['render_altair', 'draw_map'], undefined)
 */
export async function loadToolModules (files: readonly string[], builtInNames: readonly string[], behavior?: FunctionBehavior): Promise<ServerTool[]> {
  const owner = new Map<string, string>(builtInNames.map((n) => [n, 'a built-in tool']))
  const tools: ServerTool[] = []
  for (const file of files) {
    let loaded: { default?: unknown }
    try {
      loaded = await import(pathToFileURL(path.resolve(file)).href) as { default?: unknown }
    } catch (err) {
      throw moduleError(file, `does not load: ${err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err)}`)
    }
    if (loaded.default === undefined) throw moduleError(file, 'has no default export (export default a tool or an array of tools)')
    const exported = Array.isArray(loaded.default) ? loaded.default as unknown[] : [loaded.default]
    if (exported.length === 0) throw moduleError(file, 'exports an empty array of tools')
    for (const [i, value] of exported.entries()) {
      const where = Array.isArray(loaded.default) ? `default export [${i}]` : 'default export'
      const problems = problemsOf(value, where)
      if (problems.length > 0) throw moduleError(file, `does not match { declaration, run(args, ctx) }: ${problems.join('; ')}`)
      const tool = value as ServerTool
      const other = owner.get(tool.declaration.name)
      if (other !== undefined) throw moduleError(file, `declares ${tool.declaration.name}, already declared by ${other}`)
      owner.set(tool.declaration.name, file)
      tools.push(operatorTool(tool, behavior))
    }
  }
  return tools
}
