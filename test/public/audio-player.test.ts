/**
 * public/audio-player.js scheduling, on a recording AudioContext with a clock the test moves: chunks that arrive
 * while audio is queued start exactly where the previous one ends (no gap, no overlap), a chunk after silence
 * starts a short lead after now, and interrupt() stops everything scheduled. Chromium runs the real thing in
 * test/e2e/web-client.test.ts.
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'

interface Started { at: number, duration: number, stopped: boolean }

class FakeBuffer {
  readonly duration: number
  constructor (readonly length: number, readonly sampleRate: number) { this.duration = length / sampleRate }
  copyToChannel (): void {}
}

/** Just enough of AudioContext for the player, recording when each source was started. */
class FakeAudioContext {
  static last: FakeAudioContext | undefined
  currentTime = 0
  state = 'running'
  readonly destination = {}
  readonly started: Started[] = []
  constructor () { FakeAudioContext.last = this }
  async resume (): Promise<void> { this.state = 'running' }
  createBuffer (_channels: number, length: number, rate: number): FakeBuffer { return new FakeBuffer(length, rate) }
  createBufferSource (): FakeSource { return new FakeSource(this) }
}

class FakeSource {
  buffer: FakeBuffer | undefined
  onended: (() => void) | null = null
  readonly #record: Started = { at: NaN, duration: 0, stopped: false }
  constructor (readonly context: FakeAudioContext) {}
  connect (): void {}
  disconnect (): void {}
  start (when: number): void {
    this.#record.at = when
    this.#record.duration = this.buffer?.duration ?? 0
    this.context.started.push(this.#record)
  }

  stop (): void { this.#record.stopped = true }
}

interface Player {
  stats: { chunksQueued: number, samplesQueued: number, restarts: number, interruptions: number, pending: number, bufferedSeconds: number, sampleRate: number }
  enqueue (base64: string, mimeType: string | undefined): void
  interrupt (): void
}

Object.assign(globalThis, { AudioContext: FakeAudioContext })
const { AudioPlayer } = await import(pathToFileURL(path.resolve(import.meta.dirname, '../../public/audio-player.js')).href) as { AudioPlayer: new () => Player }

/** base64 of `ms` milliseconds of 16-bit silence at `rate`. */
const chunk = (ms: number, rate = 24000): string => Buffer.alloc(Math.round(rate * ms / 1000) * 2).toString('base64')
const MIME = 'audio/pcm;rate=24000'

t.test('chunks queued while audio plays are scheduled back to back on the context clock', async (t) => {
  const player = new AudioPlayer()
  player.enqueue(chunk(100), MIME)
  const ctx = FakeAudioContext.last as FakeAudioContext
  ctx.currentTime = 0.05
  player.enqueue(chunk(40), MIME)
  ctx.currentTime = 0.09
  player.enqueue(chunk(250), MIME)
  const [a, b, c] = ctx.started
  t.ok(a !== undefined && b !== undefined && c !== undefined)
  t.equal(a?.at, 0.02, 'the first chunk after silence starts 20 ms ahead')
  t.equal(b?.at, (a?.at ?? 0) + 0.1, 'the second starts where the first ends')
  t.ok(Math.abs((c?.at ?? 0) - ((b?.at ?? 0) + 0.04)) < 1e-9, 'and the third where the second ends')
  t.equal(player.stats.restarts, 1)
  t.equal(player.stats.samplesQueued, 2400 + 960 + 6000)
  t.equal(player.stats.sampleRate, 24000)
  t.ok(Math.abs(player.stats.bufferedSeconds - (0.02 + 0.39 - 0.09)) < 1e-9, 'buffered = scheduled end − now')
})

t.test('after the queue runs dry the next chunk starts a lead after now, not in the past', async (t) => {
  const player = new AudioPlayer()
  player.enqueue(chunk(100), MIME)
  const ctx = FakeAudioContext.last as FakeAudioContext
  ctx.currentTime = 5
  player.enqueue(chunk(100), MIME)
  t.equal(ctx.started[1]?.at, 5.02)
  t.equal(player.stats.restarts, 2)
})

t.test('the rate comes from the mime type', async (t) => {
  const player = new AudioPlayer()
  player.enqueue(chunk(100, 16000), 'audio/pcm;rate=16000')
  const ctx = FakeAudioContext.last as FakeAudioContext
  t.ok(Math.abs((ctx.started[0]?.duration ?? 0) - 0.1) < 1e-9, '1600 samples at 16 kHz last 100 ms')
  t.equal(player.stats.sampleRate, 16000)
})

t.test('interrupt() stops every scheduled chunk and the next one starts fresh', async (t) => {
  const player = new AudioPlayer()
  for (let i = 0; i < 5; i++) player.enqueue(chunk(200), MIME)
  const ctx = FakeAudioContext.last as FakeAudioContext
  t.equal(player.stats.pending, 5)
  ctx.currentTime = 0.3
  player.interrupt()
  t.ok(ctx.started.every((s) => s.stopped), 'all five stopped')
  t.equal(player.stats.pending, 0)
  t.equal(player.stats.bufferedSeconds, 0)
  t.equal(player.stats.interruptions, 1)
  player.interrupt()
  t.equal(player.stats.interruptions, 1, 'interrupting silence is not counted')
  player.enqueue(chunk(100), MIME)
  t.equal(ctx.started[5]?.at, 0.32, 'new audio starts now, not after the cancelled queue')
})

t.test('an empty chunk queues nothing', async (t) => {
  const player = new AudioPlayer()
  player.enqueue('', MIME)
  t.equal(player.stats.chunksQueued, 0)
})
