/**
 * @module simulator/validate
 * Google parses client messages as proto3 JSON: field names in either spelling, an unknown name anywhere closes the
 * socket with 1007 `Invalid JSON payload received. Unknown name "x" at 'setup': Cannot find field.`, and a message
 * sets exactly one of `setup | clientContent | realtimeInput | toolResponse` (reference §1.2, §4 item 10).
 *
 * The shapes below list the fields of the Gemini API's BidiGenerateContent messages (js-genai `src/types.ts`, and the
 * setup fields `@google/genai` 3.3's `liveConnectConfigToMldev` writes).
 * `ANY` marks user data (Struct / JSON Schema) and messages whose newer fields vary by model; those are not walked.
 */
import { toCamel } from '../live/protocol.js'
import type { CloseSpec } from './reasons.js'
import { INVALID_ARGUMENT, invalidPayload, oneofTwice, unknownField } from './reasons.js'

const ANY = true
interface Shape { readonly [field: string]: Shape | typeof ANY }

const BLOB: Shape = { mimeType: ANY, data: ANY, displayName: ANY }
const PART: Shape = {
  text: ANY, inlineData: BLOB, fileData: ANY, functionCall: ANY, functionResponse: ANY, executableCode: ANY,
  codeExecutionResult: ANY, thought: ANY, thoughtSignature: ANY, videoMetadata: ANY, partMetadata: ANY,
  mediaResolution: ANY, mediaProcessing: ANY, speechMetadata: ANY, toolCall: ANY, toolResponse: ANY,
  audioTranscription: ANY,
}
const CONTENT: Shape = { role: ANY, parts: PART }
const FUNCTION_DECLARATION: Shape = {
  name: ANY, description: ANY, parameters: ANY, parametersJsonSchema: ANY, response: ANY, responseJsonSchema: ANY,
  behavior: ANY,
}
const TOOL: Shape = {
  functionDeclarations: FUNCTION_DECLARATION, googleSearch: ANY, googleSearchRetrieval: ANY, codeExecution: ANY,
  urlContext: ANY, googleMaps: ANY, computerUse: ANY, fileSearch: ANY, retrieval: ANY, enterpriseWebSearch: ANY,
  mcpServers: ANY, exaAiSearch: ANY, parallelAiSearch: ANY,
}
const GENERATION_CONFIG: Shape = {
  candidateCount: ANY, maxOutputTokens: ANY, temperature: ANY, topP: ANY, topK: ANY, presencePenalty: ANY,
  frequencyPenalty: ANY, responseModalities: ANY, speechConfig: ANY, mediaResolution: ANY, seed: ANY,
  thinkingConfig: ANY, enableAffectiveDialog: ANY, translationConfig: ANY, stopSequences: ANY,
  responseMimeType: ANY, responseSchema: ANY, responseJsonSchema: ANY, responseLogprobs: ANY, logprobs: ANY,
  enableEnhancedCivicAnswers: ANY, imageConfig: ANY,
}
const SETUP: Shape = {
  model: ANY,
  generationConfig: GENERATION_CONFIG,
  systemInstruction: CONTENT,
  tools: TOOL,
  realtimeInputConfig: {
    automaticActivityDetection: {
      disabled: ANY, startOfSpeechSensitivity: ANY, endOfSpeechSensitivity: ANY, prefixPaddingMs: ANY,
      silenceDurationMs: ANY,
    },
    activityHandling: ANY,
    turnCoverage: ANY,
  },
  sessionResumption: { handle: ANY, transparent: ANY },
  contextWindowCompression: { triggerTokens: ANY, slidingWindow: { targetTokens: ANY } },
  inputAudioTranscription: ANY,
  outputAudioTranscription: ANY,
  proactivity: { proactiveAudio: ANY },
  historyConfig: { initialHistoryInClientContent: ANY },
  avatarConfig: ANY,
  safetySettings: ANY,
  labels: ANY,
}
const CLIENT_MESSAGES: Shape = {
  setup: SETUP,
  clientContent: { turns: CONTENT, turnComplete: ANY },
  realtimeInput: {
    mediaChunks: BLOB, audio: BLOB, video: BLOB, text: ANY, activityStart: ANY, activityEnd: ANY, audioStreamEnd: ANY,
  },
  toolResponse: {
    functionResponses: { id: ANY, name: ANY, response: ANY, willContinue: ANY, scheduling: ANY, parts: ANY },
  },
}

/** `generationConfig` → `generation_config` (Google's error paths use proto names). */
function protoName (camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}

function walk (value: unknown, shape: Shape, path: string): CloseSpec | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = walk(value[i], shape, `${path}[${i}]`)
      if (problem !== undefined) return problem
    }
    return undefined
  }
  if (value === null || value === undefined) return undefined
  if (typeof value !== 'object') return invalidPayload(`Invalid value at '${path}', ${JSON.stringify(value)}`)
  for (const [name, child] of Object.entries(value as Record<string, unknown>)) {
    const camel = toCamel(name)
    const sub = shape[camel]
    if (sub === undefined) return unknownField(name, path)
    if (sub !== ANY) {
      const problem = walk(child, sub, `${path}.${protoName(camel)}`)
      if (problem !== undefined) return problem
    }
  }
  return undefined
}

type Validation = { ok: true, kind: string } | { ok: false, close: CloseSpec }

/** Check one parsed client message; `kind` is its camelCase top-level key. */
export function validateClientMessage (message: Record<string, unknown>): Validation {
  let kind: string | undefined
  let kindName = ''
  for (const name of Object.keys(message)) {
    const camel = toCamel(name)
    const shape = CLIENT_MESSAGES[camel]
    if (shape === undefined) return { ok: false, close: unknownField(name, '') }
    if (kind !== undefined) return { ok: false, close: oneofTwice(protoName(kindName), protoName(camel)) }
    kind = camel
    kindName = camel
    if (shape !== ANY) {
      const problem = walk(message[name], shape, protoName(camel))
      if (problem !== undefined) return { ok: false, close: problem }
    }
  }
  if (kind === undefined) return { ok: false, close: INVALID_ARGUMENT }
  return { ok: true, kind }
}
