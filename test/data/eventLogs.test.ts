/**
 * Event logs as they are kept: a folder of rotated JSONL files (logrotate's numbered copies, dated names,
 * gzipped or not) read oldest first, one report per file; and a watermark that skips what an earlier run
 * consumed, counted as dropped by rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isPymkError } from '../../src/core/errors.js';
import { EVENT_TYPES } from '../../src/core/tables.js';
import { loadDataset, type Reject } from '../../src/data/load.js';
import { rotatedFiles } from '../../src/data/readers/rotated.js';
import type { World } from '../../src/data/world.js';
import { tempDataset } from './fixtures.js';

const ev = (ts: number, actor: string, target: string, type = 'impression'): string => `${JSON.stringify({ ts, type, actor, target })}\n`;
const events = (w: World): string[] =>
  Array.from({ length: w.events.count }, (_, i) => `${w.events.ts[i]}:${EVENT_TYPES[w.events.type[i]]}:${w.ids.value(w.events.actor[i])}>${w.ids.value(w.events.target[i])}`);

function logFolder(files: Record<string, string | Buffer>): string {
  const dir = tempDataset({ 'connections.csv': 'src,dst\na,b\nb,c\nc,d\n' });
  mkdirSync(join(dir, 'events'));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, 'events', name), body);
  return dir;
}

test('a folder of rotated logs is read oldest first: numbered copies (highest first, .gz or not), then the live file', async () => {
  const dir = logFolder({
    'events.jsonl': ev(400, 'a', 'b'),
    'events.jsonl.1': ev(300, 'a', 'c'),
    'events.jsonl.2.gz': gzipSync(ev(200, 'b', 'c')),
    'events.jsonl.10.gz': gzipSync(ev(100, 'c', 'd')),
    'README.txt': 'not a log',
  });
  const w = await loadDataset(dir);
  assert.deepEqual(events(w), ['100:impression:c>d', '200:impression:b>c', '300:impression:a>c', '400:impression:a>b']);
  assert.deepEqual(w.report.files.filter((f) => f.kind === 'events').map((f) => f.path.split('/').pop()), ['events.jsonl.10.gz', 'events.jsonl.2.gz', 'events.jsonl.1', 'events.jsonl']);
  assert.deepEqual((await rotatedFiles(join(dir, 'events'))).ignored, ['README.txt']);
});

test('dated log names sort by name; a bad line is rejected naming its own file and line', async () => {
  const dir = logFolder({
    'events-2026-12-02.jsonl.gz': gzipSync(ev(200, 'b', 'c') + '{"ts":1,"type":"nope","actor":"a","target":"b"}\n'),
    'events-2026-12-01.jsonl': ev(100, 'a', 'b'),
  });
  const rejects: Reject[] = [];
  const w = await loadDataset(dir, { maxBadRows: 1, onReject: (r) => rejects.push(r) });
  assert.deepEqual(events(w), ['100:impression:a>b', '200:impression:b>c']);
  assert.equal(rejects.length, 1);
  assert.equal(rejects[0].file, join(dir, 'events', 'events-2026-12-02.jsonl.gz'));
  assert.equal(rejects[0].line, 2);
  assert.equal(rejects[0].reason, 'unknown_event_type');
});

test('a folder without log files is PYMK_BAD_INPUT naming it', async () => {
  const dir = logFolder({ 'notes.txt': 'x' });
  await assert.rejects(loadDataset(dir), (e: unknown) => isPymkError(e) && e.code === 'PYMK_BAD_INPUT' && e.message.includes(join(dir, 'events')));
});

test('the watermark: events at or before it are dropped by rule (counted, not malformed), later ones kept', async () => {
  const dir = logFolder({ 'events.jsonl.1': ev(100, 'a', 'b') + ev(200, 'a', 'c'), 'events.jsonl': ev(300, 'b', 'c') + ev(400, 'x', 'y', 'dismiss') + `{"ts":"1970-01-01T00:02:00Z","type":"block","actor":"c","target":"d"}\n` });
  const w = await loadDataset(dir, { eventsSince: 200, maxBadRows: 0 });
  assert.deepEqual(events(w), ['300:impression:b>c', '400:dismiss:x>y']);
  const [older, live] = w.report.files.filter((f) => f.kind === 'events');
  assert.deepEqual([older.skipped, older.malformed, older.rowsRead, older.rowsKept], [{ before_watermark: 2 }, 0, 2, 0]);
  assert.deepEqual(live.skipped, { before_watermark: 1 }, 'an ISO time before the watermark too');
  assert.equal(w.ids.lookup('x') >= 0, true, 'users of events after the watermark get ids');
  const all = await loadDataset(dir);
  assert.equal(all.events.count, 5);
});
