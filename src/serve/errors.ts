/**
 * Every error answer, whoever produced it, has the body `{ statusCode, code, error, message }` with a PYMK
 * code from core/errors.ts: errors thrown in routes and hooks (the error handler), unknown routes (the
 * not-found handler), what fastify's router rejects before a request exists (a URL that does not decode,
 * a path parameter over maxParamLength: `frameworkErrors`), and what Node's HTTP parser rejects before
 * fastify sees the request (headers too large, malformed requests, timeouts: `clientErrorHandler`).
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERRORS, PymkError, isPymkError, type ErrorCode } from '../core/errors.js';

export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  error: string;
  message: string;
}

/** The PYMK code for a framework error's HTTP status; any other 4xx is PYMK_BAD_INPUT. */
const BY_STATUS: Record<number, ErrorCode> = {
  401: 'PYMK_UNAUTHORIZED',
  403: 'PYMK_FORBIDDEN',
  404: 'PYMK_NOT_FOUND',
  405: 'PYMK_METHOD_NOT_ALLOWED',
  408: 'PYMK_REQUEST_TIMEOUT',
  413: 'PYMK_PAYLOAD_TOO_LARGE',
  414: 'PYMK_URI_TOO_LONG',
  415: 'PYMK_UNSUPPORTED_MEDIA_TYPE',
  429: 'PYMK_RATE_LIMITED',
  431: 'PYMK_HEADERS_TOO_LARGE',
};

function body(code: ErrorCode, message: string, statusCode: number = ERRORS[code].status): ErrorBody {
  return { statusCode, code, error: STATUS_CODES[statusCode] ?? ERRORS[code].title, message };
}

/**
 * Maps any thrown value to the stable error body. Client mistakes never become 5xx; fastify's own errors
 * (FST_*) keep their status and get the PYMK code for it; anything unknown is PYMK_INTERNAL with a
 * message that leaks nothing.
 */
export function toErrorBody(err: unknown): ErrorBody {
  if (isPymkError(err)) return err.toBody();
  const e = err as { validation?: unknown; statusCode?: number; message?: string; code?: string } | null;
  if (e?.validation) return new PymkError('PYMK_BAD_PARAM', e.message ?? 'invalid request').toBody();
  const status = e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = BY_STATUS[status] ?? 'PYMK_BAD_INPUT';
    return body(code, e?.message || STATUS_CODES[status] || 'bad request', code === 'PYMK_BAD_INPUT' ? status : ERRORS[code].status);
  }
  return new PymkError('PYMK_INTERNAL', 'internal error').toBody();
}

/** The longest message an error answer carries: fastify's own may quote the whole (over-long) URL. */
const MAX_MESSAGE = 300;

/**
 * The error body for a request: toErrorBody, with fastify's terse messages for a body over the limit and an
 * unaccepted content type replaced by ones that name the limit and what is accepted, and capped in length.
 */
export function requestErrorBody(err: unknown, req: FastifyRequest): ErrorBody {
  const code = (err as { code?: string } | null)?.code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new PymkError('PYMK_PAYLOAD_TOO_LARGE', `request body is larger than this route accepts (${req.routeOptions.bodyLimit ?? 'its limit'} bytes)`).toBody();
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const type = req.headers['content-type'];
    return new PymkError('PYMK_UNSUPPORTED_MEDIA_TYPE', `content type ${type ? `'${type.slice(0, 100)}'` : '(none)'} is not accepted: send application/json`).toBody();
  }
  const b = toErrorBody(err);
  return b.message.length > MAX_MESSAGE ? { ...b, message: `${b.message.slice(0, MAX_MESSAGE)}…` } : b;
}

/** Fastify's `frameworkErrors`: FST_ERR_BAD_URL (400), FST_ERR_MAX_PARAM_LENGTH (414), FST_ERR_ASYNC_CONSTRAINT (500). */
export function frameworkErrors(err: Error & { statusCode?: number }, req: FastifyRequest, reply: FastifyReply): void {
  const b = requestErrorBody(err, req);
  if (b.statusCode >= 500) req.log.error({ err }, 'framework error');
  void reply.status(b.statusCode).send(b);
}

/**
 * Fastify's `clientErrorHandler`, for what Node's HTTP parser rejects (there is no request or reply yet:
 * the answer is written on the socket). HPE_HEADER_OVERFLOW → 431, a request timeout → 408, anything else
 * the parser refuses (bad method, bad header, bad chunking, …) → 400.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const b =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? body('PYMK_HEADERS_TOO_LARGE', 'request headers are larger than the server accepts')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? body('PYMK_REQUEST_TIMEOUT', 'the request was not received in time')
        : body('PYMK_BAD_INPUT', `malformed HTTP request${err.code ? ` (${err.code})` : ''}`);
  const text = JSON.stringify(b);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${b.statusCode} ${b.error}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy(err);
}
