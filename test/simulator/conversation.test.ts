import t from 'tap'
import type { Script } from '../../src/simulator/index.js'
import { GA_AUDIO_SETUP, RawClient, has, isTurnComplete, openSession, pcm, sendAudio, shape, spokenOf, startTestSimulator, textOf, type Frame } from './client.js'

const WEATHER = { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } } } }
const TIME = { name: 'get_time', description: 'Time in a city', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } } } }

function rms (buf: Buffer): number {
  let sum = 0
  for (let i = 0; i < buf.length; i += 2) sum += buf.readInt16LE(i) ** 2
  return Math.sqrt(sum / (buf.length / 2))
}

const callsOf = (frame: { json: Record<string, any> }): Array<{ id: string, name: string, args: Record<string, unknown> }> => frame.json.toolCall.functionCalls // eslint-disable-line @typescript-eslint/no-explicit-any

t.test('AUDIO modality: 24 kHz PCM inlineData chunks with outputTranscription deltas', async (t) => {
  const line = 'Arrival is the shortest of the five, at one hundred and sixteen minutes.'
  const sim = await startTestSimulator(t, { script: { rules: [{ match: /.*/, reply: [{ say: line }] }] } })
  const client = await openSession(sim, { generationConfig: { responseModalities: ['AUDIO'] }, outputAudioTranscription: {} })
  client.say('go')
  const frames = await client.turn(client.mark())
  t.same(frames.map(shape).slice(-2), ['generationComplete', 'turnComplete+usage'])
  const audio = frames.slice(0, -2)
  t.ok(audio.length >= 10, `${audio.length} audio frames`)
  t.ok(audio.every((f) => shape(f).startsWith('audio')), 'every content frame carries audio')
  const parts = audio.map((f) => f.json.serverContent.modelTurn.parts[0].inlineData)
  t.ok(parts.every((p) => p.mimeType === 'audio/pcm;rate=24000'))
  const pcmOut = Buffer.concat(parts.map((p) => Buffer.from(p.data, 'base64')))
  const seconds = pcmOut.length / 2 / 24000
  t.ok(seconds > 3 && seconds < 8, `${seconds.toFixed(1)} s of audio for ${line.length} characters`)
  t.ok(rms(pcmOut) > 1000, 'audible')
  const transcript = audio.map((f) => f.json.serverContent.outputTranscription?.text ?? '').join('')
  t.equal(transcript, line, 'transcription deltas concatenate to what was said')
  t.ok(audio.filter((f) => f.json.serverContent.outputTranscription !== undefined).length > 3, 'spread over the audio')
  t.equal(textOf(frames), '', 'no text parts in an audio turn')
  t.match(frames.at(-1)!.json.usageMetadata, { responseTokensDetails: [{ modality: 'AUDIO' }] })
  client.ws.close()
})

t.test('no outputTranscription unless setup asks for it; AUDIO is the default modality', async (t) => {
  const sim = await startTestSimulator(t, { script: { rules: [{ match: /.*/, reply: [{ say: 'Hello there.' }] }] } })
  const client = await RawClient.open(sim.wsUrl())
  client.send({ setup: { model: 'models/gemini-3.1-flash-live-preview' } })
  await client.waitFor(has('setupComplete'))
  client.send({ realtimeInput: { text: 'hi' } })
  const frames = await client.turn(1)
  t.ok(frames.some((f) => shape(f) === 'audio'))
  t.notOk(frames.some((f) => f.json.serverContent?.outputTranscription !== undefined))
  client.ws.close()
})

