/**
 * @module conversation
 * The conversation view: the user's and the model's turns as they stream in, transcriptions, notices, and each
 * server tool run as its image. Text is only ever set with `textContent`: model output is untrusted.
 */
import { markdownNodes } from './markdown.js'
import { toolRunFigure, updateToolRunFigure } from './tool-run.js'

/** Within this distance of the bottom the view keeps following new output. */
const STICK_TO_BOTTOM_PX = 80

/**
 * @param {string} tag
 * @param {string} className
 * @param {string} [text]
 */
function el (tag, className, text) {
  const node = document.createElement(tag)
  node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

export class Conversation {
  /**
   * @param {HTMLElement} list the `role="log"` list
   * @param {HTMLElement} scroller the element that scrolls the list
   * @param {(name: string, detail?: Record<string, unknown>) => void} mark timeline hook (tests, bench)
   */
  constructor (list, scroller, mark) {
    this.list = list
    this.scroller = scroller
    /**
     * Whether new output scrolls into view. Only the reader's scrolling changes it (content growing under them,
     * say from opening a tool run's arguments, does not): near the bottom means "keep following".
     */
    this.following = true
    scroller.addEventListener('scroll', () => {
      this.following = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < STICK_TO_BOTTOM_PX
    }, { passive: true })
    this.mark = mark
    /** @type {HTMLElement | undefined} the model turn being streamed */
    this.modelTurn = undefined
    /** @type {HTMLElement | undefined} the user's spoken turn being transcribed */
    this.voiceTurn = undefined
    /** @type {Map<string, HTMLElement>} */
    this.toolRuns = new Map()
  }

  /**
   * @param {'user' | 'model'} role
   * @param {string} label
   */
  #turn (role, label) {
    const item = el('li', `turn ${role}`)
    item.dataset.role = role
    item.append(el('p', 'who', label))
    this.#grow(() => this.list.append(item))
    return item
  }

  /**
   * Change the view and keep following the stream, unless the reader has scrolled up to read something earlier.
   * @param {() => void} change
   */
  #grow (change) {
    change()
    if (this.following) this.scroller.scrollTop = this.scroller.scrollHeight
  }

  /**
   * Append to the part of a turn with the given class, creating it on first use.
   * @param {HTMLElement} turn
   * @param {string} className
   * @param {string} text
   */
  #append (turn, className, text) {
    this.#grow(() => {
      let part = /** @type {HTMLElement | null} */ (turn.querySelector(`:scope > .${className}`))
      if (part === null) {
        part = el('p', className)
        turn.append(part)
      }
      part.textContent += text
    })
  }

  #modelTurn () {
    if (this.modelTurn === undefined) {
      this.modelTurn = this.#turn('model', 'Gemini')
      this.modelTurn.dataset.state = 'streaming'
      this.modelTurn.setAttribute('aria-busy', 'true')
    }
    return this.modelTurn
  }

  /** @param {string} text a typed message, shown at once */
  userText (text) {
    this.#endVoice()
    this.#append(this.#turn('user', 'You'), 'text', text)
  }

  /**
   * @param {string} text
   * @param {boolean} finished
   */
  userTranscript (text, finished) {
    this.voiceTurn ??= this.#turn('user', 'You (spoken)')
    this.#append(this.voiceTurn, 'transcript', text)
    if (finished) this.#endVoice()
  }

  #endVoice () { this.voiceTurn = undefined }

  /** @param {string} text */
  modelText (text) {
    if (text === '') return
    if (this.modelTurn === undefined) this.mark('first-text')
    this.#append(this.#modelTurn(), 'text', text)
  }

  /**
   * The transcription of the model's speech is the reply's text (an audio-only model sends no other): shown, and
   * formatted at the end of the turn, like a text reply.
   * @param {string} text
   */
  modelTranscript (text) {
    if (text === '') return
    const turn = this.#modelTurn()
    turn.dataset.transcribed = 'true'
    this.#append(turn, 'text', text)
  }

  /** The model is speaking: say so once per turn, for those who cannot hear it. */
  modelAudio () {
    const turn = this.#modelTurn()
    if (turn.dataset.audio === undefined) {
      turn.dataset.audio = 'true'
      turn.querySelector(':scope > .who')?.append(el('span', 'badge', 'speaking'))
    }
  }

  interrupted () {
    const turn = this.modelTurn
    if (turn === undefined) return
    turn.dataset.state = 'interrupted'
    turn.querySelector(':scope > .who')?.append(el('span', 'badge interrupted', 'interrupted'))
  }

  turnComplete () {
    this.#endVoice()
    const turn = this.modelTurn
    if (turn === undefined) return
    if (turn.dataset.state === 'streaming') turn.dataset.state = 'complete'
    // Formatted once, at the end: while aria-busy was set, screen readers held the streamed text back, so the
    // finished turn is announced once instead of each delta (and each re-render) on its own.
    for (const part of turn.querySelectorAll(':scope > .text')) part.replaceChildren(...markdownNodes(part.textContent ?? ''))
    turn.removeAttribute('aria-busy')
    this.modelTurn = undefined
  }

  /** @param {import('./tool-run.js').ToolRun} run */
  toolRun (run) {
    const existing = this.toolRuns.get(run.id)
    if (existing !== undefined) {
      updateToolRunFigure(existing, run, this.mark)
      return
    }
    const figure = toolRunFigure(run, this.mark)
    this.toolRuns.set(run.id, figure)
    const turn = this.#modelTurn()
    this.#grow(() => turn.append(figure))
  }

  /**
   * A line from the page itself: connection changes, goAway, calls this page cannot answer.
   * @param {string} text
   * @param {'info' | 'error'} [kind]
   */
  notice (text, kind = 'info') {
    const item = el('li', `notice ${kind}`, text)
    this.#grow(() => this.list.append(item))
  }

  clear () {
    this.list.replaceChildren()
    this.modelTurn = undefined
    this.voiceTurn = undefined
    this.toolRuns.clear()
  }
}
