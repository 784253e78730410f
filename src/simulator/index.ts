/**
 * @module simulator
 * A faithful Gemini Live (BidiGenerateContent) server for tests, benchmarks and the offline demo. It speaks the
 * protocol as shared/reference/gemini-live-protocol.md describes it: Google's paths (with the SDK's `//ws/`),
 * credentials, binary frames of pretty-printed camelCase JSON, streamed text and 24 kHz audio turns, tool calls,
 * barge-in, `goAway`, session resumption and Google's error closes. What the model says comes from a `Script`
 * (default: `seedScript`, the cookbook plotting-and-mapping notebook).
 *
 * @example
 * const sim = await startSimulator({ apiKeys: ['k'], chunkDelayMs: 0 })
 * const ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: sim.url } })
 * const session = await ai.live.connect({ model: 'gemini-3.8-live', config: { outputAudioTranscription: {} }, callbacks })
 */
export { startSimulator } from './server.js'
export type { ReceivedFrame, Simulator, SimulatorConnection, SimulatorLogger, SimulatorOptions } from './types.js'
export type {
  Action, Behavior, CallSpec, HistoryEntry, Modality, Reply, Rule, Script, ToolResponse, UserTurn,
} from './script.js'
export { describeSpeech } from './script.js'
export { DEFAULT_MODELS } from './reasons.js'
export { OUTPUT_MIME, OUTPUT_RATE } from './audio.js'
export {
  DRAW_MAP_DECLARATION, RENDER_ALTAIR_DECLARATION, SEED_ALTAIR_JSON, SEED_CAPITALS, SEED_CAPITALS_CLOCKWISE,
  SEED_CAPITALS_MAP_ARGS, SEED_CAPITALS_WEST_TO_EAST, SEED_CHART_SPEC, SEED_CIRCULAR_MAP_ARGS, SEED_FILMS,
  SEED_GRADIENT, SEED_MODEL, SEED_PICK, SEED_PICK_MAP_ARGS, SEED_PROMPTS, SEED_RENDER_ALTAIR_ARGS, SEED_RESTAURANTS,
  SEED_SYDNEY_MAP_ARGS, SEED_TOOLS, seedScript,
} from './seed.js'
