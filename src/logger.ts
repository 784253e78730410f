/**
 * @module logger
 * pino options for the app: query-string and header redaction, and a last-line filter that replaces any secret value
 * (API keys, client tokens) wherever it would appear in a log line.
 */
import type { DestinationStream, LoggerOptions } from 'pino'
import type { Config } from './config.js'
import { secretsOf } from './config.js'

const SECRET_QUERY = /([?&](?:key|access_token|token|api_key|apikey)=)[^&#\s"]*/gi

/** `/ws/x?key=abc&a=1` → `/ws/x?key=[REDACTED]&a=1` */
export function redactUrl (url: string): string {
  return url.replace(SECRET_QUERY, '$1[REDACTED]')
}

/** Longest client-controlled string a log line carries (model ids, origins, URLs, paths). */
export const LOG_STRING_MAX_CHARS = 200

/**
 * Clips a string a client chose before it reaches a log line, noting how long it was, so a hostile value (a 100 KB
 * model id) costs a few hundred bytes of log per line whatever its size.
 * @example truncateForLog('x'.repeat(100_000)) // 'xxx…(200 of 100000 chars)'
 */
export function truncateForLog (value: string, max?: number): string
export function truncateForLog (value: string | undefined, max?: number): string | undefined
export function truncateForLog (value: string | undefined, max = LOG_STRING_MAX_CHARS): string | undefined {
  if (value === undefined || value.length <= max) return value
  return `${value.slice(0, max)}…(${max} of ${value.length} chars)`
}

function escapeRegExp (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

export function loggerOptions (config: Config): LoggerOptions {
  const secrets = secretsOf(config).filter((s) => s.length >= 4)
  const secretPattern = secrets.length > 0 ? new RegExp(secrets.map(escapeRegExp).join('|'), 'g') : undefined
  return {
    level: config.logLevel,
    redact: {
      paths: [
        'req.headers.authorization', 'req.headers["x-goog-api-key"]', 'req.headers.cookie',
        'headers.authorization', 'headers["x-goog-api-key"]', '*.apiKey', '*.key', '*.token',
      ],
      censor: '[REDACTED]',
    },
    serializers: {
      req (request: { method?: string, url?: string, ip?: string, id?: string }) {
        return { method: request.method, url: truncateForLog(redactUrl(request.url ?? '')), remoteAddress: request.ip, id: request.id }
      },
    },
    hooks: {
      streamWrite: secretPattern === undefined
        ? (line: string) => line.replace(SECRET_QUERY, '$1[REDACTED]')
        : (line: string) => line.replace(secretPattern, '[REDACTED]').replace(SECRET_QUERY, '$1[REDACTED]'),
    },
  }
}

export type LogDestination = DestinationStream
