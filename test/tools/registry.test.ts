import t from 'tap'
import { createToolRegistry, type ServerTool } from '../../src/tools/registry.js'
import { ToolInterceptor } from '../../src/live/tool-interceptor.js'
import type { ArtifactStore } from '../../src/artifacts/store.js'
import type { SessionIO } from '../../src/live/session.js'

const tool = (name: string): ServerTool => ({
  declaration: { name, description: `${name} on the server`, parameters: { type: 'OBJECT', properties: {} } },
  run: async () => ({ result: 'ok' }),
})
const AVAILABLE = [tool('render_altair'), tool('draw_map')]

t.test('LIVEGATE_SERVER_TOOLS picks the enabled tools and rejects unknown names', async (t) => {
  t.same([...createToolRegistry(AVAILABLE, undefined).tools.keys()], ['render_altair', 'draw_map'], 'default: all available')
  t.same([...createToolRegistry(AVAILABLE, ['draw_map']).tools.keys()], ['draw_map'])
  t.same([...createToolRegistry(AVAILABLE, []).tools.keys()], [], '`none` leaves an empty list')
  t.throws(() => createToolRegistry(AVAILABLE, ['plot']), { code: 'LG_ERR_CONFIG_INVALID', message: /unknown tools: plot \(available: render_altair, draw_map, or none\)/ })
})

t.test('?server_tools= narrows a session\'s tools', async (t) => {
  const registry = createToolRegistry(AVAILABLE, undefined)
  t.equal(registry.forSession(null).size, 2)
  t.equal(registry.forSession('none').size, 0)
  t.same([...registry.forSession('draw_map').keys()], ['draw_map'])
  t.throws(() => registry.forSession('draw_map,nope'), { code: 'LG_ERR_TOOL_UNKNOWN', message: /nope; enabled here: render_altair, draw_map/ })
})

function interceptorWith (names: string[], override: string[] = []): { interceptor: ToolInterceptor, logs: string[] } {
  const logs: string[] = []
  const interceptor = new ToolInterceptor({
    tools: new Map(names.map((n) => [n, tool(n)])),
    artifacts: {} as ArtifactStore,
    publicBaseUrl: 'http://gw',
    clientName: 'anonymous',
    events: false,
    scheduling: 'WHEN_IDLE',
    timeoutMs: 1000,
    override: new Set(override),
  })
  const log = { info: (_o: object, msg: string) => { logs.push(msg) }, warn: (_o: object, msg: string) => { logs.push(msg) } }
  interceptor.attach({ id: 's', log, sendClient () {}, sendUpstream () {} } as unknown as SessionIO)
  return { interceptor, logs }
}

t.test('merges server declarations into setup.tools in every shape clients send', async (t) => {
  const { interceptor, logs } = interceptorWith(['render_altair'])
  t.same(interceptor.onSetup({ model: 'm' }), { model: 'm', tools: [{ functionDeclarations: [AVAILABLE[0]!.declaration] }] }, 'no tools: a new entry')
  t.same(interceptor.onSetup({ model: 'm', tools: [{ google_search: {} }] }), { model: 'm', tools: [{ google_search: {} }, { functionDeclarations: [AVAILABLE[0]!.declaration] }] }, 'no declarations: a new entry after the others')
  const mine = { name: 'get_weather', description: 'w' }
  t.same(interceptor.onSetup({ tools: [{ function_declarations: [mine] }] }), { tools: [{ function_declarations: [mine, AVAILABLE[0]!.declaration] }] }, 'snake case: appended to the client\'s list')
})

t.test('a same-name client declaration is the client\'s, unless the operator overrides it', async (t) => {
  const mine = { name: 'get_weather', description: 'w' }
  const clientCopy = { name: 'render_altair', description: 'the client\'s own' }
  const kept = interceptorWith(['render_altair', 'draw_map'])
  t.same(kept.interceptor.onSetup({ tools: [{ functionDeclarations: [clientCopy, mine] }] }),
    { tools: [{ functionDeclarations: [clientCopy, mine, AVAILABLE[1]!.declaration] }] }, 'the client keeps its render_altair; draw_map is merged')
  t.ok(kept.logs.includes('server tool left out: the client declares a function of the same name'), 'and the session log says so')
  t.equal(kept.interceptor.onSetup({ tools: [{ function_declarations: [clientCopy, { name: 'draw_map' }] }] }), undefined,
    'every server tool declared by the client: the setup goes up untouched')
  const overridden = interceptorWith(['render_altair'], ['render_altair'])
  t.same(overridden.interceptor.onSetup({ tools: [{ functionDeclarations: [clientCopy, mine] }] }),
    { tools: [{ functionDeclarations: [mine, AVAILABLE[0]!.declaration] }] }, 'override: the server declaration replaces the client\'s')
  t.ok(overridden.logs.includes('client declaration replaced by the server tool (LIVEGATE_SERVER_TOOLS_OVERRIDE)'))
})