t.test('a BLOCKING call: toolCall with a Gemini-style id, nothing more until the response, then a turn using it', async (t) => {
  const script: Script = {
    rules: [{
      match: /weather/,
      reply: [
        { call: { name: 'get_weather', args: { city: 'Paris' } } },
        { sayFrom: (responses) => `It is ${String(responses[0]?.response.output)} in Paris.` },
      ],
    }],
  }
  const sim = await startTestSimulator(t, { script })
  const client = await openSession(sim, { tools: [{ functionDeclarations: [WEATHER] }] })
  const from = client.mark()
  client.say('weather please')
  const callFrame = await client.waitFor(has('toolCall'), from)
  const [call] = callsOf(callFrame)
  t.match(call, { name: 'get_weather', args: { city: 'Paris' } })
  t.match(call?.id, /^function-call-\d{1,19}$/)
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(client.frames.length, client.frames.indexOf(callFrame) + 1, 'the model waits: no generationComplete or turnComplete yet')
  client.send({ tool_response: { function_responses: [{ id: call!.id, name: 'get_weather', response: { output: 'sunny' } }] } })
  const frames = await client.turn(from)
  t.equal(textOf(frames), 'It is sunny in Paris.')
  t.same(frames.map(shape).slice(-2), ['generationComplete', 'turnComplete+usage'])
  client.ws.close()
})

t.test('parallel calls in one toolCall: the turn goes on only when every id is answered, responses in call order', async (t) => {
  const script: Script = {
    rules: [{
      match: /both/,
      reply: [
        { call: [{ name: 'get_weather', args: { city: 'Oslo' } }, { name: 'get_time', args: { city: 'Oslo' } }] },
        { sayFrom: (responses) => responses.map((r) => `${r.name}=${String(r.response.output)}`).join(', ') },
      ],
    }],
  }
  const sim = await startTestSimulator(t, { script })
  const client = await openSession(sim, { tools: [{ functionDeclarations: [WEATHER, TIME] }] })
  const from = client.mark()
  client.say('both')
  const calls = callsOf(await client.waitFor(has('toolCall'), from))
  t.same(calls.map((c) => c.name), ['get_weather', 'get_time'])
  t.not(calls[0]!.id, calls[1]!.id, 'distinct ids')
  client.send({ toolResponse: { functionResponses: [{ id: calls[1]!.id, name: 'get_time', response: { output: '12:00' } }] } })
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.notOk(client.frames.slice(from).some(isTurnComplete), 'still waiting for the other id')
  client.send({ toolResponse: { functionResponses: [{ id: calls[0]!.id, name: 'get_weather', response: { output: 'snow' } }] } })
  const frames = await client.turn(from)
  t.equal(textOf(frames), 'get_weather=snow, get_time=12:00')
  client.ws.close()
})

t.test('a function not declared in setup.tools is never called: the model says so', async (t) => {
  const sim = await startTestSimulator(t, { script: { rules: [{ match: /.*/, reply: [{ call: { name: 'get_weather' } }, { say: 'unreachable' }] }] } })
  const client = await openSession(sim, { tools: [{ googleSearch: {} }] })
  client.say('weather?')
  const frames = await client.turn(1)
  t.notOk(frames.some(has('toolCall')))
  t.match(textOf(frames), /no function named get_weather was declared/)
  t.notMatch(textOf(frames), /unreachable/)
  client.ws.close()
})

