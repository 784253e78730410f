import { chmod, chown, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test, type Test } from 'tap'
import { createArtifactStore } from '../../src/artifacts/create-store.js'
import { FsStore } from '../../src/artifacts/fs-store.js'
import { MemoryStore } from '../../src/artifacts/memory-store.js'
import type { ArtifactStore } from '../../src/artifacts/store.js'
import { TieredStore } from '../../src/artifacts/tiered-store.js'
import { defaultArtifactDir, loadConfig } from '../../src/config.js'

const PNG = { mimeType: 'image/png', sourceKind: 'chart', width: 4, height: 3 } as const
const bytes = (n: number, fill = 1): Buffer => Buffer.alloc(n, fill)

async function tempDir (t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'livegate-store-test-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

const BACKENDS: Array<[string, (t: Test) => Promise<ArtifactStore>]> = [
  ['memory', async () => new MemoryStore({ maxBytes: 1 << 20, ttlSeconds: 60 })],
  ['fs', async (t) => new FsStore({ dir: await tempDir(t), maxBytes: 1 << 20, ttlSeconds: 60 })],
  ['tiered', async (t) => new TieredStore(new MemoryStore({ maxBytes: 1 << 20, ttlSeconds: 60 }), new FsStore({ dir: await tempDir(t), maxBytes: 1 << 20, ttlSeconds: 60 }))],
]

for (const [name, make] of BACKENDS) {
  test(`${name} store: put, get, head and delete with metadata`, async (t) => {
    const store = await make(t)
    t.teardown(async () => { await store.close() })
    const before = Date.now()
    const meta = await store.put('abc.png', bytes(100, 7), PNG)
    t.match(meta, { key: 'abc.png', mimeType: 'image/png', sourceKind: 'chart', width: 4, height: 3, size: 100 })
    t.ok(meta.created >= before && meta.created <= Date.now())
    t.match(meta.etag, /^"[A-Za-z0-9_-]{27}"$/)
    const got = await store.get('abc.png')
    t.same(got?.bytes, bytes(100, 7))
    t.same(got?.meta, meta)
    t.same(await store.head('abc.png'), meta)
    t.equal(await store.get('nope.png'), undefined)
    t.equal(await store.head('nope.png'), undefined)
    const other = await store.put('tiles/3/4/5.png', bytes(10, 9), { mimeType: 'image/png', sourceKind: 'tile' })
    t.not(other.etag, meta.etag, 'the ETag follows the bytes')
    t.equal((await store.get('tiles/3/4/5.png'))?.meta.sourceKind, 'tile', 'keys may have path segments')
    t.equal(await store.delete('abc.png'), true)
    t.equal(await store.get('abc.png'), undefined)
    for (const bad of ['../x', 'a/../b', '', 'a b', '/abs', 'x'.repeat(201)]) {
      await t.rejects(store.put(bad, bytes(1), PNG), { code: 'LG_ERR_ARTIFACT_NOT_FOUND' }, `refuses key ${JSON.stringify(bad.slice(0, 20))}`)
    }
  })
}

test('the memory LRU is byte-capped and evicts the least recently used', async (t) => {
  const store = new MemoryStore({ maxBytes: 3 * (1000 + 256), ttlSeconds: 60 })
  await store.put('a', bytes(1000), PNG)
  await store.put('b', bytes(1000), PNG)
  await store.put('c', bytes(1000), PNG)
  await store.get('a') // a is now the most recently used
  await store.put('d', bytes(1000), PNG)
  t.ok(await store.get('a'), 'a kept')
  t.equal(await store.get('b'), undefined, 'b evicted')
  t.ok(store.size <= 3 * 1256)
  const zero = new MemoryStore({ maxBytes: 0, ttlSeconds: 60 })
  await zero.put('a', bytes(10), PNG)
  t.equal(await zero.get('a'), undefined, 'a zero budget caches nothing')
})

test('the fs store forgets and deletes artifacts older than the TTL', async (t) => {
  const start = Date.now()
  let now = start
  t.capture(Date, 'now', () => now)
  const store = new FsStore({ dir: await tempDir(t), maxBytes: 1 << 20, ttlSeconds: 10 })
  t.teardown(async () => { await store.close() })
  await store.put('x.png', bytes(5), PNG)
  now = start + 9_999
  t.ok(await store.get('x.png'), 'still there just before the TTL')
  now = start + 10_000
  t.equal(await store.get('x.png'), undefined, 'gone at the TTL')
  t.equal(await store.head('x.png'), undefined)
  t.equal(store.size, 0, 'and its file deleted')
})

test('the memory store forgets artifacts older than the TTL', async (t) => {
  const start = 5_000
  let now = start
  const memory = new MemoryStore({ maxBytes: 1 << 20, ttlSeconds: 10, clock: { now: () => now } })
  await memory.put('x.png', bytes(5), PNG)
  now = start + 9_000
  t.ok(await memory.get('x.png'))
  now = start + 10_500
  t.equal(await memory.get('x.png'), undefined)
})

test('the fs store caps total bytes by evicting the oldest, and sweeps expired files', async (t) => {
  const dir = await tempDir(t)
  const store = new FsStore({ dir, maxBytes: 2500, ttlSeconds: 60 })
  t.teardown(async () => { await store.close() })
  await store.put('one', bytes(1000), PNG)
  await store.put('two', bytes(1000), PNG)
  await store.put('three', bytes(1000), PNG)
  t.equal(await store.get('one'), undefined, 'the oldest was evicted')
  t.ok(await store.get('two'))
  t.ok(await store.get('three'))
  t.equal(store.size, 2000)
  t.same((await readdir(dir)).sort(), ['three.artifact', 'two.artifact'])

  const now = Date.now()
  t.capture(Date, 'now', () => now + 61_000)
  t.equal(await store.sweep(), 2)
  t.same(await readdir(dir), [])
})

test('the fs store survives a restart: a new instance finds, counts and serves what is on disk', async (t) => {
  const dir = await tempDir(t)
  const first = new FsStore({ dir, maxBytes: 1 << 20, ttlSeconds: 60 })
  const meta = await first.put('chart.svg', Buffer.from('<svg/>'), { mimeType: 'image/svg+xml', sourceKind: 'chart' })
  await first.close()
  await writeFile(path.join(dir, 'junk.artifact'), 'not an artifact')
  await writeFile(path.join(dir, 'half.artifact.abc.tmp'), 'left over from a crash')
  const second = new FsStore({ dir, maxBytes: 1 << 20, ttlSeconds: 60 })
  t.teardown(async () => { await second.close() })
  await second.ready()
  t.same((await second.get('chart.svg'))?.meta, meta)
  t.equal(second.size, 6)
  t.notOk((await readdir(dir)).some((f) => f.endsWith('.tmp')), 'temporary files are cleaned up')
})

test('the fs store reads a metadata header longer than its first read, and refuses a header cut short', async (t) => {
  const dir = await tempDir(t)
  const first = new FsStore({ dir, maxBytes: 1 << 20, ttlSeconds: 60 })
  const longType = `application/x-${'a'.repeat(5000)}`
  const meta = await first.put('long.bin', Buffer.from('body'), { mimeType: longType, sourceKind: 'chart' })
  t.same(await first.head('long.bin'), meta)
  await first.close()
  const header = Buffer.from(JSON.stringify({ ...meta, key: 'cut.bin' }))
  const len = Buffer.alloc(4)
  len.writeUInt32BE(header.length, 0)
  await writeFile(path.join(dir, 'cut.bin.artifact'), Buffer.concat([len, header.subarray(0, 3000)]))
  const second = new FsStore({ dir, maxBytes: 1 << 20, ttlSeconds: 60 })
  t.teardown(async () => { await second.close() })
  await second.ready()
  t.same(await second.head('long.bin'), meta, 'found again by a new instance, from the header alone')
  t.equal(second.size, 4)
  t.equal(await second.head('cut.bin'), undefined)
  t.equal(await second.head('missing.bin'), undefined)
})

test('the tiered store serves from memory and promotes disk hits', async (t) => {
  const dir = await tempDir(t)
  const cold = new FsStore({ dir, maxBytes: 1 << 20, ttlSeconds: 60 })
  await cold.put('warm.png', bytes(50, 3), PNG)
  const hot = new MemoryStore({ maxBytes: 1 << 20, ttlSeconds: 60 })
  const tiered = new TieredStore(hot, cold)
  t.teardown(async () => { await tiered.close() })
  t.equal(await hot.get('warm.png'), undefined)
  t.same((await tiered.get('warm.png'))?.bytes, bytes(50, 3), 'found on disk')
  t.ok(await hot.get('warm.png'), 'and promoted to memory')
  await rm(path.join(dir, 'warm.png.artifact'))
  t.ok(await tiered.get('warm.png'), 'served from memory when the file is gone')
})

test('createArtifactStore builds what LIVEGATE_STORE asks for', async (t) => {
  const dir = await tempDir(t)
  const store = await createArtifactStore({ kind: 'fs', location: dir, memoryBytes: 1 << 20, maxBytes: 1 << 20, ttlSeconds: 60 })
  t.teardown(async () => { await store.close() })
  await store.put('k.png', bytes(3), PNG)
  t.same(await readdir(dir), ['k.png.artifact'])
  const memory = await createArtifactStore({ kind: 'memory', location: '', memoryBytes: 1 << 20, maxBytes: 1 << 20, ttlSeconds: 60 })
  t.ok(memory instanceof MemoryStore)
  const file = path.join(dir, 'a-file')
  await writeFile(file, 'x')
  await t.rejects(createArtifactStore({ kind: 'fs', location: file, memoryBytes: 1, maxBytes: 1 << 20, ttlSeconds: 60 }), { code: 'LG_ERR_CONFIG_INVALID' })
})

// Issue 15: the default artifact directory was a fixed path in the shared temp directory, readable by everyone and
// creatable by anyone first.
test('the default artifact directory is private, under the user\'s state directory, never a fixed temp path', async (t) => {
  const state = await tempDir(t)
  const config = loadConfig({ XDG_STATE_HOME: state })
  t.equal(config.store.kind, 'fs')
  t.equal(config.store.location, path.join(state, 'livegate', 'artifacts'))
  const store = await createArtifactStore(config.store)
  t.teardown(async () => { await store.close() })
  t.equal((await stat(config.store.location)).mode & 0o777, 0o700, 'created 0700')
  await store.put('k.png', bytes(3), PNG)
  t.same(await readdir(config.store.location), ['k.png.artifact'])

  const fallback = loadConfig({}).store.location
  t.ok(fallback === '' || fallback === path.join(os.homedir(), '.local', 'state', 'livegate', 'artifacts'), `under ~/.local/state (${fallback})`)
  t.notOk(fallback.startsWith(os.tmpdir()), 'not in the shared temp directory')
  t.equal(defaultArtifactDir('relative/state'), fallback, 'a relative XDG_STATE_HOME is ignored, as the spec says')
})

test('with no home directory the default store is a fresh private temporary directory', async (t) => {
  const ours = async (): Promise<string[]> => (await readdir(os.tmpdir())).filter((n) => n.startsWith('livegate-artifacts-'))
  const before = new Set(await ours())
  const store = await createArtifactStore({ kind: 'fs', location: '', private: true, memoryBytes: 1 << 20, maxBytes: 1 << 20, ttlSeconds: 60 })
  const created = (await ours()).filter((n) => !before.has(n)).map((n) => path.join(os.tmpdir(), n))
  t.teardown(async () => { await store.close(); for (const d of created) await rm(d, { recursive: true, force: true }) })
  t.equal(created.length, 1, 'one new livegate-artifacts-XXXXXX directory')
  t.equal((await stat(created[0] as string)).mode & 0o777, 0o700, 'made 0700 by mkdtemp')
})

test('a directory others can write into, or owned by someone else, is refused; our own default is tightened', async (t) => {
  const base = await tempDir(t)
  const shared = path.join(base, 'shared')
  await mkdir(shared)
  await chmod(shared, 0o1777)
  await t.rejects(createArtifactStore({ kind: 'fs', location: shared, memoryBytes: 1, maxBytes: 1 << 20, ttlSeconds: 60 }),
    { code: 'LG_ERR_CONFIG_INVALID', message: /writable by everyone \(mode 1777\)/ })
  const group = path.join(base, 'group')
  await mkdir(group)
  await chmod(group, 0o775)
  await t.rejects(createArtifactStore({ kind: 'fs', location: group, private: true, memoryBytes: 1, maxBytes: 1 << 20, ttlSeconds: 60 }),
    { code: 'LG_ERR_CONFIG_INVALID', message: /writable by its group/ })
  const loose = path.join(base, 'loose')
  await mkdir(loose)
  await chmod(loose, 0o755)
  const store = await createArtifactStore({ kind: 'fs', location: loose, private: true, memoryBytes: 1, maxBytes: 1 << 20, ttlSeconds: 60 })
  await store.close()
  t.equal((await stat(loose)).mode & 0o777, 0o700, 'the default directory, found 0755, is made 0700')
  const operators = path.join(base, 'operators')
  await mkdir(operators)
  await chmod(operators, 0o755)
  const named = await createArtifactStore({ kind: 'fs', location: operators, memoryBytes: 1, maxBytes: 1 << 20, ttlSeconds: 60 })
  await named.close()
  t.equal((await stat(operators)).mode & 0o777, 0o755, 'a directory the operator named (the Docker volume) is used as it is')

  if (process.getuid?.() !== 0) return
  const foreign = path.join(base, 'foreign')
  await mkdir(foreign, { mode: 0o700 })
  await chown(foreign, 12345, 12345)
  await t.rejects(createArtifactStore({ kind: 'fs', location: foreign, memoryBytes: 1, maxBytes: 1 << 20, ttlSeconds: 60 }),
    { code: 'LG_ERR_CONFIG_INVALID', message: /owned by uid 12345, not by this user/ })
})
