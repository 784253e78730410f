/**
 * The web client at / in real Chromium, against a real gateway on a loopback port in front of the simulator:
 * typed turns and their streamed answers, the server-rendered chart (and map) as images served by livegate,
 * audio replies reaching the playback queue, interruption, a fake microphone streaming 16 kHz PCM, close reasons
 * and one-click reconnect.
 */
import { mkdir, mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import type { Page } from 'playwright-core'
import { CLIENT_TOKEN, type Gateway } from '../helpers/gateway.js'
import { startE2eGateway as startGateway } from './helpers/e2e-gateway.js'
import { SEED_PROMPTS } from '../../src/simulator/seed.js'
import { chromiumMissing, launchChromium, openClient } from './helpers/browser.js'
import { writeSpeechLikeWav } from './helpers/wav.js'
import { ask, connect, loadedToolImage, modelTurnText, playback, say, waitReady, UI_TIMEOUT_MS, type PageGlobals } from './helpers/page-driver.js'
import { pitchHz, pcmOfAudioFrames } from './helpers/pcm-analysis.js'

// Seven browser sessions, each with its own gateway and cold render worker: far more than the default per-file
// limit when the machine is busy (a limit, not a speed check).
t.setTimeout(900_000)

const missing = chromiumMissing()
if (missing !== undefined) t.fail(missing)

/** A current model that can answer in text. */
const TEXT_MODEL = 'gemini-3.1-flash-live-preview'
/** The GA model, the page's default: audio replies only. */
const AUDIO_MODEL = 'gemini-3.8-live'
const MIC_TONE_HZ = 440
const ARTIFACTS_DIR = path.resolve(import.meta.dirname, '../../test-artifacts')

const wavDir = await mkdtemp(path.join(os.tmpdir(), 'livegate-e2e-'))
const wav = await writeSpeechLikeWav(path.join(wavDir, 'speech.wav'), { rate: 44100, toneHz: MIC_TONE_HZ })
const browser = await launchChromium(t, { fakeMicWav: wav })

async function scrolledToBottom (page: Page): Promise<boolean> {
  return await page.locator('#conversation-box').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 2)
}

function latestConnection (gw: Gateway): NonNullable<Gateway['sim']['connections'][number]> {
  const conn = gw.sim.connections.at(-1)
  if (conn === undefined) throw new Error('the simulator has no connection')
  return conn
}

