import { readFileSync, writeFileSync } from 'node:fs'
import { configMarkdown, errorsMarkdown, withReadmeEnvTable } from '../src/docs.js'

writeFileSync(new URL('../docs/errors.md', import.meta.url), errorsMarkdown())
writeFileSync(new URL('../docs/config.md', import.meta.url), configMarkdown())
const readme = new URL('../README.md', import.meta.url)
writeFileSync(readme, withReadmeEnvTable(readFileSync(readme, 'utf8')))
