/**
 * @module markdown
 * The little Markdown models write in chat answers (**bold**, *italic*, `code`, `#` headings and `*` bullets)
 * turned into DOM nodes, never into an HTML string: model output is untrusted. Anything else stays as written.
 * The conversation formats a turn once it is complete; while it streams, text is appended as it comes.
 */

/** **bold** or __bold__, `code`, *italic* (not a lone asterisk, not inside a word). */
const INLINE = /\*\*([^*\n]+)\*\*|__([^_\n]+)__|`([^`\n]+)`|(?<![\w*])\*(?![\s*])([^*\n]*?[^\s*])\*(?![\w*])/g

/**
 * @param {string} text
 * @returns {Node[]}
 */
export function markdownNodes (text) {
  const plain = text
    .replace(/^([ \t]*)[*+-][ \t]+/gm, '$1• ')
    .replace(/^#{1,6}[ \t]+(.+)$/gm, '**$1**')
  /** @type {Node[]} */
  const nodes = []
  let last = 0
  for (const m of plain.matchAll(INLINE)) {
    const at = m.index ?? 0
    if (at > last) nodes.push(document.createTextNode(plain.slice(last, at)))
    const [, bold, bold2, code, italic] = m
    const el = document.createElement(code !== undefined ? 'code' : italic !== undefined ? 'em' : 'strong')
    el.textContent = bold ?? bold2 ?? code ?? italic ?? ''
    nodes.push(el)
    last = at + m[0].length
  }
  if (last < plain.length) nodes.push(document.createTextNode(plain.slice(last)))
  return nodes
}
