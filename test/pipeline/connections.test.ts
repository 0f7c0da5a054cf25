/**
 * `pymk pipeline --connections FILE`: a bare edge list (comma, tab or space separated, header optional)
 * becomes a bundle; malformed lines are reported as file:line with counts by reason and never stop a run
 * that is otherwise fine; a failed ingest leaves no `.partial` folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAIN = join(process.cwd(), 'dist/src/cli/main.js');

/** A ring of 60 users with chords: every user has 2-hop candidates. */
function edges(sep: string): string[] {
  const out: string[] = [];
  for (let u = 0; u < 60; u++) {
    out.push(`n${u}${sep}n${(u + 1) % 60}`);
    out.push(`n${u}${sep}n${(u + 7) % 60}`);
  }
  return out;
}

function pipeline(dir: string, file: string, extra: string[] = []): { status: number | null; stderr: string; out: string } {
  const out = join(dir, 'bundle');
  const r = spawnSync(process.execPath, [MAIN, 'pipeline', '--connections', file, '--out', out, '--no-embed', '--no-rank', '--no-resume', ...extra], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, out };
}

const ids = (bundle: string): string[] => JSON.parse(readFileSync(join(bundle, 'users/ids.json'), 'utf8')) as string[];

test('--connections with a header line: the header is not a user, its column names pick src and dst', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pymk-conn-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'edges.csv');
  // dst first: the header decides which column is which.
  writeFileSync(file, ['friend,user', ...edges(',').map((l) => l.split(',').reverse().join(','))].join('\n') + '\n');
  const r = pipeline(dir, file);
  assert.equal(r.status, 0, r.stderr);
  const users = ids(r.out);
  assert.equal(users.length, 60);
  assert.ok(!users.includes('friend') && !users.includes('user'));
  assert.equal(users[0], 'n0', 'src (the "user" column) is interned first');
  assert.match(r.stderr, /header "friend,user": src=user, dst=friend/);
});

test('--connections without a header, tab or whitespace separated, gives the same graph', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pymk-conn-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sizes: number[] = [];
  for (const [name, sep] of [['e.tsv', '\t'], ['e.txt', '   ']] as const) {
    const file = join(dir, name);
    writeFileSync(file, edges(sep).join('\n') + '\n');
    const r = pipeline(dir, file);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(ids(r.out).length, 60);
    sizes.push(readFileSync(join(r.out, 'graph/graph.bin')).length);
  }
  assert.equal(sizes[0], sizes[1]);
});

test('--connections with bad lines: each reported as file:line with its reason, counts by reason, the run succeeds', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pymk-conn-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'edges.csv');
  const lines = ['src,dst', ...edges(',')];
  lines.splice(11, 0, 'n1,n2,n3,n4'); // line 12
  lines.splice(31, 0, ',n5'); // line 32
  lines.splice(51, 0, 'n6'); // line 52
  writeFileSync(file, lines.join('\n') + '\n');
  const r = pipeline(dir, file);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`rejected ${file.replace(/[.]/g, '\\.')}:12: wrong_column_count`));
  assert.match(r.stderr, /edges\.csv:32: empty_id/);
  assert.match(r.stderr, /edges\.csv:52: wrong_column_count/);
  assert.match(r.stderr, /input: 3 rows rejected \(wrong_column_count 2, empty_id 1; listed in .*rejects\.jsonl\)/);
  const rejects = readFileSync(join(r.out, 'data/rejects.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number });
  assert.deepEqual(rejects.map((x) => x.line), [12, 32, 52]);
});

test('--connections of numeric ids with a header in the middle: the text ids are kept but flagged with file:line; all-text ids are not flagged', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pymk-conn-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const numeric = edges('\t').map((l) => l.replace(/n/g, ''));
  const file = join(dir, 'edges.tsv');
  writeFileSync(file, [...numeric.slice(0, 40), 'cited\tciting', ...numeric.slice(40), 'paperA\t3'].join('\n') + '\n');
  const r = pipeline(dir, file);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /flagged: text_id \(kept\): .*edges\.tsv:41: id "cited" is not a number/);
  assert.match(r.stderr, /edges\.tsv:122: id "paperA" is not a number/);
  assert.match(r.stderr, /kept but flagged: text_id 2/);
  assert.ok(ids(r.out).includes('cited'), 'the row is kept (ids may be text)');
  // A file of text ids (the ring's n0, n1, …) is not flagged.
  const text = join(dir, 'text.tsv');
  writeFileSync(text, edges('\t').join('\n') + '\n');
  const r2 = pipeline(join(dir), text, ['--out', join(dir, 'bundle2')]);
  assert.equal(r2.status, 0, r2.stderr);
  assert.doesNotMatch(r2.stderr, /text_id/);
});

test('--connections that is mostly garbage: a clear error naming the file, no bundle and no .partial folder left', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pymk-conn-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'edges.csv');
  writeFileSync(file, Array.from({ length: 40 }, (_, i) => `a${i},b${i},1,2`).join('\n') + '\n');
  const r = pipeline(dir, file);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /PYMK_STAGE_FAILED: stage 'ingest' failed: PYMK_TOO_MANY_BAD_ROWS: .*edges\.csv: more than \d+ malformed rows/);
  // Said once, not twice (the progress line names the code only).
  assert.equal(r.stderr.split('more than').length - 1, 1, r.stderr);
  assert.match(r.stderr, /edges\.csv:1: expected 2 or 3 columns .* --columns SRC,DST\[,TS\]/);
  assert.equal(existsSync(r.out), false);
  assert.equal(existsSync(`${r.out}.partial`), false);
  const named = pipeline(dir, file, ['--columns', '0,1,3']);
  assert.equal(named.status, 0, named.stderr);
  assert.equal(ids(named.out).length, 80);
});

test('--connections given a folder, or --data given a file, is refused naming the right flag', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pymk-conn-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = pipeline(dir, dir);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--connections .*: expected an edge-list file, got a folder \(use --data\)/);
  const file = join(dir, 'e.csv');
  writeFileSync(file, 'a,b\n');
  const d = spawnSync(process.execPath, [MAIN, 'pipeline', '--data', file, '--out', join(dir, 'b')], { encoding: 'utf8' });
  assert.equal(d.status, 1);
  assert.match(d.stderr, /--data .*: expected a dataset folder, got a file \(use --connections\)/);
});
