import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { isLivegateError } from '../../src/errors.js'

t.test('defaults: listens on 0.0.0.0:8080, simulator upstream without a key, Google with one', async (t) => {
  const config = loadConfig({})
  t.equal(config.host, '0.0.0.0')
  t.equal(config.port, 8080)
  t.equal(config.upstream.baseUrl, undefined, 'no key: the built-in simulator')
  t.equal(config.clients.tokens, undefined)
  t.ok(config.clients.maxFrameBytes >= 64 * 1024, 'room for 1 s of 16 kHz audio (base64) or a video frame')
  t.equal(loadConfig({ GEMINI_API_KEY: 'k' }).upstream.baseUrl, 'https://generativelanguage.googleapis.com')
  t.equal(loadConfig({ GOOGLE_API_KEY: 'g' }).upstream.apiKey, 'g', 'GOOGLE_API_KEY is the fallback')
  t.equal(loadConfig({ GEMINI_API_KEY: 'a', GOOGLE_API_KEY: 'g' }).upstream.apiKey, 'a')
})

t.test('returns a deep-frozen object', async (t) => {
  const config = loadConfig({ LIVEGATE_CLIENT_TOKENS: 'web:0123456789abcdef,batch:fedcba9876543210' })
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.clients) && Object.isFrozen(config.clients.tokens))
  t.same(config.clients.tokens, [{ name: 'web', secret: '0123456789abcdef' }, { name: 'batch', secret: 'fedcba9876543210' }])
})

t.test('client tokens: name:secret pairs, bare secrets named by a short hash, and a mounted file', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'livegate-tokens-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'tokens')
  writeFileSync(file, '# clients of the gateway\n\nkiosk:kiosk-secret-0123456789\r\n  batch-2:batch-secret-0123456789  \n')
  const config = loadConfig({ LIVEGATE_CLIENT_TOKENS: 'web:web-secret-0123456789, bare-secret-0123456789', LIVEGATE_CLIENT_TOKENS_FILE: file })
  const tokens = config.clients.tokens ?? []
  t.same(tokens.map((c) => c.name).slice(0, 1), ['web'])
  t.match(tokens[1]?.name, /^client-[0-9a-f]{8}$/, 'a bare secret is named by a short hash')
  t.equal(tokens[1]?.secret, 'bare-secret-0123456789')
  t.same(tokens.slice(2), [{ name: 'kiosk', secret: 'kiosk-secret-0123456789' }, { name: 'batch-2', secret: 'batch-secret-0123456789' }])
  t.equal(loadConfig({ LIVEGATE_CLIENT_TOKENS: 'bare-secret-0123456789' }).clients.tokens?.[0]?.name, tokens[1]?.name, 'the same name every start')
  t.same(loadConfig({ LIVEGATE_CLIENT_TOKENS_FILE: file }).clients.tokens?.map((c) => c.name), ['kiosk', 'batch-2'], 'the file alone is enough')
})

t.test('client token problems name the entry, never its secret', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ LIVEGATE_CLIENT_TOKENS: 'web:short-secret' }, /LIVEGATE_CLIENT_TOKENS entry 1 \(web\): the secret must be at least 16 characters/],
    [{ LIVEGATE_CLIENT_TOKENS: 'abc' }, /LIVEGATE_CLIENT_TOKENS entry 1: the secret must be at least 16 characters/],
    [{ LIVEGATE_CLIENT_TOKENS: 'a:0123456789abcdef,a:0123456789abcdeX' }, /client name a is used twice/],
    [{ LIVEGATE_CLIENT_TOKENS: 'a:0123456789abcdef,b:0123456789abcdef' }, /entry 2 \(b\): the same secret is given twice/],
    [{ LIVEGATE_CLIENT_TOKENS_FILE: '/nonexistent/livegate-tokens' }, /LIVEGATE_CLIENT_TOKENS_FILE="\/nonexistent\/livegate-tokens": cannot read it \(ENOENT\)/],
    [{ LIVEGATE_TOKEN_SECRET: 'too-short' }, /LIVEGATE_TOKEN_SECRET: must be at least 32 characters/],
  ]
  for (const [env, message] of cases) {
    try {
      loadConfig(env)
      t.fail(`${JSON.stringify(env)} should throw`)
    } catch (err) {
      t.match(err, { code: 'LG_ERR_CONFIG_INVALID', message }, JSON.stringify(env))
      t.notMatch((err as Error).message, /short-secret|0123456789abcde|too-short/, 'no secret in the message')
    }
  }
})

