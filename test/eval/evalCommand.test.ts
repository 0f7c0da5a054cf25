import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';

const MAIN = join(process.cwd(), 'dist/src/cli/main.js');

/** A dataset folder: 12 communities of 15 users, timestamped connections, a dataset.json with a name. */
function writeDataset(dir: string): void {
  const rng = new Rng(4);
  const lines = ['src,dst,ts'];
  for (let u = 0; u < 180; u++) {
    for (let v = u + 1; v < 180; v++) {
      if (rng.chance(Math.floor(u / 15) === Math.floor(v / 15) ? 0.4 : 0.01)) lines.push(`p${u},p${v},${1_700_000_000 + rng.int(86_400 * 30)}`);
    }
  }
  writeFileSync(join(dir, 'connections.csv'), lines.join('\n') + '\n');
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify({ name: 'tiny-communities', connections: { path: 'connections.csv', directed: false } }));
}

test('pymk eval prints the markdown report and writes JSON and markdown files', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pymk-eval-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeDataset(dir);
  const out = join(dir, 'results', 'eval.json');
  const r = spawnSync(process.execPath, [MAIN, 'eval', '--data', dir, '--split', 'temporal', '--k', '5,10', '--methods', 'random,aa', '--users', '40', '--out', out, '--quiet'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /# Offline evaluation: tiny-communities/);
  assert.match(r.stdout, /\| aa \| [0-9.]+ \| [0-9.]+ \|/);
  const json = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(json.dataset, 'tiny-communities');
  assert.equal(json.split.kind, 'temporal');
  assert.deepEqual(json.ks, [5, 10]);
  assert.deepEqual(
    json.methods.map((m: { method: string }) => m.method),
    ['random', 'aa'],
  );
  assert.ok(json.counts.queryUsers > 0 && json.counts.queryUsers <= 40);
  assert.ok(typeof json.machine.cores === 'number');
  assert.equal(readFileSync(join(dir, 'results', 'eval.md'), 'utf8'), r.stdout);
});

test('pymk eval fails with the valid names for an unknown method, and refuses --cut with a random split', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pymk-eval-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeDataset(dir);
  const bad = spawnSync(process.execPath, [MAIN, 'eval', '--data', dir, '--methods', 'aa,katz', '--quiet'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /PYMK_UNKNOWN_NAME.*katz.*cn, aa, ra, jaccard, pa, random/);
  const cut = spawnSync(process.execPath, [MAIN, 'eval', '--data', dir, '--split', 'random', '--cut', '2023-11-20', '--quiet'], { encoding: 'utf8' });
  assert.equal(cut.status, 1);
  assert.match(cut.stderr, /PYMK_BAD_PARAM/);
});

test('pymk eval on an edge list without times: a temporal split falls back to a seeded random one, and says so', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pymk-eval-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rng = new Rng(9);
  const lines: string[] = [];
  for (let u = 0; u < 150; u++) for (let v = u + 1; v < 150; v++) if (rng.chance(Math.floor(u / 15) === Math.floor(v / 15) ? 0.4 : 0.01)) lines.push(`${u} ${v}`);
  const file = join(dir, 'edges.txt');
  writeFileSync(file, lines.join('\n') + '\n');
  const run = (extra: string[]): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, [MAIN, 'eval', '--connections', file, '--methods', 'aa', '--k', '10', '--users', '30', '--pairs', '0', '--quiet', ...extra], { encoding: 'utf8' });
  const temporal = run(['--split', 'temporal', '--out', join(dir, 'r.json')]);
  assert.equal(temporal.status, 0, String(temporal.stderr));
  assert.match(String(temporal.stderr), /no times: random split instead/);
  assert.match(String(temporal.stdout), /- note: temporal split asked for, but the connections have no times/);
  const json = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
  assert.equal(json.split.kind, 'random');
  assert.equal(json.split.testFrac, 0.1);
  const byDefault = run(['--out', join(dir, 'd.json')]);
  assert.equal(byDefault.status, 0, String(byDefault.stderr));
  const d = JSON.parse(readFileSync(join(dir, 'd.json'), 'utf8'));
  assert.equal(d.split.kind, 'random');
  assert.equal(d.split.fallback, undefined, 'random is the default: nothing to say');
  assert.deepEqual(d.methods[0].ranking, json.methods[0].ranking, 'the same seed, the same split');
  const both = spawnSync(process.execPath, [MAIN, 'eval', '--connections', file, '--data', dir], { encoding: 'utf8' });
  assert.equal(both.status, 1);
  assert.match(both.stderr, /exactly one of --data DIR .* or --connections FILE/);
});
