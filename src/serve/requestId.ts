/**
 * Request ids: every request gets one, logged with each of its log lines (pino's `reqId`) and returned in
 * the `x-request-id` response header. A client or proxy may send its own in `x-request-id` to correlate
 * logs across services; it is kept when it is 1–128 characters of letters, digits and `._:-` (anything else
 * could forge log lines), else replaced by a fresh UUID.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: the caller's when it is safe to log, else a new UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
}
