/**
 * @module model-choice
 * What the connect form offers for a model, from livegate's list (models.js, generated from src/live/models.ts):
 * the models still served for the datalist, the reply modalities a model can produce (TEXT only where it can), and
 * a replacement for a remembered model that Google has shut down. A model id the list does not know is the user's
 * call: Gemini is the judge, so both modalities stay on offer.
 */
import { DEFAULT_MODEL, LIVE_MODELS } from './models.js'

export { DEFAULT_MODEL }

/**
 * @param {string} id with or without `models/`
 * @returns {import('./models.js').LiveModel | undefined}
 */
export function knownModel (id) {
  const bare = id.trim().replace(/^models\//, '')
  return LIVE_MODELS.find((m) => m.id === bare)
}

/** Models Google still serves, GA first: the datalist's suggestions. */
export function offeredModels () {
  return LIVE_MODELS.filter((m) => m.status !== 'shut-down')
}

/**
 * @param {string} id
 * @returns {readonly ('AUDIO' | 'TEXT')[]}
 */
export function repliesFor (id) {
  return knownModel(id)?.responseModalities ?? ['AUDIO', 'TEXT']
}

/**
 * The model to start with: the remembered one, unless Google has shut it down.
 * @param {string | undefined} saved
 * @returns {{ model: string, replaced?: { id: string, shutdown?: string } }}
 */
export function startingModel (saved) {
  if (saved === undefined || saved.trim() === '') return { model: DEFAULT_MODEL }
  const known = knownModel(saved)
  if (known?.status === 'shut-down') {
    return { model: DEFAULT_MODEL, replaced: { id: known.id, ...(known.shutdown === undefined ? {} : { shutdown: known.shutdown }) } }
  }
  return { model: saved }
}

/**
 * A line under the Replies field saying what the model can do.
 * @param {string} id
 */
export function repliesHint (id) {
  const known = knownModel(id)
  if (known === undefined) return 'A model livegate does not know: Gemini decides which replies it can give.'
  if (known.status === 'shut-down') return `${known.id} was shut down${known.shutdown === undefined ? '' : ` on ${known.shutdown}`}: Gemini will refuse it.`
  if (!known.responseModalities.includes('TEXT')) return `${known.id} answers in audio only; its words are shown as the reply's text.`
  return `${known.id} can answer in audio or text.`
}