t.test('types the seed prompts: streamed text answer, then the chart image served by livegate, then a map', async (t) => {
  const gw = await startGateway(t)
  const { page, errors } = await openClient(browser, gw.httpUrl)
  await connect(page, { token: CLIENT_TOKEN, model: TEXT_MODEL, modality: 'TEXT' })
  await waitReady(page)
  t.match(await page.locator('#status').innerText(), /Connected .* TEXT replies/)
  const setup = latestConnection(gw).setup
  t.same((setup?.generationConfig as Record<string, unknown> | undefined)?.responseModalities, ['TEXT'], 'setup asked for TEXT')

  const answer = await ask(page, SEED_PROMPTS.films)
  t.match(await page.locator('#conversation li.turn.user').first().innerText(), SEED_PROMPTS.films, 'the typed turn is shown')
  t.match(answer, /Dune: Part Two/)
  t.match(answer, /• Sicario \(2015\): 121 minutes/, 'the whole streamed answer arrived in one turn, its Markdown list formatted')
  t.equal(await page.locator('#conversation li.turn.model strong').first().innerText(), 'Dune: Part Two', '**bold** is bold, not asterisks')

  const plotted = await ask(page, SEED_PROMPTS.plot)
  t.match(plotted, /line chart/, 'the model\'s words after the tool run are in the same turn')
  const chart = await loadedToolImage(page, 'render_altair')
  t.ok(chart.naturalWidth > 0 && chart.naturalHeight > 0, `chart has pixels (${chart.naturalWidth}x${chart.naturalHeight})`)
  t.ok(chart.src.startsWith(`${gw.httpUrl}/v1/artifacts/`), `served by livegate: ${chart.src}`)
  t.match(chart.alt, 'Denis Villeneuve Movie Runtimes', 'alt text comes from the chart title')
  const png = await fetch(chart.src)
  t.equal(png.headers.get('content-type'), 'image/png')
  const figure = page.locator('figure.tool-run[data-name="render_altair"]').first()
  t.equal(await figure.getAttribute('data-status'), 'ok')
  const args = figure.locator('details pre')
  t.notOk(await args.isVisible(), 'arguments stay folded until asked for')
  await figure.getByText('Arguments').click()
  t.match(await args.innerText(), /"runtime_minutes": 166/, 'the call arguments, with altair_json unfolded')

  await ask(page, SEED_PROMPTS.sydney)
  const map = await loadedToolImage(page, 'draw_map')
  t.ok(map.naturalWidth > 0 && map.naturalHeight > 0, `map has pixels (${map.naturalWidth}x${map.naturalHeight})`)
  t.ok(map.src.startsWith(`${gw.httpUrl}/`), `map served by livegate: ${map.src}`)
  t.match(map.alt, /^Map centred on -33\.86/, 'alt text names where the map is')
  t.ok(await scrolledToBottom(page), 'the conversation followed the new turns (opening the arguments did not stop it)')

  await mkdir(ARTIFACTS_DIR, { recursive: true })
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'web-client.png'), fullPage: true })

  // A reader who scrolls up to look at the chart is not pulled back down by the next answer.
  await page.locator('#conversation-box').evaluate(async (el) => {
    el.scrollTop = 0
    // Scroll events are dispatched with the next rendering update: wait two frames so the page has seen it.
    // (No named helper here: the test loader would wrap it in a function the page does not have.)
    const raf = (globalThis as unknown as { requestAnimationFrame (cb: () => void): void }).requestAnimationFrame
    await new Promise<void>((resolve) => { raf(() => { raf(resolve) }) })
  })
  await ask(page, 'What did I just say?')
  t.equal(await page.locator('#conversation-box').evaluate((el) => el.scrollTop), 0, 'the view stays where the reader put it')
  t.same(errors, [], 'no script errors on the page')
})

t.test('defaults: the GA model with audio replies; Text only for models that can give it; a remembered shut-down model is replaced', async (t) => {
  const gw = await startGateway(t)
  const { page, errors } = await openClient(browser, gw.httpUrl)
  const model = page.getByLabel('Model')
  const audio = page.getByRole('radio', { name: 'Audio' })
  const text = page.getByRole('radio', { name: 'Text' })
  t.equal(await model.inputValue(), 'gemini-3.8-live', 'the current GA model')
  t.ok(await audio.isChecked(), 'audio replies')
  t.ok(await text.isDisabled(), 'gemini-3.8-live cannot answer in text')
  t.match(await page.locator('#modality-hint').innerText(), /audio only; its words are shown as the reply's text/)
  const suggested = await page.locator('#models option').evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value))
  t.equal(suggested[0], 'gemini-3.8-live', 'GA first')
  t.ok(suggested.includes(TEXT_MODEL))
  t.notOk(suggested.includes('gemini-live-2.5-flash-preview') || suggested.includes('gemini-2.0-flash-live-001'), 'no shut-down model is suggested')

  await model.fill(TEXT_MODEL)
  t.ok(await text.isEnabled(), `${TEXT_MODEL} can answer in text`)
  await text.check()
  await model.fill('gemini-2.5-flash-native-audio-preview-12-2025')
  t.ok(await text.isDisabled() && await audio.isChecked(), 'choosing an audio-only model moves the choice back to Audio')
  await model.fill('some-future-live-model')
  t.ok(await text.isEnabled(), 'a model the page does not know: Gemini decides, both are offered')

  // Connect with the defaults: the setup Gemini gets, the spoken answer, its transcript as the reply's text.
  await model.fill('gemini-3.8-live')
  await connect(page, { token: CLIENT_TOKEN })
  await waitReady(page)
  t.match(latestConnection(gw).setup, {
    model: 'models/gemini-3.8-live',
    generationConfig: { responseModalities: ['AUDIO'] },
    outputAudioTranscription: {},
  })
  await say(page, SEED_PROMPTS.filmsAudio)
  const reply = page.locator('#conversation li.turn.model').first()
  const spoken = await modelTurnText(page, 1)
  t.match(spoken, /Denis Villeneuve's last five films are Dune: Part Two/, 'the transcription is the reply')
  t.match(await reply.locator('.text').innerText(), /^Denis Villeneuve's last five films/, 'shown as the reply\'s text')
  t.ok((await playback(page)).samplesQueued > 0, 'and the audio is played')

  // Someone who last used the page before Google shut the old default down.
  await page.evaluate(() => {
    const storage = (globalThis as unknown as { localStorage: { setItem (k: string, v: string): void } }).localStorage
    storage.setItem('livegate.settings', JSON.stringify({ model: 'gemini-live-2.5-flash-preview', modality: 'TEXT', voice: 'Puck' }))
  })
  await page.reload()
  t.equal(await model.inputValue(), 'gemini-3.8-live', 'the shut-down model is replaced by the GA one')
  t.ok(await audio.isChecked(), 'with audio replies')
  t.match(await page.locator('#conversation .notice').first().innerText(), /gemini-live-2\.5-flash-preview, the model you used last, was shut down by Google on 2025-12-09/)
  t.same(errors, [], 'no script errors')
})

