/**
 * @module simulator/turns
 * How one model turn goes out on the wire: text as several `modelTurn` deltas; speech as 24 kHz PCM `inlineData`
 * chunks, each carrying the `outputTranscription` delta for the words it covers (one `serverContent` may hold both,
 * reference §1.4); then `generationComplete`, then `turnComplete` together with `usageMetadata` (the recorded
 * text-turn sequence, js-genai `live_ML_Dev_should_send_text_in_async_session`).
 */
import { setImmediate as yieldTurn, setTimeout as sleep } from 'node:timers/promises'
import { OUTPUT_MIME, OUTPUT_RATE, SpeechSynth } from './audio.js'

/** Where a turn's frames go, and how it is paced and cancelled. */
export interface Outlet {
  send (message: Record<string, unknown>): void
  readonly signal: AbortSignal
  readonly chunkDelayMs: number
}

/** About 100 ms of speech per audio frame. */
const AUDIO_CHUNK_SAMPLES = OUTPUT_RATE / 10
const TEXT_DELTA_CHARS = 48

/** Wait between chunks; with no delay still yield, so input (a barge-in) can arrive mid-turn. */
export async function pace (ms: number, signal: AbortSignal): Promise<void> {
  if (ms > 0) await sleep(ms, undefined, { signal })
  else await yieldTurn(undefined, { signal })
}

/**
 * Split text into streaming deltas at word boundaries, about 48 characters each (never fewer than two for text of
 * two words or more, as Gemini streams a reply in several pieces). The deltas concatenate to the original text.
 */
export function textDeltas (text: string): string[] {
  const words = text.match(/\S+\s*|\s+/g) ?? []
  if (words.length === 0) return []
  const target = Math.max(1, Math.min(TEXT_DELTA_CHARS, Math.ceil(text.length / 2)))
  const deltas: string[] = []
  let current = ''
  for (const word of words) {
    if (current !== '' && current.length + word.length > target) {
      deltas.push(current)
      current = ''
    }
    current += word
  }
  if (current !== '') deltas.push(current)
  return deltas
}

/** Stream text deltas; returns the number of frames sent. */
export async function streamText (text: string, outlet: Outlet): Promise<number> {
  const deltas = textDeltas(text)
  for (let i = 0; i < deltas.length; i++) {
    if (i > 0) await pace(outlet.chunkDelayMs, outlet.signal)
    outlet.signal.throwIfAborted()
    outlet.send({ serverContent: { modelTurn: { parts: [{ text: deltas[i] }] } } })
  }
  return deltas.length
}

/**
 * Speak text: PCM chunks as `inlineData`, with the transcript of each chunk's words as `outputTranscription` when
 * `transcribe` is set. Returns the audio duration in ms.
 */
export async function streamSpeech (text: string, outlet: Outlet, transcribe: boolean): Promise<number> {
  const synth = new SpeechSynth(text)
  let first = true
  while (!synth.done) {
    if (!first) await pace(outlet.chunkDelayMs, outlet.signal)
    first = false
    outlet.signal.throwIfAborted()
    const pcm = synth.next(AUDIO_CHUNK_SAMPLES)
    const content: Record<string, unknown> = {
      modelTurn: { parts: [{ inlineData: { mimeType: OUTPUT_MIME, data: pcm.toString('base64') } }] },
    }
    if (transcribe) {
      const words = synth.textUntil(synth.position)
      if (words !== '') content.outputTranscription = { text: words }
    }
    outlet.send({ serverContent: content })
  }
  return Math.round(synth.totalSamples * 1000 / OUTPUT_RATE)
}

// Usage ----------------------------------------------------------------------------------------------------------

/** Gemini counts audio at 32 tokens per second; text here at about 4 characters per token. */
const AUDIO_TOKENS_PER_SECOND = 32

function textTokens (chars: number): number {
  return Math.ceil(chars / 4)
}

function audioTokens (ms: number): number {
  return Math.ceil(ms / 1000 * AUDIO_TOKENS_PER_SECOND)
}

interface TurnUsage {
  promptTextChars: number
  promptAudioMs: number
  responseTextChars: number
  responseAudioMs: number
}

/** `usageMetadata` as the recordings show it (`UsageMetadata` in js-genai `src/types.ts`). */
export function usageMetadata (usage: TurnUsage): Record<string, unknown> {
  const promptText = textTokens(usage.promptTextChars)
  const promptAudio = audioTokens(usage.promptAudioMs)
  const responseText = textTokens(usage.responseTextChars)
  const responseAudio = audioTokens(usage.responseAudioMs)
  const prompt = promptText + promptAudio
  const response = responseText + responseAudio
  const promptDetails = [{ modality: 'TEXT', tokenCount: promptText }]
  if (promptAudio > 0) promptDetails.push({ modality: 'AUDIO', tokenCount: promptAudio })
  const responseDetails = usage.responseAudioMs > 0
    ? [{ modality: 'AUDIO', tokenCount: responseAudio }]
    : [{ modality: 'TEXT', tokenCount: responseText }]
  return {
    promptTokenCount: prompt,
    responseTokenCount: response,
    totalTokenCount: prompt + response,
    promptTokensDetails: promptDetails,
    responseTokensDetails: responseDetails,
  }
}
