import t from 'tap'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { RELAY_NODE_FLAGS } from '../../src/node-flags.js'
import { missingNodeFlags } from '../../src/heap-tuning.js'

t.test('every launcher gives node the heap flags', async (t) => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }
  const dockerCmd = /^CMD \[("node".*)\]$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1] ?? ''
  const launchers: Array<[string, string]> = [
    ['npm start', pkg.scripts.start ?? ''],
    ['npm run start:dist', pkg.scripts['start:dist'] ?? ''],
    ['the livegate bin (src/cli.ts shebang)', readFileSync('src/cli.ts', 'utf8').split('\n')[0] ?? ''],
    ['the Dockerfile CMD', dockerCmd.replace(/"/g, '').replace(/, /g, ' ')],
  ]
  for (const [name, command] of launchers) {
    t.same(missingNodeFlags(command.split(/\s+/)), [], `${name}: ${command}`)
  }
})

t.test('missingNodeFlags names what the command line lacks', async (t) => {
  const cases: Array<[string[], string[]]> = [
    [[], [...RELAY_NODE_FLAGS]],
    [[...RELAY_NODE_FLAGS], []],
    [['--initial-old-space-size=512', '--max-semi-space-size=64'], []],
    [['--initial_old_space_size=512'], RELAY_NODE_FLAGS.filter((f) => !f.startsWith('--initial-old-space-size'))],
    [['--max-old-space-size=2048'], [...RELAY_NODE_FLAGS]],
  ]
  for (const [argv, missing] of cases) t.same(missingNodeFlags(argv), missing, argv.join(' ') || '(none)')
})

/** Start src/main.ts with `nodeFlags` and collect its log lines until it listens. */
async function startLogs (t: Tap.Test, nodeFlags: readonly string[]): Promise<Array<Record<string, unknown>>> {
  const proc = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, LIVEGATE_PORT: '0', LIVEGATE_HOST: '127.0.0.1', LIVEGATE_STORE: 'memory', LIVEGATE_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.teardown(() => { proc.kill('SIGKILL') })
  const lines: Array<Record<string, unknown>> = []
  await new Promise<void>((resolve) => {
    createInterface({ input: proc.stdout }).on('line', (line) => {
      try { lines.push(JSON.parse(line) as Record<string, unknown>) } catch { return }
      const last = lines[lines.length - 1] as Record<string, unknown>
      // The warning, when there is one, comes right after the listen line.
      if (typeof last.msg === 'string' && last.msg.startsWith('Server listening')) setTimeout(resolve, 500)
    })
  })
  proc.kill('SIGINT')
  await once(proc, 'exit')
  return lines
}
namespace Tap { export type Test = { teardown: (fn: () => unknown) => void } }

t.test('the gateway warns when started without them, and not with them', async (t) => {
  const without = await startLogs(t, [])
  const warning = without.find((l) => Array.isArray(l.missingNodeFlags))
  t.same(warning?.missingNodeFlags, [...RELAY_NODE_FLAGS], 'started without: a warning naming the flags')
  t.equal(warning?.level, 40, 'at warn level')
  const withFlags = await startLogs(t, RELAY_NODE_FLAGS)
  t.ok(withFlags.some((l) => typeof l.msg === 'string' && l.msg.startsWith('Server listening')), 'started with them: it listens')
  t.notOk(withFlags.some((l) => 'missingNodeFlags' in l), 'and does not warn')
})