t.test('gemini-3.8-live: an undeclared behavior is NON_BLOCKING; the model keeps talking, the turn ends, the result is spoken as its scheduling says', async (t) => {
  const script: Script = {
    rules: [
      { match: /book/, reply: [{ say: 'Booking it.' }, { call: { name: 'get_weather' }, meanwhile: [{ say: 'Anything else?' }] }, { sayFrom: (r) => `Done: ${String(r[0]?.response.output)}.` }] },
      { match: /chat/, reply: [{ wait: 1000 }, { say: 'chatting along' }] },
    ],
  }
  const sim = await startTestSimulator(t, { script })
  // No `behavior` in the declaration: 3.8's default applies.
  const client = await openSession(sim, { ...GA_AUDIO_SETUP, tools: [{ functionDeclarations: [WEATHER] }] })
  const notAudio = (frames: Frame[]): string[] => frames.map(shape).filter((s) => !s.startsWith('audio'))

  let from = client.mark()
  client.say('book a table')
  const first = await client.turn(from)
  t.same(notAudio(first), ['toolCall', 'generationComplete', 'turnComplete+interactionStatus+usage'], 'the call does not hold the turn')
  t.equal(spokenOf(first), 'Booking it. Anything else?', 'the model kept talking after the call')
  const callAt = first.findIndex(has('toolCall'))
  t.equal(spokenOf(first.slice(0, callAt)).trim(), 'Booking it.', 'before the call')
  t.equal(spokenOf(first.slice(callAt)).trim(), 'Anything else?', 'while the call runs')
  t.equal(first.at(-1)!.json.serverContent.interactionStatus, 'IN_PROGRESS', 'the call is still running')
  const [call] = callsOf(first.find(has('toolCall'))!)

  from = client.mark()
  client.send({ toolResponse: { functionResponses: [{ id: call!.id, name: 'get_weather', response: { output: 'sunny' }, scheduling: 'WHEN_IDLE' }] } })
  const result = await client.turn(from)
  t.equal(spokenOf(result), 'Done: sunny.', 'WHEN_IDLE and idle: a new turn at once')
  t.equal(result.at(-1)!.json.serverContent.interactionStatus, 'IDLE')

  // SILENT: the model takes note and says nothing.
  from = client.mark()
  client.say('book again')
  const [again] = callsOf(await client.waitFor(has('toolCall'), from))
  await client.turn(from)
  from = client.mark()
  client.send({ toolResponse: { functionResponses: [{ id: again!.id, name: 'get_weather', response: { output: 'x' }, scheduling: 'SILENT' }] } })
  await new Promise((resolve) => setTimeout(resolve, 80))
  t.equal(client.frames.length, from, 'SILENT: nothing')

  // WHEN_IDLE (the default) while the model is talking: after its turn, which the result does not break.
  client.say('book once more')
  const [third] = callsOf(await client.waitFor(has('toolCall'), from))
  await client.turn(from)
  from = client.mark()
  client.say('chat')
  await new Promise((resolve) => setTimeout(resolve, 20))
  client.send({ toolResponse: { functionResponses: [{ id: third!.id, name: 'get_weather', response: { output: 'rain' } }] } })
  const chat = await client.turn(from, 5000)
  t.equal(spokenOf(chat), 'chatting along', 'the running turn finishes first')
  t.notOk(chat.some((f) => f.json.serverContent?.interrupted === true), 'not interrupted')
  t.equal(spokenOf(await client.turn(client.frames.indexOf(chat.at(-1)!) + 1)), 'Done: rain.')

  // INTERRUPT: cuts the running turn.
  from = client.mark()
  client.say('book the last one')
  const [fourth] = callsOf(await client.waitFor(has('toolCall'), from))
  await client.turn(from)
  from = client.mark()
  client.say('chat')
  await new Promise((resolve) => setTimeout(resolve, 20))
  client.send({ toolResponse: { functionResponses: [{ id: fourth!.id, name: 'get_weather', response: { output: 'fog' }, scheduling: 'INTERRUPT' }] } })
  const cut = await client.turn(from, 5000)
  t.same(cut.map(shape), ['interrupted', 'turnComplete+interactionStatus+usage'], 'the turn that had not spoken yet is closed: interrupted, turnComplete')
  t.equal(spokenOf(await client.turn(client.frames.indexOf(cut.at(-1)!) + 1)), 'Done: fog.')
  client.ws.close()
})

