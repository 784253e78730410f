import t from 'tap'
import { textDeltas, usageMetadata } from '../../src/simulator/turns.js'
import { formatProtoDuration, parseProtoDuration } from '../../src/live/protocol.js'

t.test('textDeltas splits at word boundaries into pieces that rebuild the text', async (t) => {
  for (const text of ['Hello there', 'Based on the search results, the last 5 Denis Villeneuve movies are:\n\n1.  *Dune*', '  spaced  ', 'word']) {
    const deltas = textDeltas(text)
    t.equal(deltas.join(''), text, JSON.stringify(text))
    t.ok(deltas.every((d) => d.length <= 48 || !/\s/.test(d.trim())), 'about 48 characters at most')
  }
  t.ok(textDeltas('Hello there').length >= 2, 'two words stream as several deltas')
  t.same(textDeltas(''), [])
})

t.test('usageMetadata has Gemini\'s fields and adds up', async (t) => {
  const text = usageMetadata({ promptTextChars: 40, promptAudioMs: 0, responseTextChars: 400, responseAudioMs: 0 })
  t.same(text, {
    promptTokenCount: 10, responseTokenCount: 100, totalTokenCount: 110,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: 10 }], responseTokensDetails: [{ modality: 'TEXT', tokenCount: 100 }],
  })
  const audio = usageMetadata({ promptTextChars: 0, promptAudioMs: 2000, responseTextChars: 0, responseAudioMs: 1000 })
  t.match(audio, { promptTokenCount: 64, responseTokenCount: 32, totalTokenCount: 96, responseTokensDetails: [{ modality: 'AUDIO', tokenCount: 32 }] })
})

t.test('proto Durations: goAway.timeLeft', async (t) => {
  t.equal(formatProtoDuration(50_000), '50s')
  t.equal(formatProtoDuration(1_500), '1.500s')
  t.equal(formatProtoDuration(0), '0s')
  t.equal(parseProtoDuration('50s'), 50_000)
  t.equal(parseProtoDuration('1.5s'), 1_500)
  t.equal(parseProtoDuration('0.000000001s'), 0)
  t.equal(parseProtoDuration('5'), undefined)
  t.equal(parseProtoDuration(5), undefined)
})
