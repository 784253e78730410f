/**
 * @module http/problem-json
 * Every REST error leaves through here as RFC 9457 `application/problem+json` with livegate's stable `code`.
 * Errors that are not ours get a generic detail, so internal messages never leak.
 */
import fp from 'fastify-plugin'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { ERRORS_DOC_URL, LivegateError, type ErrorCode } from '../errors.js'

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  instance: string
  code: ErrorCode
  [extra: string]: unknown
}

function problemOf (err: LivegateError, instance: string): Problem {
  return {
    ...err.extra,
    type: `${ERRORS_DOC_URL}#${err.code.toLowerCase()}`,
    title: err.title,
    status: err.status,
    detail: err.detail,
    instance,
    code: err.code,
  }
}

/** Map Fastify's own errors (body parsing, limits, validation) onto livegate codes. */
function fromFastifyError (err: FastifyError): LivegateError {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return new LivegateError('LG_ERR_HTTP_TOO_LARGE', err.message)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return new LivegateError('LG_ERR_HTTP_UNSUPPORTED_MEDIA', err.message)
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return new LivegateError('LG_ERR_RENDER_BAD_JSON', `body is not valid JSON: ${err.message}`)
    default: break
  }
  if (err.validation !== undefined) return new LivegateError('LG_ERR_HTTP_BAD_REQUEST', err.message)
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new LivegateError('LG_ERR_HTTP_BAD_REQUEST', err.message)
  }
  return new LivegateError('LG_ERR_HTTP_INTERNAL', 'An unexpected error occurred.')
}

/** Codes that always tell the client when to come back (RFC 9110 §10.2.3 Retry-After). */
const RETRY_LATER = new Set<ErrorCode>(['LG_ERR_RENDER_BUSY', 'LG_ERR_ARTIFACT_STORE_UNAVAILABLE', 'LG_ERR_LIMIT_RENDER_RATE', 'LG_ERR_LIMIT_PRESSURE'])

export function sendProblem (reply: FastifyReply, err: LivegateError): FastifyReply {
  const problem = problemOf(err, reply.request.url.split('?')[0] ?? '/')
  const retryAfter = err.extra?.retryAfterSeconds
  if (typeof retryAfter === 'number' || RETRY_LATER.has(err.code)) {
    void reply.header('retry-after', String(typeof retryAfter === 'number' ? Math.max(1, Math.ceil(retryAfter)) : 1))
  }
  return reply.code(err.status).type('application/problem+json').send(problem)
}

export default fp(async function problemJson (app) {
  app.setErrorHandler(function handleError (error: FastifyError | LivegateError, request: FastifyRequest, reply: FastifyReply) {
    const err = error instanceof LivegateError ? error : fromFastifyError(error)
    if (err.status >= 500 && err.code !== 'LG_ERR_RENDER_BUSY' && err.code !== 'LG_ERR_LIMIT_PRESSURE') request.log.error({ err: error }, 'request failed')
    else request.log.info({ code: err.code }, 'request rejected')
    return sendProblem(reply, err)
  })
  app.setNotFoundHandler(function notFound (request, reply) {
    return sendProblem(reply, new LivegateError('LG_ERR_HTTP_NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0] ?? ''}`))
  })
}, { name: 'livegate-problem-json', fastify: '5.x' })

