/**
 * One registry of error codes. Codes are stable and never reused: clients and tests match on them.
 * The HTTP body for any error is always `{ statusCode, code, error, message }`.
 */
export const ERRORS = {
  PYMK_BAD_INPUT: { status: 400, title: 'Bad Request' },
  PYMK_BAD_PARAM: { status: 400, title: 'Bad Request' },
  /** No credential, or one that is malformed, unknown, revoked, expired or fails verification. */
  PYMK_UNAUTHORIZED: { status: 401, title: 'Unauthorized' },
  /** A valid credential that lacks the scope the route needs. */
  PYMK_FORBIDDEN: { status: 403, title: 'Forbidden' },
  PYMK_USER_NOT_FOUND: { status: 404, title: 'Not Found' },
  PYMK_NOT_FOUND: { status: 404, title: 'Not Found' },
  /** The route exists but not for this method. */
  PYMK_METHOD_NOT_ALLOWED: { status: 405, title: 'Method Not Allowed' },
  /** The client did not send its request in time. */
  PYMK_REQUEST_TIMEOUT: { status: 408, title: 'Request Timeout' },
  PYMK_PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload Too Large' },
  /** The URL (or one of its path parameters) is longer than the server accepts. */
  PYMK_URI_TOO_LONG: { status: 414, title: 'URI Too Long' },
  PYMK_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported Media Type' },
  PYMK_RATE_LIMITED: { status: 429, title: 'Too Many Requests' },
  PYMK_HEADERS_TOO_LARGE: { status: 431, title: 'Request Header Fields Too Large' },
  PYMK_NOT_READY: { status: 503, title: 'Service Unavailable' },
  PYMK_CONFIG: { status: 500, title: 'Internal Server Error' },
  PYMK_PARSE: { status: 500, title: 'Internal Server Error' },
  PYMK_TOO_MANY_BAD_ROWS: { status: 500, title: 'Internal Server Error' },
  PYMK_BUNDLE_INVALID: { status: 500, title: 'Internal Server Error' },
  PYMK_BUNDLE_INCOMPLETE: { status: 500, title: 'Internal Server Error' },
  PYMK_BUNDLE_LOCKED: { status: 409, title: 'Conflict' },
  PYMK_STAGE_FAILED: { status: 500, title: 'Internal Server Error' },
  /** A stored value is malformed, truncated or in a format this reader does not know. */
  PYMK_STORE_INVALID: { status: 500, title: 'Internal Server Error' },
  /** The online store cannot be reached or has no published version. */
  PYMK_STORE_UNAVAILABLE: { status: 503, title: 'Service Unavailable' },
  PYMK_UNKNOWN_NAME: { status: 500, title: 'Internal Server Error' },
  /** A ranking model file is corrupt, was trained for another feature schema, or fails its golden batch. */
  PYMK_MODEL_INVALID: { status: 500, title: 'Internal Server Error' },
  /** An event (or one event of a batch) does not match the event schema; the message names the field path. */
  PYMK_BAD_EVENT: { status: 400, title: 'Bad Request' },
  /** The event log cannot be reached or refused a write. */
  PYMK_EVENTS_UNAVAILABLE: { status: 503, title: 'Service Unavailable' },
  /** The ranking model failed, timed out or its circuit breaker is open (serving falls back to the heuristic). */
  PYMK_RANKER_UNAVAILABLE: { status: 503, title: 'Service Unavailable' },
  /** A dataset source (e.g. PostgreSQL) cannot be reached, or a read from it failed midway. */
  PYMK_SOURCE_UNAVAILABLE: { status: 503, title: 'Service Unavailable' },
  PYMK_INTERNAL: { status: 500, title: 'Internal Server Error' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class PymkError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'PymkError';
    this.code = code;
    this.statusCode = ERRORS[code].status;
    this.details = details;
  }

  toBody(): { statusCode: number; code: ErrorCode; error: string; message: string } {
    return { statusCode: this.statusCode, code: this.code, error: ERRORS[this.code].title, message: this.message };
  }
}

export function isPymkError(e: unknown): e is PymkError {
  return e instanceof PymkError;
}

/** Fails with the list of valid names: registries use this instead of a bare "not found". */
export function unknownName(kind: string, name: string, valid: readonly string[]): PymkError {
  return new PymkError('PYMK_UNKNOWN_NAME', `unknown ${kind} '${name}'; expected one of: ${valid.join(', ')}`);
}
