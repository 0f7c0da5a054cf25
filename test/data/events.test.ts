import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dictionary } from '../../src/core/dictionary.js';
import { EVENT_TYPES } from '../../src/core/tables.js';
import { IdGrammar } from '../../src/data/readers/idGrammar.js';
import { IdInterner } from '../../src/data/readers/ids.js';
import { readEvents } from '../../src/data/readers/events.js';
import { tempFile } from './fixtures.js';

const line = (o: object): string => JSON.stringify(o) + '\n';

test('events: every type, ids interned (numbers as text), ts as epoch or ISO', async () => {
  const rows = EVENT_TYPES.map((type, i) => ({ ts: 1700000000 + i, type, actor: `u${i}`, target: i % 2 ? 7 : 'u7' }));
  rows.push({ ts: '2023-11-14T22:13:20Z' as unknown as number, type: 'dismiss', actor: 'u1', target: 'u2' });
  const ids = new Dictionary();
  const r = await readEvents(tempFile('events.jsonl', rows.map(line).join('')), new IdInterner(ids));
  const ev = r.events;
  assert.equal(ev.count, rows.length);
  for (let i = 0; i < rows.length; i++) {
    assert.equal(EVENT_TYPES[ev.type[i]], rows[i].type);
    assert.equal(ids.value(ev.actor[i]), String(rows[i].actor));
    assert.equal(ids.value(ev.target[i]), String(rows[i].target));
  }
  assert.equal(ev.ts[rows.length - 1], 1700000000);
  assert.notEqual(ids.lookup('7'), ids.lookup('u7'));
});

test('events: bad rows skipped and counted with file, line and what was expected', async () => {
  const body = [
    line({ ts: 1, type: 'impression', actor: 'a', target: 'b' }),
    line({ ts: 1, type: 'click', actor: 'a', target: 'b' }),
    line({ ts: 1, actor: 'a', target: 'b' }),
    line({ type: 'block', actor: 'a', target: 'b' }),
    line({ ts: 'soon', type: 'block', actor: 'a', target: 'b' }),
    line({ ts: 1, type: 'block', target: 'b' }),
    line({ ts: 1, type: 'block', actor: 'a', target: {} }),
    line({ ts: 1, type: 'block', actor: 'a', target: 'a' }),
    'not json\n',
    line({ ts: 2, type: 'toString', actor: 'a', target: 'b', extra: 1 }),
    '{"ts":3,"type":"block","actor":"a","target":12345678901234567890}\n',
  ].join('');
  const r = await readEvents(tempFile('events.jsonl', body), new IdInterner(new Dictionary()), { maxBadRows: 100 });
  assert.equal(r.events.count, 1);
  assert.deepEqual(r.report.skipped, {
    unknown_event_type: 2,
    missing_type: 1,
    missing_ts: 1,
    bad_ts: 1,
    missing_actor: 1,
    bad_target: 2,
    actor_is_target: 1,
    invalid_json: 1,
  });
  assert.match(r.report.samples[0], /events\.jsonl:2: field 'type' must be one of impression, profile_view, .*block, got "click"$/);
  assert.match(r.report.samples[2], /events\.jsonl:4: field 'ts' must be epoch seconds .* or ISO 8601, got nothing$/);
  assert.deepEqual(r.report.notes, ["unknown field 'extra' ignored (first on line 10)"]);
});

test('the fast path and the general path read the same events (spacing, key order, escapes, ISO times)', async () => {
  const rows = [
    '{"ts":1700000000,"type":"impression","actor":"u1","target":"u2"}',
    '{ "target" : "u2" , "actor" : "u1", "type": "block", "ts": 1700000001 }',
    '{"ts":"2023-11-14T22:13:20Z","type":"dismiss","actor":17,"target":"17x"}',
    '{"ts":1700000002,"type":"profile_view","actor":"u\\u0031","target":"q\\"uote"}',
    '{"ts":1700000003.0,"type":"invite_sent","actor":"é","target":"u2"}',
  ];
  const ids = new Dictionary();
  const r = await readEvents(tempFile('events.jsonl', rows.join('\n')), new IdInterner(ids, new IdGrammar({ allow: '"' })));
  assert.equal(r.events.count, rows.length);
  rows.forEach((text, i) => {
    const o = JSON.parse(text);
    assert.equal(EVENT_TYPES[r.events.type[i]], o.type);
    assert.equal(ids.value(r.events.actor[i]), String(o.actor));
    assert.equal(ids.value(r.events.target[i]), String(o.target));
    assert.equal(r.events.ts[i], typeof o.ts === 'number' ? Math.floor(o.ts) : Date.parse(o.ts) / 1000);
  });
  assert.equal(ids.lookup('u1'), r.events.actor[0]);
  assert.equal(r.events.actor[3], r.events.actor[0], '"u\\u0031" is u1');
});