t.test('on the default gemini-3.8-live the chart call is NON_BLOCKING: the model talks on, the chart appears, the result is spoken after', async (t) => {
  const gw = await startGateway(t)
  const { page, errors } = await openClient(browser, gw.httpUrl)
  await connect(page, { token: CLIENT_TOKEN })
  await waitReady(page)
  await say(page, SEED_PROMPTS.plot)
  const meanwhile = await modelTurnText(page, 1)
  t.match(meanwhile, /drawing a line chart of the runtimes by year/, 'what the model says while the tool runs')
  const chart = await loadedToolImage(page, 'render_altair')
  t.ok(chart.naturalWidth > 0, 'the chart is shown')
  t.match(await modelTurnText(page, 2), /Here is a line chart of the five films/, 'the result is spoken in the next turn')
  const response = await latestConnection(gw).waitFor((f) => f.kind === 'toolResponse', UI_TIMEOUT_MS)
  t.match(response.message, { toolResponse: { functionResponses: [{ name: 'render_altair', scheduling: 'WHEN_IDLE' }] } })
  t.same(errors, [])
})

t.test('AUDIO replies: voice and transcription in setup, samples reach the playback queue, transcript shown', async (t) => {
  const gw = await startGateway(t)
  const { page, errors } = await openClient(browser, gw.httpUrl)
  await connect(page, { token: CLIENT_TOKEN, model: AUDIO_MODEL, modality: 'AUDIO', voice: 'Kore' })
  await waitReady(page)
  const setup = latestConnection(gw).setup ?? {}
  t.match(setup, {
    model: `models/${AUDIO_MODEL}`,
    generationConfig: { responseModalities: ['AUDIO'], speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: 'Kore' } } } },
    inputAudioTranscription: {},
    outputAudioTranscription: {},
  })

  await say(page, SEED_PROMPTS.filmsAudio)
  const text = await modelTurnText(page, 1)
  t.match(text, /Dune/, 'the output transcription is shown in the model turn')
  t.match(text, /speaking/, 'the turn says it was spoken')
  const stats = await playback(page)
  t.ok(stats.samplesQueued > 0, `playback queue received ${stats.samplesQueued} samples`)
  t.equal(stats.sampleRate, 24000, 'played at the rate the mime type names')
  t.same(errors, [])
})

t.test('serverContent.interrupted stops the audio that is queued', async (t) => {
  // The model speaks three 2-second chunks and keeps its turn open, as Gemini does until playback would end.
  const chunk = { mimeType: 'audio/pcm;rate=24000', data: Buffer.alloc(2 * 24000 * 2, 0x10).toString('base64') }
  const speech = { serverContent: { modelTurn: { parts: [{ inlineData: chunk }] } } }
  const script = { rules: [{ match: /story/i, reply: [{ send: speech }, { send: speech }, { send: speech }, { wait: 60_000 }] }] }
  const gw = await startGateway(t, { sim: { script } })
  const { page, errors } = await openClient(browser, gw.httpUrl)
  await connect(page, { token: CLIENT_TOKEN, model: AUDIO_MODEL, modality: 'AUDIO' })
  await waitReady(page)
  await say(page, 'Tell me a long story')
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).livegate.playback.chunksQueued === 3, undefined, { timeout: UI_TIMEOUT_MS })
  const before = await playback(page)
  t.ok(before.pending > 0 && before.bufferedSeconds > 1, `audio is scheduled ahead (${before.bufferedSeconds.toFixed(1)} s)`)
  // What Gemini sends when its voice activity detection hears the user barge in.
  latestConnection(gw).send({ serverContent: { interrupted: true } })
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).livegate.playback.pending === 0, undefined, { timeout: UI_TIMEOUT_MS })
  const after = await playback(page)
  t.equal(after.interruptions, 1)
  t.equal(after.bufferedSeconds, 0, 'nothing left to play')
  t.match(await page.locator('#conversation li.turn.model').first().innerText(), /interrupted/, 'the turn says it was cut off')
  t.same(errors, [])
})

