/**
 * A pino destination that keeps every line, so tests can assert on what was logged (and what never was).
 */
import { Writable } from 'node:stream'

export interface LogSink {
  readonly stream: Writable
  /** Everything written so far, one JSON line per entry. */
  text (): string
  entries (): Array<Record<string, unknown>>
}

export function createLogSink (): LogSink {
  const chunks: string[] = []
  const stream = new Writable({
    write (chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString())
      callback()
    },
  })
  return {
    stream,
    text: () => chunks.join(''),
    entries: () => chunks.join('').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>),
  }
}
