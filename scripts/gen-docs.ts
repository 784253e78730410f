import { readFileSync, writeFileSync } from 'node:fs'
import { configMarkdown, errorsMarkdown, modelsMarkdown, modelsModule, withReadmeEnvTable } from '../src/docs.js'

writeFileSync(new URL('../docs/errors.md', import.meta.url), errorsMarkdown())
writeFileSync(new URL('../docs/config.md', import.meta.url), configMarkdown())
writeFileSync(new URL('../docs/models.md', import.meta.url), modelsMarkdown())
writeFileSync(new URL('../public/models.js', import.meta.url), modelsModule())
const readme = new URL('../README.md', import.meta.url)
writeFileSync(readme, withReadmeEnvTable(readFileSync(readme, 'utf8')))
