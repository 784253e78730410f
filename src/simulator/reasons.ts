/**
 * @module simulator/reasons
 * The close codes and reason texts Gemini Live uses, as reported in the wild (reference §1.7). Where the exact text
 * is unknown, the wording follows Google's style and is marked [I].
 */
import {
  CLOSE_INTERNAL, CLOSE_INVALID_PAYLOAD, CLOSE_POLICY, truncateCloseReason,
} from '../live/protocol.js'
import { servedModels } from '../live/models.js'

export interface CloseSpec { code: number, reason: string }

function close (code: number, reason: string): CloseSpec {
  return { code, reason: truncateCloseReason(reason) }
}

/**
 * The Live models the Gemini API serves today (GA and preview, from `live/models.ts`); ids without `models/`. A
 * shut-down model is refused like an unknown one (reference §1.8a).
 */
export const DEFAULT_MODELS: readonly string[] = servedModels('gemini').map((m) => m.id)

/** No credential, or an ephemeral token on the method that only takes keys (cookbook#821). */
export const UNREGISTERED_CALLER = close(CLOSE_POLICY,
  'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other ' +
  'form of API consumer identity to call this API.')

/** Vertex AI without a valid OAuth token: Google APIs' UNAUTHENTICATED text [I: the close code is not documented]. */
export const UNAUTHENTICATED = close(CLOSE_POLICY,
  'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.')

/** Vertex AI naming a model it does not serve, or another project's [I: wording of Vertex's NOT_FOUND]. */
export function publisherModelNotFound (name: string): CloseSpec {
  return close(CLOSE_POLICY, `Publisher Model \`${name}\` not found.`)
}

export const API_KEY_INVALID = close(CLOSE_POLICY, 'API key not valid. Please pass a valid API key.')

/** After `goAway`, at the connection's age limit (kizuna-ai-lab/sokuji#179). */
export const DEADLINE_EXPIRED = close(CLOSE_INTERNAL, 'Deadline expired before operation could complete.')

export const INTERNAL_ERROR = close(CLOSE_INTERNAL, 'Internal error encountered.')

export const INVALID_ARGUMENT = close(CLOSE_INVALID_PAYLOAD, 'Request contains an invalid argument.')

export function invalidPayload (detail: string): CloseSpec {
  return close(CLOSE_INVALID_PAYLOAD, detail)
}

/** The real text, cut at 123 bytes ("… Call ListMo", google/adk-python#3964). */
export function modelNotFound (model: string, apiVersion: string): CloseSpec {
  return close(CLOSE_POLICY, `${model} is not found for API version ${apiVersion}, or is not supported for ` +
    'bidiGenerateContent. Call ListModels to see the list of available models and their supported methods.')
}

/** Proto JSON parser wording: `Unknown name "foo" at 'setup': Cannot find field.` */
export function unknownField (name: string, path: string): CloseSpec {
  const where = path === '' ? '' : ` at '${path}'`
  return close(CLOSE_INVALID_PAYLOAD, `Invalid JSON payload received. Unknown name "${name}"${where}: Cannot find field.`)
}

/** Two message kinds in one client message: a proto oneof set twice [I]. */
export function oneofTwice (first: string, second: string): CloseSpec {
  return close(CLOSE_INVALID_PAYLOAD,
    `Invalid JSON payload received. Oneof field 'message_type' is already set. Cannot set '${second}' after '${first}'.`)
}

/** `toolResponse` naming a call the model never made [I: the reference infers 1007]. */
export function unknownFunctionCall (id: string | undefined): CloseSpec {
  return close(CLOSE_INVALID_PAYLOAD, id === undefined
    ? 'Invalid function response: the function response must have an id matching a function call.'
    : `Invalid function response: no pending function call with id "${id}".`)
}

/** Legacy `mediaChunks` carrying an image (gemini-live-studio guide). */
export function unsupportedMime (mimeType: string): CloseSpec {
  return close(CLOSE_INVALID_PAYLOAD,
    `Mime type '${mimeType}' is not supported. Either use 'audio/pcm' in media_chunks or use the 'video' field.`)
}

/** `activityStart`/`activityEnd` while automatic activity detection is on [I]. */
export const ACTIVITY_WITH_AUTOMATIC_VAD = close(CLOSE_INVALID_PAYLOAD,
  'Explicit activity control is not supported when automatic activity detection is enabled.')

/** A resumption handle the service does not know (or older than 2 h) [I: code unknown]. */
export const INVALID_HANDLE = close(CLOSE_INVALID_PAYLOAD, 'Invalid session resumption handle.')

/** Resuming while the socket that owns the session is still open (aicc2025/sip-to-ai PR #14) [R]. */
export const SESSION_STILL_OPEN = INTERNAL_ERROR

/**
 * A response modality the model cannot produce (`TEXT` on an audio-only model), or more than one. Google's text is
 * known only from its end, "…combination of response modalities (AUDIO, VIDEO) is not supported" (gemini-live-studio
 * guide); the start is [I].
 */
export function unsupportedModalities (modalities: readonly string[]): CloseSpec {
  return close(CLOSE_INVALID_PAYLOAD,
    `The requested combination of response modalities (${modalities.join(', ')}) is not supported`)
}
