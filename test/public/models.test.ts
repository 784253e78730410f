/**
 * The page's model list (public/models.js) and docs/models.md are generated from src/live/models.ts, and the page's
 * choices (public/model-choice.js, plain browser JavaScript without DOM use) follow the list: the GA default, Text
 * only where a model can give it, a remembered shut-down model replaced.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { modelsMarkdown, modelsModule } from '../../src/docs.js'
import { DEFAULT_LIVE_MODEL, LIVE_MODELS, effectiveBehavior, liveModel, modelId, servedModels, supportsModality } from '../../src/live/models.js'

interface PageModel { id: string, status: string, responseModalities: readonly string[], defaultBehavior: string, shutdown?: string }
interface ChoiceModule {
  DEFAULT_MODEL: string
  knownModel (id: string): PageModel | undefined
  offeredModels (): PageModel[]
  repliesFor (id: string): readonly string[]
  startingModel (saved: string | undefined): { model: string, replaced?: { id: string, shutdown?: string } }
  repliesHint (id: string): string
}

const publicFile = (file: string): string => path.resolve(import.meta.dirname, '../../public', file)
const choice = await import(pathToFileURL(publicFile('model-choice.js')).href) as ChoiceModule

t.test('public/models.js and docs/models.md are up to date with src/live/models.ts', async (t) => {
  t.equal(readFileSync(publicFile('models.js'), 'utf8'), modelsModule(), 'public/models.js is up to date (run `npm run docs`)')
  const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/models.md'), 'utf8')
  t.equal(doc, modelsMarkdown(), 'docs/models.md is up to date (run `npm run docs`)')
  for (const m of LIVE_MODELS) t.match(doc, `\`${m.id}\``, `docs/models.md names ${m.id}`)
})

t.test('the list: the GA default, the shut-down models, the modalities and function defaults of the reference', async (t) => {
  t.equal(DEFAULT_LIVE_MODEL, 'gemini-3.8-live')
  t.match(liveModel('models/gemini-3.8-live'), { status: 'ga', responseModalities: ['AUDIO'], defaultBehavior: 'NON_BLOCKING' })
  t.match(liveModel('gemini-live-2.5-flash-preview'), { status: 'shut-down', shutdown: '2025-12-09' })
  t.match(liveModel('gemini-2.0-flash-live-001'), { status: 'shut-down', shutdown: '2025-12-09' })
  t.equal(supportsModality('gemini-3.8-live', 'TEXT'), false)
  t.equal(supportsModality('gemini-3.1-flash-live-preview', 'TEXT'), true)
  t.equal(supportsModality('a-model-livegate-does-not-know', 'TEXT'), true, 'Gemini is the judge of unknown ids')
  t.equal(modelId('projects/p/locations/us-central1/publishers/google/models/gemini-3.8-live'), 'gemini-3.8-live', 'a Vertex resource name')
  t.notOk(servedModels().some((m) => m.status === 'shut-down'))
  const behaviors: Array<[string | undefined, unknown, string]> = [
    ['models/gemini-3.8-live', undefined, 'NON_BLOCKING'],
    ['gemini-3.8-live', 'BLOCKING', 'BLOCKING'],
    ['gemini-3.8-live-extended-thinking', 'BLOCKING', 'NON_BLOCKING'],
    ['gemini-3.1-flash-live-preview', 'NON_BLOCKING', 'BLOCKING'],
    ['gemini-2.5-flash-native-audio-preview-12-2025', 'NON_BLOCKING', 'NON_BLOCKING'],
    ['gemini-2.5-flash-native-audio-preview-12-2025', undefined, 'BLOCKING'],
    ['unknown-model', 'NON_BLOCKING', 'NON_BLOCKING'],
    ['unknown-model', undefined, 'BLOCKING'],
    [undefined, undefined, 'BLOCKING'],
  ]
  for (const [model, declared, expected] of behaviors) t.equal(effectiveBehavior(model, declared), expected, `${String(model)} with ${String(declared)}`)
})

t.test('the page offers the served models, GA first, and Text only where the model can give it', async (t) => {
  t.equal(choice.DEFAULT_MODEL, 'gemini-3.8-live')
  const offered = choice.offeredModels().map((m) => m.id)
  t.equal(offered[0], 'gemini-3.8-live')
  t.notOk(offered.includes('gemini-live-2.5-flash-preview'))
  t.same(choice.repliesFor('gemini-3.8-live'), ['AUDIO'])
  t.same(choice.repliesFor('models/gemini-3.1-flash-live-preview'), ['AUDIO', 'TEXT'])
  t.same(choice.repliesFor('my-tuned-live-model'), ['AUDIO', 'TEXT'])
  t.match(choice.repliesHint('gemini-3.8-live'), /audio only/)
  t.match(choice.repliesHint('gemini-2.0-flash-live-001'), /shut down on 2025-12-09/)
})

t.test('a remembered model Google shut down is replaced by the GA default; others are kept', async (t) => {
  t.same(choice.startingModel(undefined), { model: 'gemini-3.8-live' })
  t.same(choice.startingModel(''), { model: 'gemini-3.8-live' })
  t.same(choice.startingModel('gemini-live-2.5-flash-preview'), { model: 'gemini-3.8-live', replaced: { id: 'gemini-live-2.5-flash-preview', shutdown: '2025-12-09' } })
  t.same(choice.startingModel('gemini-2.0-flash-exp'), { model: 'gemini-3.8-live', replaced: { id: 'gemini-2.0-flash-exp' } })
  t.same(choice.startingModel('gemini-3.1-flash-live-preview'), { model: 'gemini-3.1-flash-live-preview' })
  t.same(choice.startingModel('my-tuned-live-model'), { model: 'my-tuned-live-model' })
})