const BAD: Array<[Record<string, string>, RegExp]> = [
  [{ LIVEGATE_PORT: 'eighty' }, /LIVEGATE_PORT="eighty": must be a whole number/],
  [{ LIVEGATE_PORT: '70000' }, /LIVEGATE_PORT="70000": must be at most 65535/],
  [{ LIVEGATE_LOG_LEVEL: 'loud' }, /LIVEGATE_LOG_LEVEL="loud": must be one of fatal, error/],
  [{ LIVEGATE_UPSTREAM_URL: 'not a url' }, /LIVEGATE_UPSTREAM_URL="not a url": not a valid URL/],
  [{ LIVEGATE_UPSTREAM_URL: 'ftp://x' }, /must be an http\(s\) or ws\(s\) URL/],
  [{ LIVEGATE_STORE: 's3://bucket' }, /LIVEGATE_STORE="s3:\/\/bucket": must be memory, fs:DIR or redis:\/\/…/],
  [{ LIVEGATE_TRUST_PROXY: 'maybe' }, /must be true or false/],
  [{ LIVEGATE_TOOL_SCHEDULING: 'SOON' }, /LIVEGATE_TOOL_SCHEDULING="SOON": must be one of SILENT, WHEN_IDLE, INTERRUPT/],
  [{ LIVEGATE_CLIENT_TOKENS: ' , ' }, /LIVEGATE_CLIENT_TOKENS: set but holds no token/],
  [{ LIVEGATE_MAX_SESSIONS: '0' }, /LIVEGATE_MAX_SESSIONS="0": must be at least 1/],
  [{ LIVEGATE_MAX_SESSIONS_PER_CLIENT: 'lots' }, /LIVEGATE_MAX_SESSIONS_PER_CLIENT="lots": must be a whole number/],
  [{ LIVEGATE_DAILY_TOKENS_PER_CLIENT: '0' }, /LIVEGATE_DAILY_TOKENS_PER_CLIENT="0": must be at least 1/],
  [{ LIVEGATE_MAX_HEAP_USED_BYTES: '12' }, /LIVEGATE_MAX_HEAP_USED_BYTES="12": must be at least 1024/],
]

t.test('rejects bad environments with every problem listed', async (t) => {
  for (const [env, message] of BAD) {
    t.throws(() => loadConfig(env), { code: 'LG_ERR_CONFIG_INVALID', message }, JSON.stringify(env))
  }
  try {
    loadConfig({ LIVEGATE_PORT: 'x', LIVEGATE_LOG_LEVEL: 'y' })
    t.fail('should throw')
  } catch (err) {
    t.ok(isLivegateError(err))
    t.match(String((err as Error).message), /LIVEGATE_PORT[\s\S]*LIVEGATE_LOG_LEVEL/, 'all problems at once')
  }
})

t.test('never echoes a secret in a config error', async (t) => {
  const messageOf = (env: Record<string, string>): string => {
    try { loadConfig(env) } catch (err) { return (err as Error).message }
    return 'did not throw'
  }
  const first = messageOf({ GEMINI_API_KEY: 'secret-key', LIVEGATE_PORT: 'x' })
  t.match(first, /LIVEGATE_PORT/)
  t.notMatch(first, 'secret-key')
  const second = messageOf({ LIVEGATE_STORE: 'redis//user:pw@host' })
  t.match(second, /LIVEGATE_STORE/)
  t.notMatch(second, 'pw@')
})

t.test('the Redis password counts as a secret for log redaction', async (t) => {
  const { secretsOf } = await import('../../src/config.js')
  t.ok(secretsOf(loadConfig({ LIVEGATE_STORE: 'redis://user:s3cr%40t@127.0.0.1:6379' })).includes('s3cr@t'))
  t.same(secretsOf(loadConfig({ LIVEGATE_STORE: 'redis://127.0.0.1:6379' })), [])
})

t.test('limits: a process ceiling and event-loop protection by default, per-client limits only when set', async (t) => {
  t.same(loadConfig({}).limits, {
    maxSessions: 1000,
    maxSessionsPerClient: undefined,
    sessionsPerMinute: undefined,
    rendersPerMinute: undefined,
    dailyTokens: undefined,
    maxEventLoopDelayMs: 1000,
    maxHeapUsedBytes: undefined,
  })
  const set = loadConfig({ LIVEGATE_MAX_SESSIONS_PER_CLIENT: '3', LIVEGATE_SESSIONS_PER_MINUTE_PER_CLIENT: '10', LIVEGATE_RENDERS_PER_MINUTE_PER_CLIENT: '60', LIVEGATE_DAILY_TOKENS_PER_CLIENT: '1000000', LIVEGATE_MAX_EVENT_LOOP_DELAY_MS: '0' })
  t.match(set.limits, { maxSessionsPerClient: 3, sessionsPerMinute: 10, rendersPerMinute: 60, dailyTokens: 1_000_000, maxEventLoopDelayMs: 0 })
  const message = ((): string => { try { loadConfig({ LIVEGATE_METRICS_TOKEN: 'scrape-secret', LIVEGATE_PORT: 'x' }) } catch (err) { return (err as Error).message } return '' })()
  t.notMatch(message, 'scrape-secret', 'the metrics token is a secret')
})

t.test('LIVEGATE_STARTUP_TIMEOUT_MS bounds the start: a start slower than it ends the process with one clear line; 0 waits', async (t) => {
  t.equal(loadConfig({}).startupTimeoutMs, 10_000, 'Fastify\'s own default')
  // No start of the plugin (routes, store, auth, the built-in simulator) takes under a millisecond.
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, LIVEGATE_PORT: '0', LIVEGATE_HOST: '127.0.0.1', LIVEGATE_STORE: 'memory', LIVEGATE_STARTUP_TIMEOUT_MS: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  t.teardown(() => { proc.kill('SIGKILL') })
  let stderr = ''
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const [code] = await once(proc, 'exit') as [number | null]
  t.equal(code, 78)
  t.equal(stderr.trim(), 'LG_ERR_CONFIG_STARTUP_TIMEOUT: livegate did not start within 1 ms (LIVEGATE_STARTUP_TIMEOUT_MS)', 'one line, no stack trace')

  const app = await buildApp(loadConfig({ LIVEGATE_STORE: 'memory', LIVEGATE_LOG_LEVEL: 'silent', LIVEGATE_STARTUP_TIMEOUT_MS: '0' }))
  t.teardown(async () => { await app.close() })
  t.equal(app.initialConfig.pluginTimeout, 0)
  t.equal((await app.inject('/healthz')).statusCode, 200)
})
