/** Helpers for JSON-lines readers: parse one line to an object, and read an id field. */
import { quote } from './fields.js';

/** A row's problem: the skip reason (a report key) and the message (what was expected). */
export interface Problem {
  reason: string;
  message: string;
}

/** Thrown-free result of parsing one JSON line. */
export type JsonRow = { ok: true; value: Record<string, unknown> } | ({ ok: false } & Problem);

/** The object on this line, or why it is not one. */
export function parseJsonObject(text: string): JsonRow {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: 'invalid_json', message: `expected one JSON object per line: ${(e as Error).message}` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return { ok: false, reason: 'not_object', message: `expected one JSON object per line, got ${quote(v)}` };
  }
  return { ok: true, value: v as Record<string, unknown> };
}

/** An id field: a non-empty string or an integer (read as its decimal text). */
export function readId(v: unknown, field: string): string | Problem {
  if (typeof v === 'string' && v.length > 0) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (v === undefined || v === null || v === '') {
    return { reason: `missing_${field}`, message: `field '${field}' is required: a non-empty string or an integer` };
  }
  return { reason: `bad_${field}`, message: `field '${field}' must be a non-empty string or an integer, got ${quote(v)}` };
}