t.test('gemini-3.8-live: a result that lands while the model is still talking waits for its turn (WHEN_IDLE) or cuts it (INTERRUPT)', async (t) => {
  const script: Script = {
    rules: [{
      match: /weather/,
      reply: [
        { call: { name: 'get_weather' }, meanwhile: [{ say: 'Checking.' }, { untilAnswered: 30_000 }, { say: 'Still talking about the weather in general, at some length, while the answer waits.' }] },
        { sayFrom: (r) => `It is ${String(r[0]?.response.output)}.` },
      ],
    }],
  }
  const sim = await startTestSimulator(t, { script })
  for (const scheduling of ['WHEN_IDLE', 'INTERRUPT']) {
    const client = await openSession(sim, { ...GA_AUDIO_SETUP, tools: [{ functionDeclarations: [WEATHER] }] })
    const from = client.mark()
    client.say('weather?')
    const [call] = callsOf(await client.waitFor(has('toolCall'), from))
    await client.waitFor((f) => spokenOf([f]).includes('.'), from)
    t.notOk(client.frames.slice(from).some(isTurnComplete), `${scheduling}: the model is still in its turn`)
    client.send({ toolResponse: { functionResponses: [{ id: call!.id, name: 'get_weather', response: { output: 'hail' }, scheduling }] } })
    const first = await client.turn(from)
    const second = await client.turn(client.frames.indexOf(first.at(-1)!) + 1)
    t.equal(spokenOf(second), 'It is hail.', `${scheduling}: the result is spoken in a turn of its own`)
    if (scheduling === 'WHEN_IDLE') {
      t.equal(spokenOf(first), 'Checking. Still talking about the weather in general, at some length, while the answer waits.', 'WHEN_IDLE: the turn is finished first')
      t.notOk(first.some((f) => f.json.serverContent?.interrupted === true), 'WHEN_IDLE: not interrupted')
      t.equal(first.at(-1)!.json.serverContent.interactionStatus, 'IN_PROGRESS', 'WHEN_IDLE: more to say')
    } else {
      t.ok(first.some((f) => f.json.serverContent?.interrupted === true), 'INTERRUPT: the talking is cut off')
      t.notOk(first.some(has('toolCallCancellation')), 'INTERRUPT: nothing to cancel (the call is answered)')
    }
    client.ws.close()
  }
})

t.test('behaviour follows the model: BLOCKING declared on 3.8 holds the turn; NON_BLOCKING on the sync-only 3.1 preview does too', async (t) => {
  const script: Script = { rules: [{ match: /weather/, reply: [{ call: { name: 'get_weather' }, meanwhile: [{ say: 'never said' }] }, { sayFrom: (r) => `It is ${String(r[0]?.response.output)}.` }] }] }
  const sim = await startTestSimulator(t, { script })
  const cases = [
    { name: 'gemini-3.8-live, behavior BLOCKING', setup: { ...GA_AUDIO_SETUP, tools: [{ functionDeclarations: [{ ...WEATHER, behavior: 'BLOCKING' }] }] }, read: spokenOf },
    { name: 'gemini-3.1-flash-live-preview, behavior NON_BLOCKING', setup: { tools: [{ functionDeclarations: [{ ...WEATHER, behavior: 'NON_BLOCKING' }] }] }, read: textOf },
  ]
  for (const c of cases) {
    const client = await openSession(sim, c.setup)
    const from = client.mark()
    client.say('weather?')
    const [call] = callsOf(await client.waitFor(has('toolCall'), from))
    await new Promise((resolve) => setTimeout(resolve, 100))
    t.notOk(client.frames.slice(from).some(isTurnComplete), `${c.name}: the turn waits for the response`)
    client.send({ toolResponse: { functionResponses: [{ id: call!.id, name: 'get_weather', response: { output: 'snow' } }] } })
    const frames = await client.turn(from)
    t.equal(c.read(frames), 'It is snow.', `${c.name}: one turn, the result in it, nothing said meanwhile`)
    client.ws.close()
  }
})

t.test('barge-in by clientContent: interrupted, then turnComplete, never generationComplete; then the new answer', async (t) => {
  const long = 'This answer is long enough to take a while to stream out, word by word, delta by delta, until the end.'.repeat(10)
  const sim = await startTestSimulator(t, {
    chunkDelayMs: 15,
    script: { rules: [{ match: /long/, reply: [{ say: long }] }, { match: /stop/, reply: [{ say: 'Stopped.' }] }] },
  })
  const client = await openSession(sim)
  const from = client.mark()
  client.say('long please')
  await client.waitFor((f) => shape(f) === 'text', from)
  client.say('stop')
  const cut = await client.turn(from)
  const shapes = cut.map(shape)
  t.same(shapes.slice(-2), ['interrupted', 'turnComplete+usage'])
  t.notOk(shapes.includes('generationComplete'))
  t.ok(textOf(cut).length < long.length, 'the answer was cut short')
  const next = await client.turn(client.frames.indexOf(cut.at(-1)!) + 1)
  t.equal(textOf(next), 'Stopped.')
  client.ws.close()
})

