/**
 * @module auth/field-mask
 * `fieldMask` of an auth token request (a proto FieldMask: comma-separated lowerCamelCase paths into the
 * BidiGenerateContentSetup). Both SDKs turn `lockAdditionalFields: ['temperature']` into `generationConfig.temperature`
 * when the token also carries constraints, but send the bare name when it does not; the bare generation-config names
 * are mapped the same way here, so a lock means the same thing either way.
 */
import { LivegateError } from '../errors.js'

/** GenerationConfig fields a bare mask path may name (js-genai / python-genai tokens converters, plus newer fields). */
const GENERATION_CONFIG_FIELDS = new Set([
  'temperature', 'topP', 'topK', 'candidateCount', 'maxOutputTokens', 'presencePenalty', 'frequencyPenalty',
  'responseModalities', 'seed', 'speechConfig', 'mediaResolution', 'thinkingConfig', 'enableAffectiveDialog',
  'translationConfig', 'stopSequences', 'responseLogprobs', 'logprobs',
])
const SEGMENT = /^[A-Za-z][A-Za-z0-9_]{0,63}$/
const MAX_PATHS = 64

function camel (segment: string): string {
  return segment.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())
}

/** Paths as camelCase segments joined by dots; throws LG_ERR_AUTH_TOKEN_REQUEST for a malformed path. */
export function normalizeFieldMask (mask: string | readonly string[]): string[] {
  const raw = typeof mask === 'string' ? mask.split(',') : mask.flatMap((m) => m.split(','))
  const paths = raw.map((p) => p.trim()).filter((p) => p !== '')
  if (paths.length > MAX_PATHS) throw new LivegateError('LG_ERR_AUTH_TOKEN_REQUEST', `fieldMask: at most ${MAX_PATHS} paths`)
  const out = new Set<string>()
  for (const path of paths) {
    const segments = path.split('.')
    if (segments.length > 8 || !segments.every((s) => SEGMENT.test(s))) {
      throw new LivegateError('LG_ERR_AUTH_TOKEN_REQUEST', `fieldMask: ${JSON.stringify(path.slice(0, 80))} is not a field path`)
    }
    const camelPath = segments.map(camel)
    if (camelPath.length === 1 && GENERATION_CONFIG_FIELDS.has(camelPath[0] as string)) camelPath.unshift('generationConfig')
    out.add(camelPath.join('.'))
  }
  return [...out]
}
