/**
 * @module app
 * The page: wires the connect form, the conversation, the message box, the microphone and playback to one
 * LiveClient. Everything it sends and reads is the public Gemini Live protocol plus livegate's event frames.
 * `window.livegate` exposes the live state (connection, playback queue, microphone, timeline) for tests and
 * for anyone curious in the devtools console.
 */
import { LiveClient } from './live-client.js'
import { AudioPlayer } from './audio-player.js'
import { MicCapture } from './mic-capture.js'
import { Conversation } from './conversation.js'
import { bytesToBase64 } from './pcm.js'
import { routeMessage } from './message-router.js'
import { describeState } from './status.js'
import { DEFAULT_MODEL, offeredModels, repliesFor, repliesHint, startingModel } from './model-choice.js'

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id))
const form = /** @type {HTMLFormElement} */ ($('connect-form'))
const tokenInput = /** @type {HTMLInputElement} */ ($('token'))
const modelInput = /** @type {HTMLInputElement} */ ($('model'))
const voiceSelect = /** @type {HTMLSelectElement} */ ($('voice'))
const connectButton = /** @type {HTMLButtonElement} */ ($('connect'))
const disconnectButton = /** @type {HTMLButtonElement} */ ($('disconnect'))
const reconnectButton = /** @type {HTMLButtonElement} */ ($('reconnect'))
const statusLine = $('status')
const composer = /** @type {HTMLFormElement} */ ($('composer'))
const messageBox = /** @type {HTMLTextAreaElement} */ ($('message'))
const sendButton = /** @type {HTMLButtonElement} */ ($('send'))
const micButton = /** @type {HTMLButtonElement} */ ($('mic'))
const settings = /** @type {HTMLDetailsElement} */ ($('settings'))
const modelList = $('models')
const modalityHint = $('modality-hint')
/** Where the settings sit above the chat rather than beside it (styles.css uses the same width). */
const stacked = matchMedia('(max-width: 56rem)')

/** @type {Array<{ name: string, t: number } & Record<string, unknown>>} */
const marks = []
const mark = (/** @type {string} */ name, /** @type {Record<string, unknown>} */ detail = {}) => {
  marks.push({ ...detail, name, t: performance.now() })
}

const client = new LiveClient()
const player = new AudioPlayer()
const mic = new MicCapture()
const conversation = new Conversation($('conversation'), $('conversation-box'), mark)
/** @type {import('./live-client.js').SessionOptions | undefined} */
let lastOptions

Object.defineProperty(window, 'livegate', {
  value: Object.freeze({
    client,
    playback: player.stats,
    mic: mic.stats,
    marks,
    get state () { return client.state },
  }),
})

// Settings survive a reload; the token only for this tab's session, so it is not left on a shared machine.
const SETTINGS_KEY = 'livegate.settings'
const TOKEN_KEY = 'livegate.token'

function loadSettings () {
  modelInput.value = DEFAULT_MODEL
  try {
    const saved = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}')
    const { model, replaced } = startingModel(typeof saved.model === 'string' ? saved.model : undefined)
    modelInput.value = model
    if (replaced !== undefined) {
      conversation.notice(`${replaced.id}, the model you used last, was shut down by Google${replaced.shutdown === undefined ? '' : ` on ${replaced.shutdown}`}; ${model} is selected instead.`)
    }
    if (saved.modality === 'TEXT' || saved.modality === 'AUDIO') modalityInput(saved.modality).checked = true
    if (typeof saved.voice === 'string') voiceSelect.value = saved.voice
    tokenInput.value = sessionStorage.getItem(TOKEN_KEY) ?? ''
  } catch { /* storage disabled or corrupt: the defaults stand */ }
  offerReplies()
}

/** Suggest the models Google still serves, GA first. */
function fillModelList () {
  modelList.replaceChildren(...offeredModels().map((m) => {
    const option = document.createElement('option')
    option.value = m.id
    option.label = `${m.status === 'ga' ? 'GA' : 'preview'} · ${m.responseModalities.join(' or ').toLowerCase()} replies`
    return option
  }))
}

/** Offer Text replies only for a model that can give them; an audio-only model's words come as its transcript. */
function offerReplies () {
  const replies = repliesFor(modelInput.value)
  const text = modalityInput('TEXT')
  text.disabled = !replies.includes('TEXT')
  if (text.disabled && text.checked) modalityInput('AUDIO').checked = true
  modalityHint.textContent = repliesHint(modelInput.value)
}

/** @param {import('./live-client.js').SessionOptions} options */
function saveSettings ({ token, model, modality, voice }) {
  try {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify({ model, modality, voice }))
    sessionStorage.setItem(TOKEN_KEY, token)
  } catch { /* storage disabled: nothing to remember */ }
}