t.test('barge-in while a BLOCKING call is pending: toolCallCancellation with its ids; a late response is ignored', async (t) => {
  const script: Script = {
    rules: [
      { match: /both/, reply: [{ call: [{ name: 'get_weather' }, { name: 'get_time' }] }, { say: 'never' }] },
      { match: /cancel/, reply: [{ say: 'Cancelled.' }] },
    ],
  }
  const sim = await startTestSimulator(t, { script })
  const client = await openSession(sim, { tools: [{ functionDeclarations: [WEATHER, TIME] }] })
  const from = client.mark()
  client.say('both')
  const calls = callsOf(await client.waitFor(has('toolCall'), from))
  client.say('cancel that')
  const cut = await client.turn(from)
  t.same(cut.map(shape), ['toolCall', 'interrupted', 'toolCallCancellation', 'turnComplete+usage'])
  t.same(cut[2]!.json.toolCallCancellation, { ids: calls.map((c) => c.id) })
  const next = await client.turn(client.frames.indexOf(cut.at(-1)!) + 1)
  t.equal(textOf(next), 'Cancelled.')
  const mark = client.mark()
  client.send({ toolResponse: { functionResponses: [{ id: calls[0]!.id, name: 'get_weather', response: {} }] } })
  await new Promise((resolve) => setTimeout(resolve, 80))
  t.equal(client.frames.length, mark, 'nothing happens')
  client.say('cancel again')
  t.equal(textOf(await client.turn(mark)), 'Cancelled.', 'the session goes on')
  client.ws.close()
})

t.test('audio in: speech then ~500 ms of silence is a user turn, with inputTranscription when asked', async (t) => {
  const sim = await startTestSimulator(t, {
    script: { rules: [{ match: /weather/, reply: (turn) => [{ say: `You spoke for ${String(turn.audioMs)} ms.` }] }], transcribe: () => 'what is the weather' },
  })
  const client = await openSession(sim, { inputAudioTranscription: {} })
  const from = client.mark()
  sendAudio(client, Buffer.concat([pcm(100, 16000, 0), pcm(600), pcm(300, 16000, 0)]))
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(client.frames.length, from, 'a pause shorter than the silence window: the user is still talking')
  sendAudio(client, pcm(300, 16000, 0))
  const frames = await client.turn(from)
  t.same(frames[0]!.json, { serverContent: { inputTranscription: { text: 'what is the weather', finished: true } } })
  t.equal(textOf(frames), 'You spoke for 600 ms.')
  client.ws.close()
})

t.test('audio in: the default transcript describes the speech; audioStreamEnd ends the turn; mediaChunks audio counts too', async (t) => {
  const sim = await startTestSimulator(t, { script: { rules: [], fallback: (turn) => [{ say: `heard ${turn.text}` }] } })
  const client = await openSession(sim, { inputAudioTranscription: {} })
  let from = client.mark()
  sendAudio(client, pcm(1200, 24000), 24000)
  client.send({ realtimeInput: { audioStreamEnd: true } })
  let frames = await client.turn(from)
  t.equal(frames[0]!.json.serverContent.inputTranscription.text, '[1.2 s of speech]', 'rate read from the mime type')
  t.equal(textOf(frames), 'heard [1.2 s of speech]')
  from = client.mark()
  client.send({ realtime_input: { media_chunks: [{ mime_type: 'audio/pcm', data: Buffer.concat([pcm(400), pcm(600, 16000, 0)]).toString('base64') }] } })
  frames = await client.turn(from)
  t.equal(textOf(frames), 'heard [0.4 s of speech]')
  client.ws.close()
})

