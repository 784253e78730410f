import t from 'tap'
import { readFileSync } from 'node:fs'
import { configMarkdown, errorsMarkdown, withReadmeEnvTable } from '../../src/docs.js'
import { ERRORS } from '../../src/errors.js'
import { ENV_VARS } from '../../src/config.js'

t.test('docs/errors.md lists every registered error code, and nothing else', async (t) => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
  t.equal(doc, errorsMarkdown(), 'docs/errors.md is up to date (run `npm run docs`)')
  const documented = [...doc.matchAll(/<a id="(lg_err_[a-z_]+)"><\/a>`(LG_ERR_[A-Z_]+)`/g)].map((m) => m[2])
  t.same(documented.sort(), Object.keys(ERRORS).sort())
  // LG_ERR_INTERNAL has no area: it is a fault in livegate itself, whichever area it came from (issue 10).
  for (const code of Object.keys(ERRORS)) t.match(code, /^LG_ERR_((CONFIG|AUTH|RELAY|UPSTREAM|TOOL|RENDER|ARTIFACT|MAP|OUTBOUND|HTTP|LIMIT)_[A-Z_]+|INTERNAL)$/)
})

t.test('docs/config.md lists every environment variable', async (t) => {
  const doc = readFileSync(new URL('../../docs/config.md', import.meta.url), 'utf8')
  t.equal(doc, configMarkdown(), 'docs/config.md is up to date (run `npm run docs`)')
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  t.equal(readme, withReadmeEnvTable(readme), 'README\'s configuration table is up to date (run `npm run docs`)')
  for (const v of ENV_VARS) t.match(readme, v.name, `README mentions ${v.name}`)
})