t.test('the microphone streams 16 kHz 16-bit PCM from the AudioWorklet, and the model answers the speech', async (t) => {
  const gw = await startGateway(t)
  const { page, errors } = await openClient(browser, gw.httpUrl)
  await connect(page, { token: CLIENT_TOKEN, model: AUDIO_MODEL, modality: 'AUDIO' })
  await waitReady(page)
  const mic = page.getByRole('button', { name: 'Start microphone' })
  await mic.click()
  await page.getByRole('button', { name: 'Stop microphone' }).waitFor({ timeout: UI_TIMEOUT_MS })
  t.pass('the button now offers to stop the microphone')

  const conn = latestConnection(gw)
  const isAudio = (f: { kind: string, message: Record<string, unknown> }): boolean =>
    f.kind === 'realtimeInput' && (f.message.realtimeInput as { audio?: unknown } | undefined)?.audio !== undefined
  // 50 frames of 40 ms: two seconds of microphone, more than one utterance of the looping WAV.
  await conn.waitFor(() => conn.received.filter(isAudio).length >= 50, UI_TIMEOUT_MS)
  const frames = conn.received.filter(isAudio).map((f) => (f.message.realtimeInput as { audio: { mimeType: string, data: string } }).audio)
  t.ok(frames.every((a) => a.mimeType === 'audio/pcm;rate=16000'), 'every frame declares audio/pcm;rate=16000')
  const sizes = new Set(frames.map((a) => Buffer.from(a.data, 'base64').length))
  t.same([...sizes], [1280], '40 ms of 16-bit samples at 16 kHz per frame')
  const pitch = pitchHz(pcmOfAudioFrames(frames), 16000)
  t.ok(Math.abs(pitch - MIC_TONE_HZ) < 10, `a ${MIC_TONE_HZ} Hz tone read at 16 kHz is still ${MIC_TONE_HZ} Hz (measured ${pitch.toFixed(1)} Hz)`)

  await page.locator('#conversation li.turn.user .transcript').first().waitFor({ timeout: UI_TIMEOUT_MS })
  t.match(await page.locator('#conversation li.turn.user').first().innerText(), /spoken/, 'the input transcription is shown as the user\'s spoken turn')
  await page.locator('#conversation li.turn.model').first().waitFor({ timeout: UI_TIMEOUT_MS })

  await page.getByRole('button', { name: 'Stop microphone' }).click()
  await conn.waitFor((f) => f.kind === 'realtimeInput' && (f.message.realtimeInput as { audioStreamEnd?: unknown }).audioStreamEnd === true, UI_TIMEOUT_MS)
  t.pass('stopping the microphone sends audioStreamEnd')
  const mic2 = await page.evaluate(() => (globalThis as unknown as PageGlobals).livegate.mic)
  t.equal(mic2.active, false)
  t.same(errors, [])
})

t.test('model text is shown as text, never parsed as HTML', async (t) => {
  const evil = 'Try <img src=x onerror="globalThis.pwned=1"> and **<b>bold</b>** and `<script>globalThis.pwned=2</script>`'
  const gw = await startGateway(t, { sim: { script: { rules: [{ match: /html/i, reply: [{ say: evil }] }] } } })
  const { page, errors } = await openClient(browser, gw.httpUrl)
  await connect(page, { token: CLIENT_TOKEN, model: TEXT_MODEL, modality: 'TEXT' })
  await waitReady(page)
  const text = await ask(page, 'Say some HTML')
  t.match(text, 'Try <img src=x onerror="globalThis.pwned=1"> and <b>bold</b> and <script>', 'the markup is visible as typed')
  const turn = page.locator('#conversation li.turn.model').first()
  t.equal(await turn.locator('img, b, script').count(), 0, 'no element came from the model\'s text')
  t.equal(await turn.locator('strong').innerText(), '<b>bold</b>')
  t.equal(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned), undefined)
  t.same(errors, [])
})

