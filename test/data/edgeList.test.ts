import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dictionary } from '../../src/core/dictionary.js';
import { isPymkError } from '../../src/core/errors.js';
import { readEdgeList, type EdgeListOptions } from '../../src/data/readers/edgeList.js';
import { IdGrammar, type IdGrammarOptions } from '../../src/data/readers/idGrammar.js';
import { IdInterner } from '../../src/data/readers/ids.js';
import { tempFile } from './fixtures.js';

/** Reads `body` as an edge list and returns its edges as external-id triples plus the report. */
async function read(body: string, opts: EdgeListOptions = {}, name = 'edges.txt', grammar: IdGrammarOptions = {}) {
  const ids = new Dictionary();
  const r = await readEdgeList(tempFile(name, body), new IdInterner(ids, new IdGrammar(grammar)), opts);
  const e = r.edges;
  const edges = Array.from({ length: e.count }, (_, i) => [ids.value(e.src[i]), ids.value(e.dst[i]), e.ts[i]]);
  return { edges, report: r.report, header: r.header, ids };
}

test('whitespace, CSV and TSV edge lists read the same, with comments, blank lines and CRLF', async () => {
  const want = [['1', '2', 0], ['2', '3', 0], ['a', 'b', 0]];
  for (const body of [
    '# comment\n1 2\n\n2   3\r\n%another\n  a\tb  \n',
    '1,2\r\n2,3\r\n# c\r\na,b\r\n',
    '1\t2\n2\t3\n\na\tb',
  ]) {
    const r = await read(body);
    assert.deepEqual(r.edges, want, JSON.stringify(body));
    assert.equal(r.report.rowsRead, 3);
    assert.equal(r.report.rowsKept, 3);
    assert.deepEqual(r.report.skipped, {});
  }
});

test('timestamps: epoch seconds, ISO 8601 and empty (unknown)', async () => {
  const r = await read('a,b,1700000000\nb,c,2023-01-01T00:00:00Z\nc,d,\n');
  assert.deepEqual(r.edges, [['a', 'b', 1700000000], ['b', 'c', 1672531200], ['c', 'd', 0]]);
});

test('header variants are recognised and name the columns; a first data row is not taken for a header', async () => {
  let r = await read('src,dst,ts\nu1,u2,5\n');
  assert.deepEqual(r.header, ['src', 'dst', 'ts']);
  assert.deepEqual(r.edges, [['u1', 'u2', 5]]);
  r = await read('Source Target Time\n1 2 7\n');
  assert.deepEqual(r.edges, [['1', '2', 7]]);
  r = await read('TIME,TARGET,SOURCE\n9,2,1\n');
  assert.deepEqual(r.edges, [['1', '2', 9]], 'columns follow the header names');
  r = await read('SOURCE,TARGET,RATING,TIME\n6,2,4,1289241912\n');
  assert.deepEqual(r.edges, [['6', '2', 1289241912]], 'extra columns allowed when a header names them');
  r = await read('src,dst,ts\nu1,u2\n');
  assert.deepEqual(r.edges, [['u1', 'u2', 0]], 'a trailing ts may be left out');
  r = await read('alice,bob\ncarol,dave\n');
  assert.equal(r.header, null);
  assert.equal(r.edges.length, 2);
  r = await read('x y 1700000000\n');
  assert.equal(r.header, null, 'a numeric third column makes it data');
  assert.deepEqual(r.edges, [['x', 'y', 1700000000]]);
});

test('explicit columns pick src/dst/ts from wider rows', async () => {
  const r = await read('6,2,4,1289241912\n7,1,-1,1289241913\n', { columns: { src: 0, dst: 1, ts: 3 } });
  assert.deepEqual(r.edges, [['6', '2', 1289241912], ['7', '1', 1289241913]]);
});

test('quoted CSV ids with commas and quotes: refused by the default id grammar, read when the dataset allows them', async () => {
  const body = '"Smith, J","O""Brien",5\nplain,"x",\n';
  const r = await read(body, {}, 'edges.txt', { allow: ' ,"' });
  assert.deepEqual(r.edges, [['Smith, J', 'O"Brien', 5], ['plain', 'x', 0]]);
  const d = await read(body, { maxBadRows: 1 });
  assert.deepEqual(d.edges, [['plain', 'x', 0]]);
  assert.deepEqual(d.report.skipped, { bad_id: 1 });
  assert.match(d.report.samples[0], /edges\.txt:1: src "Smith, J": id holds the character "," at offset 5/);
  assert.deepEqual(d.ids.toArray(), ['plain', 'x'], 'no user for the refused row');
});

test('self-loops are dropped and counted, their users still get ids; repeated pairs merge keeping the earliest time', async () => {
  const r = await read('1 1 5\n1 2 50\n2 1 10\n1 2 0\n3 4\n4 3 7\n');
  assert.deepEqual(r.edges, [['1', '2', 10], ['3', '4', 7]]);
  assert.deepEqual(r.report.skipped, { self_loop: 1, duplicate_pair: 3 });
  assert.equal(r.report.rowsRead, 6);
  assert.equal(r.report.rowsKept, 2);
  assert.equal(r.ids.size, 4);
  const d = await read('1 2 50\n2 1 10\n1 2 20\n', { directed: true });
  assert.deepEqual(d.edges, [['1', '2', 20], ['2', '1', 10]], 'directed: only same-direction repeats merge');
});

