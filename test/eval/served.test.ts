/**
 * Scoring what is served: the split written by `pymk eval --write-split`, a recommendations file in the
 * format of `pymk recommend`, Recall/NDCG against the hidden edges, AA on the same split.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { loadDataset } from '../../src/data/load.js';
import { scoreServed, SPLIT_FILES, writeSplit } from '../../src/eval/served.js';

async function split(t: { after: (f: () => void) => void }): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'pymk-served-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rng = new Rng(5);
  const lines = ['src,dst'];
  for (let u = 0; u < 200; u++) for (let v = u + 1; v < 200; v++) if (rng.chance(Math.floor(u / 20) === Math.floor(v / 20) ? 0.35 : 0.01)) lines.push(`user${u},user${v}`);
  // Leaves with one connection: when it is hidden, the leaf has none left to train on (a cold user).
  for (let l = 0; l < 60; l++) lines.push(`user${l % 200},leaf${l}`);
  writeFileSync(join(dir, 'edges.csv'), lines.join('\n') + '\n');
  const w = await loadDataset(join(dir, 'edges.csv'));
  const meta = await writeSplit(w, 'communities', join(dir, 'split'), { seed: 3, users: 50 });
  assert.equal(meta.split.kind, 'random');
  assert.equal(meta.counts.queryUsers, 50);
  // Every edge is a training edge, a hidden one, or a hidden one left out because an endpoint went cold.
  assert.equal(meta.counts.trainEdges + meta.counts.hiddenEdges + meta.counts.coldHiddenEdges!, lines.length - 1);
  assert.ok(meta.counts.coldHiddenEdges! > 0, 'some leaves lose their only connection');
  return join(dir, 'split');
}

const hidden = (dir: string): Map<string, string[]> => {
  const m = new Map<string, string[]>();
  for (const l of readFileSync(join(dir, SPLIT_FILES.hidden), 'utf8').trim().split('\n').slice(1)) {
    const [a, b] = l.split(',');
    for (const [x, y] of [[a, b], [b, a]]) (m.get(x) ?? m.set(x, []).get(x)!).push(y);
  }
  return m;
};

test('an oracle that serves exactly the hidden edges scores recall 1; nothing served scores 0 and is reported missing', async (t) => {
  const dir = await split(t);
  const users = readFileSync(join(dir, SPLIT_FILES.users), 'utf8').trim().split('\n');
  const h = hidden(dir);
  const oracle = join(dir, 'oracle.jsonl');
  writeFileSync(oracle, users.map((u) => JSON.stringify({ user: u, source: 'stored', recommendations: h.get(u)!.slice(0, 20).map((id) => ({ id, score: 1 })) })).join('\n') + '\n');
  const r = await scoreServed(dir, oracle, [20]);
  const served = r.methods.find((m) => m.method === 'served')!;
  assert.ok(served.ranking.recall[20] > 0.99, `oracle recall ${served.ranking.recall[20]}`);
  assert.ok(Math.abs(served.ranking.ndcg[20] - 1) < 1e-9);
  const aa = r.methods.find((m) => m.method === 'aa')!;
  assert.ok(aa.ranking.recall[20] > 0.2 && aa.ranking.recall[20] < 1, `AA on the same split ${aa.ranking.recall[20]}`);
  assert.equal(r.missing, 0);
  const half = join(dir, 'half.jsonl');
  writeFileSync(half, users.slice(0, 25).map((u) => JSON.stringify({ user: u, recommendations: h.get(u)!.slice(0, 20).map((id) => ({ id })) })).join('\n') + '\n' + JSON.stringify({ user: users[25], error: { code: 'PYMK_USER_NOT_FOUND' } }) + '\n');
  const r2 = await scoreServed(dir, half, [20]);
  assert.equal(r2.missing, 25);
  assert.ok(Math.abs(r2.methods[0].ranking.recall[20] - served.ranking.recall[20] * (25 / 50)) < 0.05);
});

test('the training file never holds a hidden edge, and every query user has one', async (t) => {
  const dir = await split(t);
  const train = new Set(readFileSync(join(dir, SPLIT_FILES.train), 'utf8').trim().split('\n').slice(1));
  const h = hidden(dir);
  for (const [u, vs] of h) for (const v of vs) assert.ok(!train.has(`${u},${v}`) && !train.has(`${v},${u}`), `${u}-${v} is hidden and in train.csv`);
  for (const u of readFileSync(join(dir, SPLIT_FILES.users), 'utf8').trim().split('\n')) assert.ok(h.has(u), `${u} has hidden edges`);
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, 'not json\n');
  await assert.rejects(scoreServed(dir, bad, [20]), /bad\.jsonl:1: expected a JSON line/);
});
