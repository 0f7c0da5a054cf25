/**
 * The event schema, version 1: what clients append to the event log (and, later, POST /v1/events takes).
 * Every event has `id` (the client's idempotency key), `type`, `v: 1` and `at` (epoch milliseconds, an
 * integer: the time the event happened at the client, not when the log received it). Objects are strict:
 * an unknown field is an error, never ignored. User ids are strings, trimmed, 1–256 bytes of UTF-8, with no
 * control characters. docs/events.md has the table.
 */
import { z } from 'zod';
import { PymkError } from '../core/errors.js';
import { PROFILE_FIELDS } from '../core/tables.js';

export const EVENT_VERSION = 1;
const MAX_ID_BYTES = 256;
/** Largest `targets` list of one impression event. */
export const MAX_IMPRESSION_TARGETS = 1000;
/** Latest `at` accepted: the largest valid JS Date (year 275760). */
const MAX_EPOCH_MS = 8.64e15;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** A trimmed string of 1–256 UTF-8 bytes without control characters, failing with `expected <what>`. */
function idString(what: string) {
  return z
    .string({ error: `expected ${what}` })
    .trim()
    .refine((s) => s.length > 0 && bytes(s) <= MAX_ID_BYTES && !CONTROL.test(s), {
      error: `expected ${what} (1-${MAX_ID_BYTES} bytes, no control characters)`,
    });
}

const userId = idString('a user id');

/** Profile fields as src/core/tables.ts has them: dictionary-coded strings and seniority 0..10; null = unknown. */
const profileShape = {
  ...(Object.fromEntries(PROFILE_FIELDS.map((f) => [f, idString(`a ${f} name`).nullable().optional()])) as Record<
    (typeof PROFILE_FIELDS)[number],
    z.ZodOptional<z.ZodNullable<ReturnType<typeof idString>>>
  >),
  seniority: z.number({ error: 'expected an integer 0..10' }).int({ error: 'expected an integer 0..10' }).min(0).max(10).nullable().optional(),
};
const profile = z.strictObject(profileShape);

const base = {
  id: idString('an event id'),
  v: z.literal(EVENT_VERSION, { error: `expected ${EVENT_VERSION} (the schema version)` }),
  at: z
    .number({ error: 'expected epoch milliseconds' })
    .int({ error: 'expected epoch milliseconds (an integer)' })
    .min(0, { error: 'expected epoch milliseconds >= 0' })
    .max(MAX_EPOCH_MS, { error: 'expected epoch milliseconds' }),
};

function eventOf<T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.strictObject({ ...base, type: z.literal(type), ...shape });
}

const pair = { a: userId, b: userId };
const acting = { actor: userId, target: userId };
const subject = { user: userId };

/** The registry of event types: one strict schema each (no switch statements; see parseEvent). */
export const EVENT_SCHEMAS = {
  'connection.created': eventOf('connection.created', pair),
  'connection.removed': eventOf('connection.removed', pair),
  block: eventOf('block', acting),
  unblock: eventOf('unblock', acting),
  dismiss: eventOf('dismiss', acting),
  'user.created': eventOf('user.created', { ...subject, profile: profile.optional() }),
  'user.updated': eventOf('user.updated', {
    ...subject,
    profile: profile.refine((p) => Object.keys(p).length > 0, { error: 'expected at least one profile field' }),
  }),
  'user.deactivated': eventOf('user.deactivated', subject),
  'user.banned': eventOf('user.banned', subject),
  impression: eventOf('impression', {
    actor: userId,
    targets: z
      .array(userId, { error: 'expected a list of user ids' })
      .min(1, { error: 'expected at least one target' })
      .max(MAX_IMPRESSION_TARGETS, { error: `expected at most ${MAX_IMPRESSION_TARGETS} targets` }),
  }),
} as const;

export type EventType = keyof typeof EVENT_SCHEMAS;
export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS) as EventType[];
export type PymkEvent = { [T in EventType]: z.infer<(typeof EVENT_SCHEMAS)[T]> }[EventType];
export type EventOf<T extends EventType> = Extract<PymkEvent, { type: T }>;
export type ProfileUpdate = z.infer<typeof profile>;

function pathText(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : `${s}.${String(k)}`), root);
}

/** The issues of one event as `path: message` lines; empty when it is valid. */
function issuesOf(x: unknown, root: string): { ok: PymkEvent } | { issues: string[] } {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return { issues: [`${root}: expected an event object`] };
  const type = (x as { type?: unknown }).type;
  const schema = typeof type === 'string' && Object.hasOwn(EVENT_SCHEMAS, type) ? EVENT_SCHEMAS[type as EventType] : null;
  if (!schema) return { issues: [`${root}.type: expected one of ${EVENT_TYPES.join(', ')}`] };
  const r = schema.safeParse(x);
  if (r.success) return { ok: r.data as PymkEvent };
  const issues: string[] = [];
  for (const i of r.error.issues) {
    if (i.code === 'unrecognized_keys') for (const k of i.keys) issues.push(`${pathText(root, [...i.path, k])}: unknown field`);
    else issues.push(`${pathText(root, i.path)}: ${i.message}`);
  }
  return { issues };
}

/** Issues named in the message; the rest are counted (every one is in the error's `issues`). */
const ISSUES_SHOWN = 4;

function badEvent(issues: string[]): PymkError {
  const more = issues.length > ISSUES_SHOWN ? ` (and ${issues.length - ISSUES_SHOWN} more)` : '';
  return new PymkError('PYMK_BAD_EVENT', `${issues.slice(0, ISSUES_SHOWN).join('; ')}${more}`, { issues });
}

/** The event, validated (ids trimmed), or PYMK_BAD_EVENT naming the field path under `root`. */
export function parseEvent(x: unknown, root = 'event'): PymkEvent {
  const r = issuesOf(x, root);
  if ('issues' in r) throw badEvent(r.issues);
  return r.ok;
}

/**
 * A whole batch, validated before anything is used: one bad event rejects the batch (PYMK_BAD_EVENT naming
 * `events[i].field`), so a caller never applies half of it.
 */
export function parseEvents(xs: unknown, root = 'events'): PymkEvent[] {
  if (!Array.isArray(xs)) throw badEvent([`${root}: expected a list of events`]);
  const out: PymkEvent[] = [];
  const issues: string[] = [];
  xs.forEach((x, i) => {
    const r = issuesOf(x, `${root}[${i}]`);
    if ('issues' in r) issues.push(...r.issues);
    else out.push(r.ok);
  });
  if (issues.length > 0) throw badEvent(issues);
  return out;
}

/** Events travel through the logs as JSON text. */
export function encodeEvent(e: PymkEvent): string {
  return JSON.stringify(e);
}

/** Reads an event back from a log, validating it again (another writer may have put anything there). */
export function decodeEvent(text: string): PymkEvent {
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch {
    throw new PymkError('PYMK_BAD_EVENT', 'event: not JSON');
  }
  return parseEvent(x);
}