t.test('speech during a model turn barges in; NO_INTERRUPTION lets the model finish first', async (t) => {
  const long = 'A long answer that keeps going for quite some time so that the user can talk over it. '.repeat(8)
  const script: Script = { rules: [{ match: /go/, reply: [{ say: long }] }], fallback: [{ say: 'Yes?' }] }
  for (const handling of ['START_OF_ACTIVITY_INTERRUPTS', 'NO_INTERRUPTION']) {
    const sim = await startTestSimulator(t, { chunkDelayMs: 25, script })
    const client = await openSession(sim, { realtimeInputConfig: { activityHandling: handling } })
    const from = client.mark()
    client.send({ realtimeInput: { text: 'go' } })
    await client.waitFor((f) => shape(f) === 'text', from)
    sendAudio(client, Buffer.concat([pcm(300), pcm(600, 16000, 0)]))
    const first = await client.turn(from, 10000)
    const next = await client.turn(client.frames.indexOf(first.at(-1)!) + 1, 10000)
    if (handling === 'NO_INTERRUPTION') {
      t.equal(textOf(first), long, `${handling}: the answer is complete`)
      t.equal(first.at(-2) !== undefined && shape(first.at(-2)!), 'generationComplete')
    } else {
      t.ok(first.some(has('serverContent')) && first.map(shape).includes('interrupted'), `${handling}: interrupted`)
    }
    t.equal(textOf(next), 'Yes?', `${handling}: then the user's turn is answered`)
    client.ws.close()
  }
})

t.test('manual activity (automatic detection disabled): activityStart … activityEnd is a turn', async (t) => {
  const sim = await startTestSimulator(t, { script: { rules: [], fallback: (turn) => [{ say: `got ${String(turn.audioMs)} ms` }] } })
  const client = await openSession(sim, { realtimeInputConfig: { automaticActivityDetection: { disabled: true } } })
  const from = client.mark()
  client.send({ realtimeInput: { activityStart: {} } })
  sendAudio(client, pcm(400, 16000, 0)) // even silence counts between the markers
  await new Promise((resolve) => setTimeout(resolve, 30))
  t.equal(client.frames.length, from, 'no VAD: silence does not end the turn')
  client.send({ realtimeInput: { activityEnd: {} } })
  t.equal(textOf(await client.turn(from)), 'got 400 ms')
  client.ws.close()
})

t.test('realtimeInput.text is a user turn; clientContent without turnComplete waits for more', async (t) => {
  const sim = await startTestSimulator(t, { script: { rules: [], fallback: (turn) => [{ say: `[${turn.text}] after ${turn.history.length}` }] } })
  const client = await openSession(sim)
  let from = client.mark()
  client.send({ realtimeInput: { text: 'typed' } })
  t.equal(textOf(await client.turn(from)), '[typed] after 0')
  from = client.mark()
  client.send({ clientContent: { turns: [{ role: 'user', parts: [{ text: 'part one' }] }] } })
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(client.frames.length, from, 'turnComplete absent (false): buffered')
  client.send({ clientContent: { turns: [{ role: 'model', parts: [{ text: 'noted' }] }, { role: 'user', parts: [{ text: 'part two' }] }], turnComplete: true } })
  t.equal(textOf(await client.turn(from)), '[part one\npart two] after 3', 'history: typed, its answer, the model turn the client added')
  client.ws.close()
})

t.test('script actions: send, wait, goAway, close; and onSetup runs a proactive turn', async (t) => {
  const script: Script = {
    onSetup: [{ say: 'Welcome.' }],
    rules: [
      { match: /raw/, reply: [{ send: { voiceActivity: { voiceActivityType: 'ACTIVITY_START' } } }] },
      { match: /bye/, reply: [{ wait: 20 }, { close: [1000, 'bye now'] }] },
    ],
  }
  const sim = await startTestSimulator(t, { script })
  const client = await openSession(sim)
  const welcome = await client.turn(0)
  t.equal(textOf(welcome), 'Welcome.')
  const from = client.mark()
  client.say('raw')
  const raw = await client.waitFor(has('voiceActivity'), from)
  t.same(raw.json, { voiceActivity: { voiceActivityType: 'ACTIVITY_START' } })
  await new Promise((resolve) => setTimeout(resolve, 30))
  t.equal(client.frames.length, from + 1, 'exactly one thing: no turnComplete for a reply that said nothing')
  client.say('bye')
  t.same(await client.closed, { code: 1000, reason: 'bye now' })
})
