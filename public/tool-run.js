/**
 * @module tool-run
 * One server tool run (a livegate event frame) as a figure: the image, reserved at its final size from the
 * artifact's width and height before it loads so the conversation does not jump; links to every format; the
 * call's arguments behind a <details>; the error when it failed. It does not care which tool drew the image.
 *
 * Event shape: `{"livegate": {"toolRun": {"id","name","args","status","durationMs","artifacts":[{"url","mimeType","width","height"}],"error"}}}`
 */

/**
 * @typedef {{ url: string, mimeType?: string, width?: number, height?: number }} Artifact
 * @typedef {{ id: string, name: string, args?: unknown, status?: string, durationMs?: number, artifacts?: Artifact[], error?: unknown }} ToolRun
 * @typedef {(name: string, detail?: Record<string, unknown>) => void} Mark
 */

/** Formats an <img> can show, best first: PNG is what livegate renders for every tool. */
const IMAGE_TYPES = ['image/png', 'image/webp', 'image/jpeg', 'image/gif', 'image/svg+xml']

/**
 * The event's `toolRun`, or undefined when the frame is not a well-formed one.
 * @param {unknown} message
 * @returns {ToolRun | undefined}
 */
export function toolRunOf (message) {
  const run = /** @type {{ livegate?: { toolRun?: unknown } } | null} */ (message)?.livegate?.toolRun
  if (run === null || typeof run !== 'object') return undefined
  const { id, name } = /** @type {Record<string, unknown>} */ (run)
  if (typeof id !== 'string' || typeof name !== 'string') return undefined
  return /** @type {ToolRun} */ (run)
}

/**
 * Only http(s) URLs are linked or loaded: an event frame must not be able to plant a `javascript:` link.
 * @param {unknown} url
 * @returns {string | undefined}
 */
function safeUrl (url) {
  if (typeof url !== 'string') return undefined
  try {
    const parsed = new URL(url, document.baseURI)
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined
  } catch {
    return undefined
  }
}

/** @param {Artifact[] | undefined} artifacts */
function pickImage (artifacts) {
  const usable = (artifacts ?? []).filter((a) => safeUrl(a.url) !== undefined)
  for (const type of IMAGE_TYPES) {
    const found = usable.find((a) => (a.mimeType ?? '').split(';')[0]?.trim() === type)
    if (found !== undefined) return found
  }
  return undefined
}

/**
 * A chart spec's own title or description, if it has one.
 * @param {unknown} spec an object, or a string holding one (models often send `altair_json` as a string)
 * @returns {string | undefined}
 */
function chartTitle (spec) {
  if (typeof spec === 'string') { try { spec = JSON.parse(spec) } catch { return undefined } }
  if (spec === null || typeof spec !== 'object') return undefined
  const { title, description } = /** @type {{ title?: unknown, description?: unknown }} */ (spec)
  const text = title !== null && typeof title === 'object' ? /** @type {{ text?: unknown }} */ (title).text : title
  if (typeof text === 'string' && text !== '') return text
  if (Array.isArray(text)) return text.join(' ')
  return typeof description === 'string' && description !== '' ? description : undefined
}

/**
 * Alt text from what the call asked for: a chart's title or description, a map's center.
 * @param {ToolRun} run
 */
export function altText (run) {
  const args = /** @type {Record<string, unknown>} */ (run.args ?? {})
  const title = chartTitle(args.altair_json ?? args.spec)
  if (title !== undefined) return `Chart: ${title}`
  if (typeof args.center === 'string' && args.center !== '') return `Map centred on ${args.center}`
  return `Image drawn by ${run.name}`
}

