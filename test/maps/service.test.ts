import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { MemoryStore } from '../../src/artifacts/memory-store.js'
import { createMapPool } from '../../src/maps/pool.js'
import { createMapService, mapId, pickProvider } from '../../src/maps/service.js'
import { parseMapQuery } from '../../src/maps/params.js'

const pool = createMapPool({ threads: 1, queue: 16, heapMb: 256 })
const store = new MemoryStore({ maxBytes: 64 * 1024 * 1024, ttlSeconds: 3600 })
const config = loadConfig({ LIVEGATE_STORE: 'memory' })
const maps = createMapService({ config, store, pool })
t.teardown(async () => { await maps.close(); await pool.close(); await store.close() })

t.test('the provider follows the config: Google with a key, else tiles, else offline', async (t) => {
  t.equal(pickProvider(loadConfig({ MAPS_API_KEY: 'k' }), store, pool).name, 'google')
  t.equal(pickProvider(loadConfig({ LIVEGATE_MAP_TILES: 'https://tiles.example/{z}/{x}/{y}.png' }), store, pool).name, 'tiles')
  t.equal(pickProvider(loadConfig({ MAPS_API_KEY: 'k', LIVEGATE_MAP_TILES: 'https://tiles.example/{z}/{x}/{y}.png' }), store, pool).name, 'google')
  t.equal(pickProvider(config, store, pool).name, 'offline')
  t.equal(maps.provider, 'offline')
})

t.test('the map id hashes the normalised request, not its spelling', async (t) => {
  const provider = pickProvider(config, store, pool)
  const id = (q: string): string => mapId(parseMapQuery(q), provider)
  t.equal(id('center=1,1&zoom=3'), id('zoom=3.0&center=1.0,1.00&key=client-token'))
  t.equal(id('center=1,1&zoom=3'), id('center=1,1&zoom=3&size=512x512&format=png&maptype=roadmap'))
  t.not(id('center=1,1&zoom=3'), id('center=1,1&zoom=4'))
  t.not(id('markers=1,1|2,2'), id('markers=2,2|1,1'), 'marker order decides which pin is on top')
  t.not(id('center=1,1&zoom=3'), mapId(parseMapQuery('center=1,1&zoom=3'), pickProvider(loadConfig({ LIVEGATE_MAP_TILES: 'https://t.example/{z}/{x}/{y}.png' }), store, pool)))
  t.match(id('center=1,1&zoom=3'), /^[A-Za-z0-9_-]{32}$/)
})

t.test('concurrent callers of one map share one draw', async (t) => {
  const args = { center: '-20,140', zoom: 5, markers: ['color:purple|-20,140'] }
  const [a, b] = await Promise.all([maps.create({ args }), maps.create({ args })])
  t.equal(a.id, b.id)
  t.same([a.cached, b.cached].sort(), [false, true])
})

t.test('one caller cancelling does not fail another waiting on the same map', async (t) => {
  const args = { center: '-21,141', zoom: 5, markers: ['color:brown|-21,141'] }
  const controller = new AbortController()
  const first = maps.create({ args }, { signal: controller.signal })
  const second = maps.create({ args })
  controller.abort()
  await t.rejects(first, { code: 'LG_ERR_MAP_ABORTED' })
  const result = await second
  t.equal(result.zoom, 5)
  t.ok(await store.head(`${result.id}.png`), 'the map was stored')
})

t.test('the last caller cancelling cancels the draw', async (t) => {
  const controller = new AbortController()
  const pending = maps.create({ args: { center: '-22,142', zoom: 5 } }, { signal: controller.signal })
  controller.abort()
  await t.rejects(pending, { code: 'LG_ERR_MAP_ABORTED' })
})

t.test('either a query or tool arguments', async (t) => {
  await t.rejects(maps.create({ query: 'center=1,1&zoom=2', args: { center: '1,1' } }), { code: 'LG_ERR_MAP_INVALID_PARAM' })
})

t.test('a map draw has a timeout like a chart render: past it, LG_ERR_MAP_TIMEOUT and the worker is freed', async (t) => {
  // 1 ms: no 1280 × 1280 draw with its PNG encode finishes that fast, so the refusal does not depend on the machine.
  const strict = createMapPool({ threads: 1, queue: 4, heapMb: 256, timeoutMs: 1 })
  const service = createMapService({ config, store: new MemoryStore({ maxBytes: 64 * 1024 * 1024, ttlSeconds: 3600 }), pool: strict })
  t.teardown(async () => { await service.close(); await strict.close() })
  const args = { center: '-33.86,151.2', zoom: 4, size: '640x640', scale: 2, markers: ['color:red|-33.86,151.2'] }
  await t.rejects(service.create({ args }), { code: 'LG_ERR_MAP_TIMEOUT', status: 422 })
  const again = await maps.create({ args })
  t.equal(again.width, 1280, 'the same map draws on a pool with the default timeout')
})

t.test('map worker threads run at a low CPU priority so the relay thread wins the cores', { skip: process.platform !== 'linux' && 'per-thread nice is Linux-only' }, async (t) => {
  const { readdirSync, readFileSync } = await import('node:fs')
  const os = await import('node:os')
  const { WORKER_NICE } = await import('../../src/workers/priority.js')
  const niceOf = (tid: string): number => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) // field 19 (nice), counted after "(comm)"
    } catch { return Number.NaN } // a thread that ended meanwhile
  }
  const drawn = await maps.create({ args: { center: '-33.87,151.21', zoom: 9, markers: ['color:red|-33.87,151.21'] } })
  t.ok(drawn.id, 'a map was drawn in a worker')
  const nices = readdirSync('/proc/self/task').map(niceOf)
  t.equal(niceOf(String(process.pid)), os.getPriority(), 'the main thread keeps its priority')
  t.ok(nices.includes(WORKER_NICE), `a worker thread runs at nice ${WORKER_NICE} (${nices.join(',')})`)
})
