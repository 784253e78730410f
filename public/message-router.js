/**
 * @module message-router
 * What the page does with each server message. Several keys can share one frame (`serverContent` with
 * `usageMetadata`), so every known key is looked at, not just the first.
 */
import { toolRunOf } from './tool-run.js'

/**
 * @typedef {{
 *   client: import('./live-client.js').LiveClient,
 *   player: import('./audio-player.js').AudioPlayer,
 *   conversation: import('./conversation.js').Conversation,
 *   mark: (name: string, detail?: Record<string, unknown>) => void,
 * }} Handlers
 */

/** @param {unknown} v */
const obj = (v) => /** @type {Record<string, any>} */ (v !== null && typeof v === 'object' ? v : {})

/**
 * @param {Record<string, unknown>} message
 * @param {Handlers} h
 */
export function routeMessage (message, h) {
  if ('serverContent' in message) serverContent(obj(message.serverContent), h)
  if ('toolCall' in message) toolCall(obj(message.toolCall), h)
  if ('toolCallCancellation' in message) {
    const ids = obj(message.toolCallCancellation).ids
    h.conversation.notice(`The model cancelled tool call${Array.isArray(ids) && ids.length > 1 ? 's' : ''} ${Array.isArray(ids) ? ids.join(', ') : ''}.`)
  }
  if ('goAway' in message) {
    const left = obj(message.goAway).timeLeft
    h.conversation.notice(`The server will end this connection${typeof left === 'string' ? ` in ${left}` : ' soon'}.`)
  }
  const run = toolRunOf(message)
  if (run !== undefined) h.conversation.toolRun(run)
}

/**
 * @param {Record<string, any>} content
 * @param {Handlers} h
 */
function serverContent (content, h) {
  // Interruption first: audio of the same frame (if any) belongs to the turn being cut off.
  if (content.interrupted === true) {
    h.player.interrupt()
    h.conversation.interrupted()
    h.mark('interrupted')
  }
  const input = obj(content.inputTranscription)
  if (typeof input.text === 'string') h.conversation.userTranscript(input.text, input.finished === true)
  const parts = Array.isArray(content.modelTurn?.parts) ? content.modelTurn.parts : []
  for (const part of parts) {
    if (part?.thought === true) continue
    if (typeof part?.text === 'string') h.conversation.modelText(part.text)
    const data = part?.inlineData
    if (typeof data?.data === 'string' && String(data.mimeType ?? '').startsWith('audio/pcm') && content.interrupted !== true) {
      if (h.player.stats.chunksQueued === 0) h.mark('first-audio')
      h.player.enqueue(data.data, data.mimeType)
      h.conversation.modelAudio()
    }
  }
  const output = obj(content.outputTranscription)
  if (typeof output.text === 'string') h.conversation.modelTranscript(output.text)
  if (content.turnComplete === true) {
    h.conversation.turnComplete()
    h.mark('turn-complete')
  }
}

/**
 * Calls that reach the page are the client's to answer, and this page declares no functions of its own (server
 * tools never arrive here as calls). Answer with an error rather than stay silent: a BLOCKING call would
 * otherwise stall the model until the connection ends.
 * @param {Record<string, any>} call
 * @param {Handlers} h
 */
function toolCall (call, h) {
  const calls = Array.isArray(call.functionCalls) ? call.functionCalls : []
  if (calls.length === 0) return
  h.conversation.notice(`The model called ${calls.map((c) => c?.name).join(', ')}, which this page cannot run; it was told so.`, 'error')
  h.client.sendToolResponse(calls.map((c) => ({
    id: c?.id,
    name: c?.name,
    response: { error: { code: 'NOT_AVAILABLE', message: `This client has no function named ${c?.name}.` } },
  })))
}
