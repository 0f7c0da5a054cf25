/**
 * The bad-input matrix: each case either loads correctly or is rejected with file, line and reason — and a
 * rejected row never invents a user. Every rejected row reaches onReject (the pipeline's rejects file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { isPymkError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { loadDataset, type LoadOptions, type Reject } from '../../src/data/load.js';
import type { World } from '../../src/data/world.js';
import { tempDataset } from './fixtures.js';

async function load(files: Record<string, string | Buffer>, opts: LoadOptions = {}): Promise<{ w: World; rejects: Reject[]; dir: string }> {
  const dir = tempDataset(files);
  const rejects: Reject[] = [];
  const w = await loadDataset(dir, { ...opts, onReject: (r) => rejects.push(r) });
  return { w, rejects, dir };
}

const edges = (w: World): string[] => Array.from({ length: w.connections.count }, (_, i) => `${w.ids.value(w.connections.src[i])}-${w.ids.value(w.connections.dst[i])}`);
const good = (n: number, from = 0): string => Array.from({ length: n }, (_, i) => `u${from + i},u${from + i + 1}\n`).join('');

test('a line that does not parse as CSV is rejected, not turned into two users', async () => {
  const { w, rejects, dir } = await load({ 'connections.csv': good(20) + 'this is not,a valid"line\n' });
  assert.equal(w.ids.lookup('this is not'), -1);
  assert.equal(w.ids.lookup('a valid"line'), -1);
  assert.equal(w.ids.size, 21);
  assert.deepEqual(w.report.files[0].skipped, { stray_quote: 1 });
  assert.deepEqual(rejects, [{ file: join(dir, 'connections.csv'), line: 21, reason: 'stray_quote', message: rejects[0].message, text: 'this is not,a valid"line' }]);
});

test('ids with a NUL byte, other control characters, invalid UTF-8, spaces or over 256 bytes are bad_id', async () => {
  const long = 'x'.repeat(257);
  const body = Buffer.concat([
    Buffer.from(good(30)),
    Buffer.from('a\u0000b,u1\n'),
    Buffer.from('u1,c\u0007d\n'),
    Buffer.from([0x75, 0xff, 0xfe, 0x2c, 0x75, 0x31, 0x0a]), // u\xff\xfe,u1
    Buffer.from(`${long},u1\n`),
    Buffer.from(`${'y'.repeat(256)},u1\n`), // exactly 256 bytes: fine
  ]);
  const { w, rejects } = await load({ 'connections.csv': body });
  assert.deepEqual(w.report.files[0].skipped, { bad_id: 4 });
  assert.deepEqual(rejects.map((r) => r.line), [31, 32, 33, 34]);
  assert.match(rejects[0].message, /non-printable character U\+0000/);
  assert.match(rejects[2].message, /invalid UTF-8/);
  assert.match(rejects[3].message, /257 bytes long, the limit is 256/);
  assert.ok(rejects[3].text.endsWith('…') && Buffer.byteLength(rejects[3].text) < 260, 'text is truncated');
  assert.equal(w.ids.size, 32, 'no user from a rejected row; the 256-byte id is one');
});

test('the id grammar is configurable in dataset.json: maxBytes, allow, pattern', async () => {
  const { w } = await load({ 'dataset.json': '{"ids":{"allow":" ","pattern":"^[a-z ]+$","maxBytes":8}}', 'connections.csv': 'ann lee,bob\nbob,carl\nbob,Dave\nbob,abcdefghi\n' }, { maxBadRows: 10 });
  assert.deepEqual(edges(w), ['ann lee-bob', 'bob-carl']);
  assert.deepEqual(w.report.files[0].skipped, { bad_id: 2 });
  await assert.rejects(loadDataset(tempDataset({ 'dataset.json': '{"ids":{"pattern":"("}}', 'connections.csv': 'a,b\n' })), (e) => isPymkError(e) && e.code === 'PYMK_BAD_INPUT' && /ids\.pattern: must be a valid/.test(e.message));
});

test('an edge to a user absent from a present users.jsonl: counted and kept (default) or rejected (unknownUsers reject)', async () => {
  const files = { 'users.jsonl': '{"id":"a"}\n{"id":"b"}\n{"id":"c"}\n', 'connections.csv': 'a,b\nb,c\nc,ghost\n' };
  const kept = await load(files);
  assert.deepEqual(edges(kept.w), ['a-b', 'b-c', 'c-ghost']);
  assert.deepEqual(kept.w.report.files[1].flagged, { unknown_user: 1 });
  assert.match(kept.w.report.warnings?.join('\n') ?? '', /connections\.csv: 1 rows name users absent from the profile file/);
  const rejected = await load(files, { unknownUsers: 'reject' });
  assert.deepEqual(edges(rejected.w), ['a-b', 'b-c']);
  assert.equal(rejected.w.ids.lookup('ghost'), -1, 'no invented user');
  assert.deepEqual(rejected.rejects.map((r) => [r.line, r.reason]), [[3, 'unknown_user']]);
  const viaManifest = await load({ ...files, 'dataset.json': '{"unknownUsers":"reject"}' });
  assert.equal(viaManifest.w.ids.lookup('ghost'), -1);
});

test('a random-binary connections file of 64 rows fails; a 1M-row file with 500 bad rows passes', async () => {
  const rng = new Rng(3);
  const lines: Buffer[] = [];
  for (let i = 0; i < 64; i++) {
    if (i % 3 === 0 && i < 57) lines.push(Buffer.from(`u${i},u${i + 1}\n`));
    else lines.push(Buffer.from([...Array.from({ length: 5 + rng.int(20) }, () => rng.int(256)).filter((b) => b !== 10), 10]));
  }
  const dir = tempDataset({ 'connections.csv': Buffer.concat(lines) });
  await assert.rejects(loadDataset(dir), (e) => isPymkError(e) && e.code === 'PYMK_TOO_MANY_BAD_ROWS' && e.message.includes(join(dir, 'connections.csv')));
  // 1M rows with 500 bad ones (0.05%), near the start (after the first row, which sets the separator): passes.
  const big = good(1) + 'bad\n'.repeat(500) + good(999_999, 1);
  const { w } = await load({ 'connections.csv': big });
  assert.equal(w.report.files[0].skipped.wrong_column_count, 500);
  assert.equal(w.connections.count, 1_000_000);
});

test('an empty connections file fails naming it; an empty optional file is a warning naming it', async () => {
  const dir = tempDataset({ 'connections.csv': '' });
  await assert.rejects(loadDataset(dir), (e) => isPymkError(e) && e.code === 'PYMK_BAD_INPUT' && e.message.startsWith(`${join(dir, 'connections.csv')}: no valid connections`));
  const { w, dir: d2 } = await load({ 'connections.csv': 'a,b\n', 'users.jsonl': '', 'events.jsonl': '' });
  assert.deepEqual(w.report.warnings?.slice(0, 2), [
    `${join(d2, 'users.jsonl')}: empty profiles file (no data rows): every user has an empty profile`,
    `${join(d2, 'events.jsonl')}: empty events file (no data rows): no activity (no log-derived features, no exclusions)`,
  ]);
});

test('BOM, tab-delimited, quoted fields, gzip: load correctly', async () => {
  const bom = await load({ 'connections.csv': '\ufeffsrc,dst\na,b\n' });
  assert.deepEqual(edges(bom.w), ['a-b']);
  const tab = await load({ 'connections.tsv': 'a\tb\t1700000000\nb\tc\n' });
  assert.deepEqual(edges(tab.w), ['a-b', 'b-c']);
  const quoted = await load({ 'connections.csv': '"a","b"\n"Smith, J",c\n' }, { maxBadRows: 5 });
  assert.deepEqual(edges(quoted.w), ['a-b'], 'a quoted comma inside an id is outside the default grammar');
  assert.deepEqual(quoted.rejects.map((r) => [r.line, r.reason]), [[2, 'bad_id']]);
  const gz = await load({ 'connections.csv.gz': gzipSync('\ufeffa,b\nb,c\n'), 'users.jsonl.gz': gzipSync('{"id":"a","company":"X"}\n') });
  assert.deepEqual(edges(gz.w), ['a-b', 'b-c']);
  assert.equal(gz.w.report.files[0].rowsKept, 1);
});

test('duplicate header names are PYMK_BAD_INPUT naming file and line; a repeated header line is rejected, not a user', async () => {
  const dir = tempDataset({ 'connections.csv': 'src,dst,dst\na,b,c\n' });
  await assert.rejects(loadDataset(dir), (e) => isPymkError(e) && e.code === 'PYMK_BAD_INPUT' && e.message.includes(`${join(dir, 'connections.csv')}:1: the header names the column "dst" twice`));
  const p = tempDataset({ 'connections.csv': 'a,b\n', 'users.csv': 'id,company,id\nx,y,z\n' });
  await assert.rejects(loadDataset(p), (e) => isPymkError(e) && /users\.csv:1: the header names the column "id" twice/.test(e.message));
  const { w, rejects } = await load({ 'connections.csv': `src,dst\n${good(20)}src,dst\n${good(5, 100)}`, 'users.csv': `id,company\nu1,X\n${'u2,Y\n'}id,company\nu3,Z\n` });
  assert.equal(w.ids.lookup('src'), -1);
  assert.equal(w.ids.lookup('id'), -1);
  assert.deepEqual(rejects.map((r) => [r.file.split('/').pop(), r.line, r.reason]), [['users.csv', 4, 'repeated_header'], ['connections.csv', 22, 'repeated_header']]);
});

test('bad timestamp, missing column and broken JSON: each in onReject with file, line and reason', async () => {
  const { rejects, w } = await load({ 'users.jsonl': '{"id":"u1"}\n{"id":"u2"\n' + '{"id":"u3"}\n'.repeat(1), 'connections.csv': good(30) + 'u1,u2,notatime\nu1\n' }, { maxBadRows: 5 });
  assert.deepEqual(rejects.map((r) => [r.file.split('/').pop(), r.line, r.reason]), [['users.jsonl', 2, 'invalid_json'], ['connections.csv', 31, 'bad_ts'], ['connections.csv', 32, 'wrong_column_count']]);
  assert.equal(w.report.files[1].malformed, 2);
});