t.test('goAway is handled by livegate (the page sees no notice and keeps talking), and a call for a function the page lacks is answered with an error', async (t) => {
  const gw = await startGateway(t)
  const { page, errors } = await openClient(browser, gw.httpUrl)
  await connect(page, { token: CLIENT_TOKEN, model: TEXT_MODEL, modality: 'TEXT' })
  await waitReady(page)
  const first = latestConnection(gw)
  const resumed = gw.sim.nextConnection()
  first.send({ goAway: { timeLeft: '50s' } })
  // The page did not ask for resumption, so livegate resumes on a new upstream connection and keeps the goAway to itself.
  const conn = await resumed
  await conn.waitFor((f) => f.kind === 'setup', UI_TIMEOUT_MS)
  t.ok(conn.resumedFrom !== undefined, 'the new upstream connection resumed the session')
  t.equal(await page.locator('#conversation .notice', { hasText: 'in 50s' }).count(), 0, 'no goAway notice')
  t.equal(await page.locator('#status').getAttribute('data-state'), 'ready', 'the page stays connected')
  // get_weather is no server tool, so livegate passes the call through to the page as Gemini sent it.
  conn.send({ toolCall: { functionCalls: [{ id: 'function-call-1', name: 'get_weather', args: { city: 'Paris' } }] } })
  const answer = await conn.waitFor((f) => f.kind === 'toolResponse', UI_TIMEOUT_MS)
  t.match(answer.message, { toolResponse: { functionResponses: [{ id: 'function-call-1', name: 'get_weather', response: { error: { code: 'NOT_AVAILABLE' } } }] } })
  t.match(await page.locator('#conversation .notice.error', { hasText: 'get_weather' }).innerText(), /cannot run/)
  t.same(errors, [])
})

t.test('a wrong token shows the close code and reason; fixing it connects', async (t) => {
  const gw = await startGateway(t)
  const { page, errors } = await openClient(browser, gw.httpUrl)
  await connect(page, { token: 'not-a-livegate-token', model: TEXT_MODEL, modality: 'TEXT' })
  await page.locator('#status[data-state="closed"]').waitFor({ timeout: UI_TIMEOUT_MS })
  const status = await page.locator('#status').innerText()
  t.match(status, /1008/, 'close code shown')
  t.match(status, /LG_ERR_AUTH_INVALID/, 'close reason shown')
  t.notMatch(status, /not-a-livegate-token/, 'the token is not echoed')
  t.match(await page.locator('#conversation .notice.error').last().innerText(), /1008/)
  await connect(page, { token: CLIENT_TOKEN, model: TEXT_MODEL, modality: 'TEXT' })
  await waitReady(page)
  t.pass('connected with the right token')
  t.same(errors.filter((e) => !e.includes('WebSocket')), [], 'no script errors (the refused socket may log one)')
})

t.test('a server close shows its reason, and Reconnect is one click', async (t) => {
  const gw = await startGateway(t)
  const { page } = await openClient(browser, gw.httpUrl)
  await connect(page, { token: CLIENT_TOKEN, model: TEXT_MODEL, modality: 'TEXT' })
  await waitReady(page)
  // A close livegate does not resume (1011 and drops it would): Gemini refusing the request.
  latestConnection(gw).close(1007, 'Request contains an invalid argument.')
  await page.locator('#status[data-state="closed"]').waitFor({ timeout: UI_TIMEOUT_MS })
  t.match(await page.locator('#status').innerText(), /1007 .*invalid argument/)
  const before = gw.sim.connections.length
  await page.getByRole('button', { name: 'Reconnect', exact: true }).click()
  await waitReady(page)
  t.equal(gw.sim.connections.length, before + 1, 'a new upstream session')
  await say(page, SEED_PROMPTS.films)
  t.match(await modelTurnText(page, 1), /Dune/, 'and it works')
})
