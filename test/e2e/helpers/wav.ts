/**
 * A speech-like WAV for Chromium's fake microphone: bursts of a steady tone with a syllable-rate envelope, then
 * silence, so the simulator's energy VAD hears an utterance end. Chromium loops the file. A pure tone makes the
 * sample rate checkable at the far end: its pitch only survives if the page really resampled to 16 kHz.
 */
import { writeFile } from 'node:fs/promises'

export interface SpeechWavOptions {
  rate?: number
  toneHz?: number
  speechMs?: number
  silenceMs?: number
}

export function speechLikeWav ({ rate = 44100, toneHz = 440, speechMs = 1200, silenceMs = 1500 }: SpeechWavOptions = {}): Buffer {
  const speech = Math.round(rate * speechMs / 1000)
  const total = speech + Math.round(rate * silenceMs / 1000)
  const data = Buffer.alloc(total * 2)
  for (let i = 0; i < speech; i++) {
    // 4 Hz syllable envelope that never quite reaches zero, so the tone's pitch stays measurable throughout.
    const envelope = 0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * i / rate)
    const sample = 0.6 * envelope * Math.sin(2 * Math.PI * toneHz * i / rate)
    data.writeInt16LE(Math.round(sample * 32767), i * 2)
  }
  const header = Buffer.alloc(44)
  header.write('RIFF', 0, 'ascii')
  header.writeUInt32LE(36 + data.length, 4)
  header.write('WAVE', 8, 'ascii')
  header.write('fmt ', 12, 'ascii')
  header.writeUInt32LE(16, 16) // fmt chunk size
  header.writeUInt16LE(1, 20) // PCM
  header.writeUInt16LE(1, 22) // mono
  header.writeUInt32LE(rate, 24)
  header.writeUInt32LE(rate * 2, 28) // byte rate
  header.writeUInt16LE(2, 32) // block align
  header.writeUInt16LE(16, 34) // bits per sample
  header.write('data', 36, 'ascii')
  header.writeUInt32LE(data.length, 40)
  return Buffer.concat([header, data])
}

export async function writeSpeechLikeWav (file: string, options?: SpeechWavOptions): Promise<string> {
  await writeFile(file, speechLikeWav(options))
  return file
}
