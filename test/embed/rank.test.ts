import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import '../../src/embed/evalMethods.js';
import { TopK } from '../../src/core/topk.js';
import { fuseRanked, topByDot } from '../../src/embed/rank.js';
import { getMethod } from '../../src/eval/methods.js';
import { runEval } from '../../src/eval/protocol.js';
import { plantedPartition } from './helpers.js';

test('topByDot returns the exact top K by dot product (ties by id), skipping excluded ids', () => {
  const rng = new Rng(4);
  const d = 5;
  const V = Float32Array.from({ length: 40 * d }, () => Math.round((rng.next() - 0.5) * 4) / 2); // coarse values: ties happen
  const cand = Int32Array.from({ length: 40 }, (_, i) => i);
  const out = new Int32Array(10);
  for (let q = 0; q < 5; q++) {
    const c = topByDot(V, q, V, d, cand, (v) => v === q || v % 7 === 0, new TopK(10), out);
    const score = (v: number): number => {
      let s = 0;
      for (let k = 0; k < d; k++) s += V[q * d + k] * V[v * d + k];
      return s;
    };
    const brute = [...cand].filter((v) => v !== q && v % 7 !== 0).sort((a, b) => score(b) - score(a) || a - b).slice(0, 10);
    assert.deepEqual(Array.from(out.subarray(0, c)), brute);
  }
});

test('reciprocal-rank fusion: shared candidates rise, the union is cut at K, order is deterministic', () => {
  const out = new Int32Array(10);
  const n = fuseRanked(Int32Array.of(1, 2, 3, 4), 4, Int32Array.of(9, 3, 8), 3, 5, out);
  assert.equal(n, 5);
  // 3 is in both lists: 1/63 + 1/62 beats 1/61 (first of one list only).
  assert.deepEqual(Array.from(out.subarray(0, n)), [3, 1, 9, 2, 8]);
});

test("'embed' and '2hop+embed' run in the evaluator and never return the user or a training neighbour", async () => {
  const { g, pairs } = plantedPartition(3, 14, 0.5, 0.03, 1);
  const edges = { count: pairs.length, src: Int32Array.from(pairs, (p) => p[0]), dst: Int32Array.from(pairs, (p) => p[1]), ts: new Uint32Array(pairs.length) };
  const r = await runEval({ name: 'planted', n: g.n, edges }, { split: 'random', testFrac: 0.15, ks: [5, 10], methods: ['random', 'embed', '2hop+embed'], users: 0, pairs: 100, seed: 2 });
  const by = Object.fromEntries(r.methods.map((m) => [m.method, m]));
  assert.ok(by.embed.auc! > 0.75, `embed AUC ${by.embed.auc}`);
  assert.ok(by.embed.ranking.recall[10] > by.random.ranking.recall[10] + 0.2, `embed recall ${by.embed.ranking.recall[10]} vs random ${by.random.ranking.recall[10]}`);
  assert.ok(by['2hop+embed'].meanListLength > 0);
  // Lists straight from the rankers on the full graph.
  const active = Int32Array.from({ length: g.n }, (_, u) => u);
  const ctx = { train: g, active, activeMask: new Uint8Array(g.n).fill(1), maxK: 10, seed: 3 };
  for (const name of ['embed', '2hop+embed']) {
    const ranker = await getMethod(name).prepare(ctx);
    const out = new Int32Array(10);
    for (let u = 0; u < g.n; u++) {
      const c = await ranker.rank(u, 10, out);
      assert.ok(c > 0);
      const list = Array.from(out.subarray(0, c));
      assert.equal(new Set(list).size, c, `${name}: duplicates for ${u}`);
      for (const v of list) assert.ok(v !== u && !g.hasEdge(u, v), `${name} recommended ${v} to ${u}`);
    }
  }
});
