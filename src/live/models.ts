/**
 * @module live/models
 * livegate's one list of the Gemini Live models it knows, with their status and what they can do
 * (shared/reference/gemini-live-protocol.md §1.8, §1.8a, §1.5). It serves the web page's defaults (public/models.js is
 * generated from it by `npm run docs`), docs/models.md, the tool interceptor's default function behaviour, and the
 * simulator's model checks. It is never a gate in front of the real upstream: Gemini is the judge of which models
 * exist (only `LIVEGATE_MODELS` restricts them, and only when the operator sets it).
 *
 * @example
 * liveModel('models/gemini-3.8-live')?.defaultBehavior   // 'NON_BLOCKING'
 * supportsModality('gemini-3.8-live', 'TEXT')            // false: it answers in audio (text as outputTranscription)
 */

export type ModelStatus = 'ga' | 'preview' | 'shut-down'
export type ResponseModality = 'AUDIO' | 'TEXT'
export type FunctionBehavior = 'BLOCKING' | 'NON_BLOCKING'
/** Which Live endpoint serves the id: the Gemini API (`generativelanguage`) or Vertex AI (`aiplatform`). */
export type LiveApi = 'gemini' | 'vertex'

export interface LiveModel {
  /** Without `models/`. */
  readonly id: string
  readonly status: ModelStatus
  /** What `generationConfig.responseModalities` may name (one at a time). */
  readonly responseModalities: readonly ResponseModality[]
  /** A function declaration without `behavior` gets this. */
  readonly defaultBehavior: FunctionBehavior
  /** The behaviours the model honours; a declaration asking for another one gets the default [I]. */
  readonly behaviors: readonly FunctionBehavior[]
  readonly apis: readonly LiveApi[]
  /** Release date (ISO), when known. */
  readonly released?: string
  /** Shutdown date (ISO): past for `shut-down`, announced for a model still served. */
  readonly shutdown?: string
  /** Newer servers mark every `turnComplete` with `interactionStatus` and `setupComplete` with a `sessionId` [I: which models]. */
  readonly sessionFields: boolean
  /** Setup fields (camelCase paths) the model no longer takes: Gemini refuses them as unknown names (1007). */
  readonly removedSetupFields?: readonly string[]
  readonly note: string
}

/** The current GA model: the page's default and the one the docs' examples name. */
export const DEFAULT_LIVE_MODEL = 'gemini-3.8-live'

const BOTH: readonly FunctionBehavior[] = ['BLOCKING', 'NON_BLOCKING']
const AUDIO: readonly ResponseModality[] = ['AUDIO']
const AUDIO_TEXT: readonly ResponseModality[] = ['AUDIO', 'TEXT']
/** 3.8 removed affective dialog and rejects `thinkingConfig` (reference §1.3, setup table). */
const REMOVED_IN_3_8: readonly string[] = ['generationConfig.enableAffectiveDialog', 'generationConfig.thinkingConfig']

