import t from 'tap'
import { EnergyVad, OUTPUT_RATE, SpeechSynth, pcmRate } from '../../src/simulator/audio.js'
import { pcm } from './client.js'

function rms (buf: Buffer): number {
  let sum = 0
  for (let i = 0; i < buf.length; i += 2) sum += buf.readInt16LE(i) ** 2
  return Math.sqrt(sum / (buf.length / 2))
}

t.test('speech is audible 24 kHz PCM whose length follows the text', async (t) => {
  const short = new SpeechSynth('Hello there.')
  const long = new SpeechSynth('Hello there. This sentence is a good deal longer than the first one.')
  t.ok(long.totalSamples > 3 * short.totalSamples, 'longer text, longer audio')
  const seconds = short.totalSamples / OUTPUT_RATE
  t.ok(seconds > 0.5 && seconds < 1.5, `about 0.06 s per character (${seconds.toFixed(2)} s)`)
  const audio = short.next(short.totalSamples)
  t.equal(audio.length, short.totalSamples * 2, '16-bit mono')
  t.ok(rms(audio) > 1500, `clearly audible (rms ${Math.round(rms(audio))})`)
  t.ok(short.done)
  t.equal(short.next(100).length, 0, 'nothing after the end')
  // Not a constant tone: words and pauses alternate.
  const windows = []
  for (let at = 0; at + 960 <= audio.length; at += 960) windows.push(rms(audio.subarray(at, at + 960)))
  t.ok(windows.some((w) => w < 50) && windows.some((w) => w > 2000), 'loud syllables and silent gaps')
})

t.test('the same text gives the same audio, and chunking does not change it', async (t) => {
  const whole = new SpeechSynth('Dune: Part Two').next(1e9)
  const synth = new SpeechSynth('Dune: Part Two')
  const parts: Buffer[] = []
  while (!synth.done) parts.push(synth.next(2400))
  t.same(Buffer.concat(parts), whole)
})

t.test('textUntil hands out each character once, in time order', async (t) => {
  const text = 'One two three four.'
  const synth = new SpeechSynth(text)
  const deltas: string[] = []
  while (!synth.done) {
    synth.next(2400)
    deltas.push(synth.textUntil(synth.position))
  }
  t.equal(deltas.join(''), text)
  t.ok(deltas.filter((d) => d !== '').length >= 3, 'spread over the chunks')
})

t.test('pcmRate reads the rate from the mime type', async (t) => {
  t.equal(pcmRate('audio/pcm;rate=16000'), 16000)
  t.equal(pcmRate('audio/pcm; rate=24000'), 24000)
  t.equal(pcmRate('audio/pcm'), 16000, 'bare audio/pcm (the cookbook\'s Python) is 16 kHz')
  t.equal(pcmRate(undefined), 16000)
  t.equal(pcmRate('audio/pcm;rate=nonsense'), 16000)
})

t.test('the VAD starts on speech energy and ends after the silence window', async (t) => {
  const vad = new EnergyVad(500)
  t.same(vad.push(pcm(200, 16000, 0), 16000), [], 'silence is nothing')
  t.same(vad.push(pcm(20), 16000), [{ type: 'start' }])
  t.same(vad.push(pcm(780), 16000), [], 'still speaking')
  t.same(vad.push(pcm(400, 16000, 0), 16000), [], 'a pause shorter than the window')
  t.same(vad.push(pcm(200), 16000), [], 'speech resumes')
  const end = vad.push(pcm(600, 16000, 0), 16000)
  t.same(end, [{ type: 'end', speechMs: 1400 }], 'ends 500 ms into the silence; speech ran 1.4 s')
  t.notOk(vad.speaking)
  t.same(vad.push(Buffer.concat([pcm(100), pcm(600, 16000, 0)]), 16000).map((e) => e.type), ['start', 'end'], 'both in one chunk')
  vad.push(pcm(100, 24000), 24000)
  t.same(vad.flush(), { type: 'end', speechMs: 100 }, 'flush ends an utterance (audioStreamEnd)')
  t.equal(vad.flush(), undefined)
})