test('malformed rows are skipped and counted by reason, quoting file, line and what was expected', async () => {
  const body = 'a,b,1\na,b,c,d\nc,x\nonly\n,z,1\nd,e,notatime\ne,f,1700000000000\ng,"open\nh,i,2\n';
  const r = await read(body, { maxBadRows: 100 }, 'conn.csv');
  assert.deepEqual(r.edges.map((e) => e.slice(0, 2)), [['a', 'b'], ['c', 'x'], ['h', 'i']]);
  assert.deepEqual(r.report.skipped, { wrong_column_count: 2, empty_id: 1, bad_ts: 2, unterminated_quote: 1 });
  assert.equal(r.report.rowsRead, 9);
  assert.equal(r.report.samples.length, 5);
  assert.match(r.report.samples[0], /conn\.csv:2: expected 2 or 3 columns \(src dst \[ts\]\) separated by ',', got 4 \(name the columns with --columns SRC,DST\[,TS\], 0-based, or connections.columns in dataset.json\)$/);
  assert.match(r.report.samples[1], /conn\.csv:4: expected 2 or 3 columns .* got 1$/);
  assert.match(r.report.samples[2], /conn\.csv:5: expected a non-empty src id$/);
  assert.match(r.report.samples[3], /conn\.csv:6: ts must be epoch seconds .* or ISO 8601, got "notatime"$/);
  assert.match(r.report.samples[4], /conn\.csv:7: .*got "1700000000000" \(milliseconds\? expected seconds\)$/);
  assert.ok(!r.ids.toArray().includes('d'), 'ids of skipped rows are not registered');
});

test('more malformed rows than maxBadRows aborts with PYMK_TOO_MANY_BAD_ROWS naming the file', async () => {
  const body = '1 2\n' + 'x\n'.repeat(4) + '3 4\n';
  await assert.doesNotReject(read(body, { maxBadRows: 4 }));
  await assert.rejects(read(body, { maxBadRows: 3 }, 'too-bad.txt'), (e) => {
    assert.ok(isPymkError(e) && e.code === 'PYMK_TOO_MANY_BAD_ROWS');
    assert.match(e.message, /too-bad\.txt: more than 3 malformed rows/);
    assert.match(e.message, /too-bad\.txt:2: expected 2 or 3 columns/);
    return true;
  });
});

test('the default limit is max(10, 1% of rows), below half the rows: 10 bad rows pass, 11 do not; 1% of a large file is allowed', async () => {
  const good = (n: number): string => Array.from({ length: n }, (_, i) => `${i} ${i + 1}\n`).join('');
  await assert.doesNotReject(read(good(20) + 'bad\n'.repeat(10)));
  await assert.rejects(read(good(20) + 'bad\n'.repeat(11)), (e) => isPymkError(e) && e.code === 'PYMK_TOO_MANY_BAD_ROWS');
  // A small file that is mostly garbage fails even below the floor of 10: 6 bad rows of 12 is half the file.
  await assert.rejects(read(good(6) + 'bad\n'.repeat(6)), (e) => isPymkError(e) && e.code === 'PYMK_TOO_MANY_BAD_ROWS');
  await assert.doesNotReject(read(good(7) + 'bad\n'.repeat(5)));
  // 150,000 good rows + 1,500 bad rows (0.99% of 151,500): allowed, even with the bad rows first.
  const r = await read('bad\n'.repeat(1500) + good(150_000));
  assert.equal(r.report.skipped.wrong_column_count, 1500);
  await assert.rejects(read('bad\n'.repeat(1600) + good(150_000)), (e) => isPymkError(e) && e.code === 'PYMK_TOO_MANY_BAD_ROWS');
});

test('an empty file reads as no edges; ids keep their text ("017" is not "17")', async () => {
  const e = await read('');
  assert.equal(e.edges.length, 0);
  assert.equal(e.report.rowsRead, 0);
  const r = await read('017 17\n');
  assert.deepEqual(r.edges, [['017', '17', 0]]);
});

test('the first line decides the separator: a line with another one is skipped, naming file:line and the separator expected', async () => {
  const r = await read('a,b\nc\td\ne f\ng,h\n', { maxBadRows: 100 }, 'mixed.csv');
  assert.deepEqual(r.edges.map((e) => e.slice(0, 2)), [['a', 'b'], ['g', 'h']]);
  assert.deepEqual(r.report.skipped, { wrong_column_count: 2 });
  assert.match(r.report.samples[0], /mixed\.csv:2: expected 2 or 3 columns \(src dst \[ts\]\) separated by ',', got 1/);
  assert.match(r.report.samples[1], /mixed\.csv:3: /);
});