/** @param {string} value */
function modalityInput (value) {
  return /** @type {HTMLInputElement} */ (form.querySelector(`input[name="modality"][value="${value}"]`))
}

/** @returns {import('./live-client.js').SessionOptions} */
function formOptions () {
  const textChosen = modalityInput('TEXT').checked && !modalityInput('TEXT').disabled
  const modality = textChosen ? 'TEXT' : 'AUDIO'
  return { token: tokenInput.value.trim(), model: modelInput.value.trim(), modality, voice: voiceSelect.value }
}

/** @param {import('./live-client.js').SessionOptions} options */
async function connect (options) {
  lastOptions = options
  saveSettings(options)
  await stopMic()
  player.interrupt()
  // Unlock audio now, inside the click or key press: later, without a gesture, the browser would keep it muted.
  if (options.modality === 'AUDIO') await player.unlock().catch(() => {})
  conversation.notice(`Connecting to ${options.model} (${options.modality} replies)…`)
  client.connect(location.href, options)
}

form.addEventListener('submit', (event) => {
  event.preventDefault()
  if (!form.reportValidity()) return
  void connect(formOptions())
})
reconnectButton.addEventListener('click', () => { void connect(lastOptions ?? formOptions()) })
disconnectButton.addEventListener('click', () => { client.close() })

client.addEventListener('state', (event) => {
  const detail = /** @type {CustomEvent<import('./live-client.js').StateDetail>} */ (event).detail
  const { text, notice } = describeState(detail, lastOptions)
  statusLine.dataset.state = detail.state
  statusLine.textContent = text
  const live = detail.state === 'connecting' || detail.state === 'setup' || detail.state === 'ready'
  reconnectButton.hidden = live || lastOptions === undefined
  disconnectButton.disabled = !live
  connectButton.textContent = live ? 'Reconnect with these settings' : 'Connect'
  sendButton.disabled = micButton.disabled = detail.state !== 'ready'
  if (detail.state === 'ready') {
    const fromForm = form.contains(document.activeElement)
    // On a phone the settings would push the chat below the fold: fold them away (the status line stays).
    if (stacked.matches) settings.open = false
    // The next thing to do after connecting is to type; don't move focus if the user is elsewhere.
    if (fromForm) messageBox.focus()
  }
  if (detail.state === 'closed' && detail.code !== 1000) settings.open = true
  if (detail.state === 'closed') {
    player.interrupt()
    void stopMic()
    conversation.turnComplete()
  }
  if (notice !== undefined) conversation.notice(notice.text, notice.kind)
})

client.addEventListener('message', (event) => {
  routeMessage(/** @type {CustomEvent<Record<string, unknown>>} */ (event).detail, { client, player, conversation, mark })
})

function sendMessage () {
  const text = messageBox.value.trim()
  if (text === '' || !client.ready) return
  mark('send-text', { text })
  // A typed turn interrupts the model (clientContent does, upstream); stop its voice here too.
  player.interrupt()
  if (client.sendText(text)) {
    if (conversation.modelTurn !== undefined) conversation.interrupted()
    conversation.turnComplete()
    conversation.userText(text)
    messageBox.value = ''
  }
}

composer.addEventListener('submit', (event) => {
  event.preventDefault()
  sendMessage()
})
messageBox.addEventListener('keydown', (event) => {
  // Enter sends; Shift+Enter is a new line; an IME composition's Enter confirms the text instead.
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault()
    mark('enter')
    sendMessage()
  }
})

async function stopMic () {
  if (!mic.active) return
  await mic.stop()
  client.sendAudioStreamEnd()
  // The label says what a press will do; no aria-pressed as well, which would make screen readers say both.
  micButton.dataset.active = 'false'
  micButton.textContent = 'Start microphone'
}

micButton.addEventListener('click', async () => {
  if (mic.active) { await stopMic(); return }
  micButton.disabled = true
  try {
    await player.unlock()
    await mic.start((pcm) => { client.sendAudio(bytesToBase64(pcm)) })
    micButton.dataset.active = 'true'
    micButton.textContent = 'Stop microphone'
    mark('mic-started', { contextRate: mic.stats.contextRate })
  } catch (err) {
    const name = err instanceof Error ? err.name : 'Error'
    conversation.notice(name === 'NotAllowedError'
      ? 'Microphone blocked: allow it in the browser’s site settings, then try again.'
      : `Microphone unavailable (${name}).`, 'error')
  } finally {
    micButton.disabled = !client.ready
  }
})

modelInput.addEventListener('input', offerReplies)
fillModelList()
loadSettings()
