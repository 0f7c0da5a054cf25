/** The v1 event schema: every type accepted, bad events rejected naming the field path, batches whole. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPymkError } from '../../src/core/errors.js';
import { EVENT_TYPES, MAX_IMPRESSION_TARGETS, parseEvent, parseEvents, type PymkEvent } from '../../src/events/index.js';

const base = { v: 1, at: 1_760_000_000_000 } as const;

const ONE_OF_EACH: PymkEvent[] = [
  { ...base, id: 'e1', type: 'connection.created', a: 'u1', b: 'u2' },
  { ...base, id: 'e2', type: 'connection.removed', a: 'u1', b: 'u2' },
  { ...base, id: 'e3', type: 'block', actor: 'u1', target: 'u2' },
  { ...base, id: 'e4', type: 'unblock', actor: 'u1', target: 'u2' },
  { ...base, id: 'e5', type: 'dismiss', actor: 'u1', target: 'u2' },
  { ...base, id: 'e6', type: 'user.created', user: 'u9', profile: { company: 'Acme', school: 'MIT', location: 'Oslo', industry: 'Software', seniority: 4 } },
  { ...base, id: 'e7', type: 'user.updated', user: 'u9', profile: { company: null, seniority: 5 } },
  { ...base, id: 'e8', type: 'user.deactivated', user: 'u9' },
  { ...base, id: 'e9', type: 'user.banned', user: 'u9' },
  { ...base, id: 'e10', type: 'impression', actor: 'u1', targets: ['u2', 'u3'] },
];

/** The PYMK_BAD_EVENT message of `f`, failing when it does not throw one. */
function badMessage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(isPymkError(e), String(e));
    assert.equal(e.code, 'PYMK_BAD_EVENT');
    assert.equal(e.statusCode, 400);
    return e.message;
  }
  assert.fail('expected PYMK_BAD_EVENT');
}

test('every event type is accepted and comes back unchanged', () => {
  assert.deepEqual(new Set(ONE_OF_EACH.map((e) => e.type)), new Set(EVENT_TYPES));
  for (const e of ONE_OF_EACH) assert.deepEqual(parseEvent(structuredClone(e)), e);
  assert.deepEqual(parseEvent({ ...base, id: 'e', type: 'user.created', user: 'u' }), { ...base, id: 'e', type: 'user.created', user: 'u' });
});

test('user and event ids are trimmed; 256 bytes is the limit', () => {
  const e = parseEvent({ ...base, id: ' k1 ', type: 'block', actor: '  alice\t', target: 'é'.repeat(128) });
  assert.deepEqual(e, { ...base, id: 'k1', type: 'block', actor: 'alice', target: 'é'.repeat(128) });
  assert.match(badMessage(() => parseEvent({ ...base, id: 'k', type: 'block', actor: 'a', target: 'é'.repeat(128) + 'x' })), /^event\.target: expected a user id/);
});

test('bad events are rejected naming the field path', () => {
  const cases: [unknown, RegExp][] = [
    [{ ...base, id: 'e', type: 'connection.created', a: 'u1', b: '' }, /^event\.b: expected a user id/],
    [{ ...base, id: 'e', type: 'connection.created', a: 'u1', b: '   ' }, /^event\.b: expected a user id/],
    [{ ...base, id: 'e', type: 'connection.created', a: 'u1', b: 7 }, /^event\.b: expected a user id/],
    [{ ...base, id: 'e', type: 'connection.created', a: 'u1' }, /^event\.b: expected a user id/],
    [{ ...base, id: 'e', type: 'block', actor: 'u\u0007', target: 'u2' }, /^event\.actor: expected a user id .*no control characters/],
    [{ ...base, id: '', type: 'block', actor: 'u1', target: 'u2' }, /^event\.id: expected an event id/],
    [{ ...base, v: 2, id: 'e', type: 'block', actor: 'u1', target: 'u2' }, /^event\.v: expected 1/],
    [{ ...base, at: '2026-01-01', id: 'e', type: 'block', actor: 'u1', target: 'u2' }, /^event\.at: expected epoch milliseconds/],
    [{ ...base, at: 1.5, id: 'e', type: 'block', actor: 'u1', target: 'u2' }, /^event\.at: expected epoch milliseconds/],
    [{ ...base, id: 'e', type: 'impression', actor: 'u1', targets: ['u2', ''] }, /^event\.targets\[1\]: expected a user id/],
    [{ ...base, id: 'e', type: 'impression', actor: 'u1', targets: [] }, /^event\.targets: expected at least one target/],
    [{ ...base, id: 'e', type: 'impression', actor: 'u1', targets: Array.from({ length: MAX_IMPRESSION_TARGETS + 1 }, (_, i) => `u${i}`) }, /^event\.targets: expected at most/],
    [{ ...base, id: 'e', type: 'user.updated', user: 'u1', profile: {} }, /^event\.profile: expected at least one profile field/],
    [{ ...base, id: 'e', type: 'user.updated', user: 'u1', profile: { seniority: 11 } }, /^event\.profile\.seniority: expected an integer 0\.\.10/],
    [{ ...base, id: 'e', type: 'user.created', user: 'u1', profile: { company: 3 } }, /^event\.profile\.company: expected a company name/],
    [{ ...base, id: 'e', type: 'connection.made', a: 'u1', b: 'u2' }, /^event\.type: expected one of connection\.created, /],
    [{ ...base, id: 'e', a: 'u1', b: 'u2' }, /^event\.type: expected one of/],
    ['connection.created', /^event: expected an event object/],
    [null, /^event: expected an event object/],
  ];
  for (const [x, re] of cases) assert.match(badMessage(() => parseEvent(x)), re, JSON.stringify(x)?.slice(0, 120));
});