/** Arguments as readable JSON; a string that holds JSON (as `altair_json` does) is unfolded too. */
function prettyArgs (/** @type {unknown} */ args) {
  const unfold = (/** @type {unknown} */ value) => {
    if (typeof value === 'string' && /^\s*[[{]/.test(value)) { try { return JSON.parse(value) } catch { return value } }
    return value
  }
  const shown = args !== null && typeof args === 'object' && !Array.isArray(args)
    ? Object.fromEntries(Object.entries(args).map(([k, v]) => [k, unfold(v)]))
    : args
  return JSON.stringify(shown ?? {}, null, 2)
}

/** @param {unknown} error */
function errorText (error) {
  if (typeof error === 'string') return error
  const e = /** @type {{ code?: unknown, message?: unknown } | null} */ (error)
  if (e === null || typeof e !== 'object') return 'The tool failed.'
  const message = typeof e.message === 'string' ? e.message : JSON.stringify(e)
  return typeof e.code === 'string' ? `${e.code}: ${message}` : message
}

/**
 * @param {ToolRun} run
 * @param {Mark} mark
 */
export function toolRunFigure (run, mark) {
  const figure = document.createElement('figure')
  figure.className = 'tool-run'
  figure.dataset.id = run.id
  mark('tool-run', { id: run.id, tool: run.name, status: run.status, durationMs: run.durationMs })
  updateToolRunFigure(figure, run, mark)
  return figure
}

/**
 * Bring a figure up to date with a later event for the same run (e.g. `running` then `ok`).
 * @param {HTMLElement} figure
 * @param {ToolRun} run
 * @param {Mark} mark
 */
export function updateToolRunFigure (figure, run, mark) {
  const failed = run.error !== undefined && run.error !== null
  figure.dataset.name = run.name
  figure.dataset.status = run.status ?? (failed ? 'error' : 'ok')
  const image = pickImage(run.artifacts)
  const parts = []

  const oldImg = figure.querySelector('img')
  if (image !== undefined) {
    const src = /** @type {string} */ (safeUrl(image.url))
    const img = oldImg !== null && oldImg.dataset.src === src ? oldImg : newImage(src, image, run, mark)
    parts.push(img)
  }

  const caption = document.createElement('figcaption')
  const title = document.createElement('span')
  title.className = 'tool-name'
  title.textContent = run.name
  caption.append(title)
  const facts = [figure.dataset.status, typeof run.durationMs === 'number' ? `${Math.round(run.durationMs)} ms` : undefined]
  caption.append(` · ${facts.filter(Boolean).join(' · ')}`)
  for (const artifact of run.artifacts ?? []) {
    const href = safeUrl(artifact.url)
    if (href === undefined) continue
    const link = document.createElement('a')
    link.href = href
    link.target = '_blank'
    link.rel = 'noopener'
    link.textContent = (artifact.mimeType ?? 'file').replace(/^image\//, '').replace(/\+xml$/, '').toUpperCase()
    caption.append(' · ', link)
  }
  parts.push(caption)

  if (failed) {
    const error = document.createElement('p')
    error.className = 'tool-error'
    error.textContent = errorText(run.error)
    parts.push(error)
  }

  const details = document.createElement('details')
  const summary = document.createElement('summary')
  summary.textContent = 'Arguments'
  const pre = document.createElement('pre')
  pre.textContent = prettyArgs(run.args)
  details.append(summary, pre)
  const wasOpen = figure.querySelector('details')?.open === true
  details.open = wasOpen
  parts.push(details)

  figure.replaceChildren(...parts)
}

/**
 * @param {string} src
 * @param {Artifact} artifact
 * @param {ToolRun} run
 * @param {Mark} mark
 */
function newImage (src, artifact, run, mark) {
  const img = document.createElement('img')
  img.alt = altText(run)
  img.decoding = 'async'
  // width/height attributes give the box its aspect ratio before a byte arrives; CSS scales it to the column.
  if (typeof artifact.width === 'number' && typeof artifact.height === 'number' && artifact.width > 0 && artifact.height > 0) {
    img.width = artifact.width
    img.height = artifact.height
  }
  img.dataset.src = src
  img.addEventListener('load', () => {
    mark('image-loaded', { id: run.id, tool: run.name })
    // Painted = decoded and through the next frame: what the bench times from Enter.
    img.decode().catch(() => {}).then(() => requestAnimationFrame(() => mark('image-painted', { id: run.id, tool: run.name })))
  }, { once: true })
  img.addEventListener('error', () => {
    img.closest('figure')?.setAttribute('data-image', 'failed')
    mark('image-failed', { id: run.id, tool: run.name })
  }, { once: true })
  img.src = src
  return img
}
