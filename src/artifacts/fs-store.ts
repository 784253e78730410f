/**
 * @module artifacts/fs-store
 * Artifacts as files in one directory: a 4-byte header length, a JSON metadata header, then the bytes, written to a
 * temporary name and renamed so readers never see half a file. An in-memory index (rebuilt from the directory on
 * open) enforces the total-size cap by evicting the oldest, and the TTL on read and on a periodic sweep.
 */
import fs from 'node:fs/promises'
import { close as closeFd, open as openFd, read as readFd, rename as renameFile, writeFile as writeWholeFile } from 'node:fs'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { asBuffer, assertKey, metaFor, type Artifact, type ArtifactInput, type ArtifactMeta, type ArtifactStore } from './store.js'

interface FsStoreOptions {
  dir: string
  maxBytes: number
  ttlSeconds: number
  /** How often expired files are swept (default: the TTL, at most 10 minutes). */
  sweepIntervalMs?: number
  /** livegate's own default directory: created 0700, and tightened to 0700 if it exists looser. */
  private?: boolean
}

/**
 * Refuses a directory another user could write into or owns: they could plant or swap the artifacts livegate
 * serves. Our own default directory is also made private (0700), since artifacts may show what users asked for.
 */
async function assertSafeDir (dir: string, ownDefault: boolean): Promise<void> {
  const link = await fs.lstat(dir)
  if (link.isSymbolicLink() && ownDefault) throw new Error(`${dir} is a symbolic link; the default artifact directory must be a real directory`)
  const st = link.isSymbolicLink() ? await fs.stat(dir) : link
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`)
  const uid = process.getuid?.()
  if (uid !== undefined && st.uid !== uid) throw new Error(`${dir} is owned by uid ${st.uid}, not by this user (uid ${uid}); use a directory of your own`)
  if ((st.mode & 0o022) !== 0) {
    throw new Error(`${dir} is writable by ${(st.mode & 0o002) !== 0 ? 'everyone' : 'its group'} (mode ${(st.mode & 0o7777).toString(8)}); run chmod go-w on it or pick another directory`)
  }
  if (ownDefault && (st.mode & 0o077) !== 0) await fs.chmod(dir, 0o700)
}

const SUFFIX = '.artifact'
const HEADER_LEN_BYTES = 4
const MAX_HEADER_BYTES = 64 * 1024
const MAX_SWEEP_MS = 10 * 60 * 1000

/** Enough for the length and a chart's or map's metadata header, so a `head` is usually one read. */
const FIRST_READ_BYTES = 2048

const fileName = (key: string): string => encodeURIComponent(key) + SUFFIX

// The per-artifact path (a put, a head) uses the callback API: fs/promises wraps each open file in a FileHandle,
// which cost ≈ a third more CPU per put in a micro-benchmark, on the relay's thread.
const openFile = promisify(openFd)
const readAt = promisify(readFd)
const closeFile = promisify(closeFd)
const writeFile = promisify(writeWholeFile)
const rename = promisify(renameFile)

/** Unique temporary names without a random draw per put: a random prefix per process, then a counter. */
const TMP_PREFIX = randomBytes(6).toString('hex')
let tmpCount = 0

/** The metadata header of an artifact file, or undefined when the file is missing, short or not one of ours. */
async function readMetaFile (file: string): Promise<ArtifactMeta | undefined> {
  let fd: number
  try { fd = await openFile(file, 'r') } catch { return undefined }
  try {
    const first = Buffer.allocUnsafe(FIRST_READ_BYTES)
    const { bytesRead: got } = await readAt(fd, first, 0, FIRST_READ_BYTES, 0)
    if (got < HEADER_LEN_BYTES) return undefined
    const n = first.readUInt32BE(0)
    if (n === 0 || n > MAX_HEADER_BYTES) return undefined
    let header = first.subarray(HEADER_LEN_BYTES, HEADER_LEN_BYTES + n)
    if (header.length < n) {
      header = Buffer.allocUnsafe(n)
      if ((await readAt(fd, header, 0, n, HEADER_LEN_BYTES)).bytesRead < n) return undefined
    }
    return JSON.parse(header.toString('utf8')) as ArtifactMeta
  } catch {
    return undefined
  } finally {
    await closeFile(fd).catch(() => {})
  }
}

export class FsStore implements ArtifactStore {
  readonly #dir: string
  readonly #maxBytes: number
  readonly #ttlMs: number
  readonly #private: boolean
  /** key → size and creation time, oldest first. */
  readonly #index = new Map<string, { size: number, created: number }>()
  #total = 0
  #timer: NodeJS.Timeout | undefined
  readonly #ready: Promise<void>

  constructor (options: FsStoreOptions) {
    this.#dir = options.dir
    this.#maxBytes = options.maxBytes
    this.#ttlMs = options.ttlSeconds * 1000
    this.#private = options.private === true
    this.#ready = this.#load()
    const every = options.sweepIntervalMs ?? Math.min(this.#ttlMs, MAX_SWEEP_MS)
    this.#timer = setInterval(() => { void this.sweep() }, every)
    this.#timer.unref()
  }

  /** Resolves once the directory exists and the index is built; rejects if the directory is unusable. */
  ready (): Promise<void> { return this.#ready }

  async #load (): Promise<void> {
    await fs.mkdir(this.#dir, { recursive: true, mode: 0o700 })
    await assertSafeDir(this.#dir, this.#private)
    const found: ArtifactMeta[] = []
    for (const name of await fs.readdir(this.#dir)) {
      if (!name.endsWith(SUFFIX)) {
        if (name.endsWith('.tmp')) await fs.rm(path.join(this.#dir, name), { force: true })
        continue
      }
      const meta = await readMetaFile(path.join(this.#dir, name))
      if (meta !== undefined) found.push(meta)
    }
    found.sort((a, b) => a.created - b.created)
    for (const meta of found) this.#track(meta.key, meta.size, meta.created)
    await this.#evict()
  }

  #track (key: string, size: number, created: number): void {
    this.#untrack(key)
    this.#index.set(key, { size, created })
    this.#total += size
  }

  #untrack (key: string): void {
    const prev = this.#index.get(key)
    if (prev === undefined) return
    this.#index.delete(key)
    this.#total -= prev.size
  }

  #expired (created: number): boolean { return Date.now() - created >= this.#ttlMs }

  async put (key: string, bytes: Uint8Array, input: ArtifactInput): Promise<ArtifactMeta> {
    assertKey(key)
    await this.#ready
    const meta = metaFor(key, bytes, input)
    const header = Buffer.from(JSON.stringify(meta))
    const len = Buffer.alloc(HEADER_LEN_BYTES)
    len.writeUInt32BE(header.length, 0)
    const file = path.join(this.#dir, fileName(key))
    const tmp = `${file}.${TMP_PREFIX}${(tmpCount++).toString(36)}.tmp`
    await writeFile(tmp, Buffer.concat([len, header, asBuffer(bytes)]))
    await rename(tmp, file)
    this.#track(key, meta.size, meta.created)
    await this.#evict()
    return meta
  }

  async get (key: string): Promise<Artifact | undefined> {
    assertKey(key)
    await this.#ready
    let data: Buffer
    try { data = await fs.readFile(path.join(this.#dir, fileName(key))) } catch { return undefined }
    if (data.length < HEADER_LEN_BYTES) return undefined
    const n = data.readUInt32BE(0)
    let meta: ArtifactMeta
    try { meta = JSON.parse(data.subarray(HEADER_LEN_BYTES, HEADER_LEN_BYTES + n).toString('utf8')) as ArtifactMeta } catch { return undefined }
    if (meta.key !== key) return undefined
    if (this.#expired(meta.created)) { await this.delete(key); return undefined }
    return { bytes: data.subarray(HEADER_LEN_BYTES + n), meta }
  }

  async head (key: string): Promise<ArtifactMeta | undefined> {
    assertKey(key)
    await this.#ready
    const meta = await readMetaFile(path.join(this.#dir, fileName(key)))
    if (meta === undefined || meta.key !== key) return undefined
    if (this.#expired(meta.created)) { await this.delete(key); return undefined }
    return meta
  }

  async delete (key: string): Promise<boolean> {
    assertKey(key)
    this.#untrack(key)
    try { await fs.unlink(path.join(this.#dir, fileName(key))); return true } catch { return false }
  }

  /** Remove expired artifacts now (also runs on a timer). */
  async sweep (): Promise<number> {
    let removed = 0
    for (const [key, entry] of [...this.#index]) {
      if (!this.#expired(entry.created)) break // oldest first: the rest are younger
      if (await this.delete(key)) removed++
    }
    return removed
  }

  async #evict (): Promise<void> {
    for (const key of this.#index.keys()) {
      if (this.#total <= this.#maxBytes) break
      await this.delete(key)
    }
  }

  /** Bytes stored (artifact bodies only). */
  get size (): number { return this.#total }

  async close (): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    await this.#ready.catch(() => {})
  }
}