test('unknown fields are rejected, at the top level and inside the profile', () => {
  assert.equal(badMessage(() => parseEvent({ ...base, id: 'e', type: 'dismiss', actor: 'u1', target: 'u2', reason: 'x' })), 'event.reason: unknown field');
  assert.equal(badMessage(() => parseEvent({ ...base, id: 'e', type: 'user.updated', user: 'u1', profile: { company: 'A', title: 'CEO' } })), 'event.profile.title: unknown field');
  // a field of another event type is unknown here
  assert.equal(badMessage(() => parseEvent({ ...base, id: 'e', type: 'user.banned', user: 'u1', actor: 'u2' })), 'event.actor: unknown field');
});

test('a batch is validated whole: one bad event rejects it, naming events[i]', () => {
  const batch = [ONE_OF_EACH[0], ONE_OF_EACH[1], ONE_OF_EACH[2], { ...ONE_OF_EACH[0], b: '' }, ONE_OF_EACH[4]];
  const msg = badMessage(() => parseEvents(batch));
  assert.equal(msg, 'events[3].b: expected a user id (1-256 bytes, no control characters)');
  assert.match(badMessage(() => parseEvents([{}, ONE_OF_EACH[0], { ...ONE_OF_EACH[2], extra: 1 }])), /^events\[0\]\.type: .*; events\[2\]\.extra: unknown field$/);
  assert.match(badMessage(() => parseEvents({ events: [] })), /^events: expected a list of events/);
  assert.deepEqual(parseEvents(ONE_OF_EACH), ONE_OF_EACH);
  assert.deepEqual(parseEvents([]), []);
});

test('the error lists every issue of the batch in its details', () => {
  try {
    parseEvents([{ ...ONE_OF_EACH[0], a: '' }, ONE_OF_EACH[1], { ...ONE_OF_EACH[9], targets: [1] }]);
    assert.fail('expected PYMK_BAD_EVENT');
  } catch (e) {
    assert.ok(isPymkError(e));
    assert.deepEqual((e.details?.issues as string[]).map((s) => s.split(':')[0]), ['events[0].a', 'events[2].targets[0]']);
  }
});

test('openEventLog fails on an unknown scheme with the list of known ones', async () => {
  const { openEventLog } = await import('../../src/events/index.js');
  await assert.rejects(openEventLog('rabbit://x'), /unknown event log scheme 'rabbit:'; expected one of: memory:, redis-streams:, nats:, kafka:/);
  await assert.rejects(openEventLog('memory://x?claimMs=-1'), (e: Error & { code?: string }) => e.code === 'PYMK_CONFIG');
});

test('an event with several bad fields names up to four of them in the message, and counts the rest', () => {
  const msg = badMessage(() => parseEvent({ type: 'block', user: '0', target: '1' }));
  for (const f of ['event.id', 'event.v', 'event.at', 'event.actor']) assert.ok(msg.includes(f), `${f} in: ${msg}`);
  assert.match(msg, /; /);
  assert.match(msg, /\(and 1 more\)$/, msg);
});