/** Current models first (GA, then preview), shut-down ones last. */
export const LIVE_MODELS: readonly LiveModel[] = Object.freeze([
  {
    id: 'gemini-3.8-live',
    status: 'ga',
    responseModalities: AUDIO,
    defaultBehavior: 'NON_BLOCKING',
    behaviors: BOTH,
    apis: ['gemini', 'vertex'],
    released: '2026-09-15',
    sessionFields: true,
    removedSetupFields: REMOVED_IN_3_8,
    note: 'Audio replies only (text as outputTranscription); functions are NON_BLOCKING unless declared BLOCKING.',
  },
  {
    id: 'gemini-3.8-live-extended-thinking',
    status: 'ga',
    responseModalities: AUDIO,
    defaultBehavior: 'NON_BLOCKING',
    behaviors: ['NON_BLOCKING'],
    apis: ['gemini'],
    released: '2026-09-15',
    sessionFields: true,
    removedSetupFields: REMOVED_IN_3_8,
    note: 'Audio replies only; calls functions asynchronously only.',
  },
  {
    id: 'gemini-live-2.5-flash-native-audio',
    status: 'ga',
    responseModalities: AUDIO,
    defaultBehavior: 'BLOCKING',
    behaviors: BOTH,
    apis: ['vertex'],
    sessionFields: false,
    note: 'Vertex AI only.',
  },
  {
    id: 'gemini-3.1-flash-live-preview',
    status: 'preview',
    responseModalities: AUDIO_TEXT,
    defaultBehavior: 'BLOCKING',
    behaviors: ['BLOCKING'],
    apis: ['gemini'],
    released: '2026-03',
    sessionFields: false,
    note: 'Legacy preview, may be retired; synchronous function calling only.',
  },
  {
    id: 'gemini-2.5-flash-native-audio-preview-12-2025',
    status: 'preview',
    responseModalities: AUDIO,
    defaultBehavior: 'BLOCKING',
    behaviors: BOTH,
    apis: ['gemini'],
    sessionFields: false,
    note: 'Preview, may be retired.',
  },
  {
    id: 'gemini-2.5-flash-native-audio-preview-09-2025',
    status: 'preview',
    responseModalities: AUDIO,
    defaultBehavior: 'BLOCKING',
    behaviors: BOTH,
    apis: ['gemini'],
    sessionFields: false,
    note: 'Preview, may be retired (the cookbook notebook\'s model).',
  },
  {
    id: 'gemini-2.5-flash-native-audio-latest',
    status: 'preview',
    responseModalities: AUDIO,
    defaultBehavior: 'BLOCKING',
    behaviors: BOTH,
    apis: ['gemini'],
    sessionFields: false,
    note: 'Alias of the newest 2.5 native-audio preview.',
  },
  {
    id: 'gemini-live-2.5-flash-preview',
    status: 'shut-down',
    responseModalities: AUDIO_TEXT,
    defaultBehavior: 'BLOCKING',
    behaviors: BOTH,
    apis: ['gemini'],
    shutdown: '2025-12-09',
    sessionFields: false,
    note: 'Shut down; use gemini-3.8-live.',
  },
  {
    id: 'gemini-2.0-flash-live-001',
    status: 'shut-down',
    responseModalities: AUDIO_TEXT,
    defaultBehavior: 'BLOCKING',
    behaviors: ['BLOCKING'],
    apis: ['gemini', 'vertex'],
    shutdown: '2025-12-09',
    sessionFields: false,
    note: 'Shut down; use gemini-3.8-live.',
  },
  {
    id: 'gemini-2.0-flash-exp',
    status: 'shut-down',
    responseModalities: AUDIO_TEXT,
    defaultBehavior: 'BLOCKING',
    behaviors: ['BLOCKING'],
    apis: ['gemini'],
    sessionFields: false,
    note: 'Experimental model superseded by gemini-2.0-flash-live-001 [I: no shutdown date recorded].',
  },
].map((m) => Object.freeze(m as LiveModel)))

const BY_ID = new Map(LIVE_MODELS.map((m) => [m.id, m]))

/** `models/x`, `x` or a Vertex resource name (`projects/p/locations/l/publishers/google/models/x`) → `x`. */
export function modelId (model: string): string {
  const at = model.lastIndexOf('models/')
  return at === 0 || (at > 0 && model[at - 1] === '/') ? model.slice(at + 'models/'.length) : model
}

/** The known model of that id (with or without `models/`), or undefined. */
export function liveModel (model: string | undefined): LiveModel | undefined {
  return model === undefined ? undefined : BY_ID.get(modelId(model))
}

/** Models Google still serves (GA and preview), on one API or either. */
export function servedModels (api?: LiveApi): readonly LiveModel[] {
  return LIVE_MODELS.filter((m) => m.status !== 'shut-down' && (api === undefined || m.apis.includes(api)))
}

/** Whether the model can answer in this modality; an id livegate does not know is given the benefit of the doubt. */
export function supportsModality (model: string | undefined, modality: ResponseModality): boolean {
  return liveModel(model)?.responseModalities.includes(modality) ?? true
}

/**
 * How a call runs when its declaration says `behavior` (or leaves it unset): the model's default for an unset or
 * unsupported value; BLOCKING, the API's default, for a model livegate does not know.
 */
export function effectiveBehavior (model: string | undefined, declared: unknown): FunctionBehavior {
  const known = liveModel(model)
  if (known === undefined) return declared === 'NON_BLOCKING' ? 'NON_BLOCKING' : 'BLOCKING'
  if ((declared === 'BLOCKING' || declared === 'NON_BLOCKING') && known.behaviors.includes(declared)) return declared
  return known.defaultBehavior
}
