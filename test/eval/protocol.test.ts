import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runEval } from '../../src/eval/protocol.js';
import { getMethod, methodNames, registerMethod, type EvalContext } from '../../src/eval/methods.js';
import { formatMarkdown, toReport } from '../../src/eval/report.js';
import { buildGraph } from '../../src/graph/csr.js';
import { randomEdgeSplit, temporalSplit } from '../../src/graph/splits.js';
import { EdgeBuilder, type EdgeTable } from '../../src/core/tables.js';
import { isPymkError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';

/** Planted communities: dense inside groups, sparse across, random times in [1, 1000]. */
function communities(groups: number, size: number, pIn: number, pOut: number, seed: number): EdgeTable {
  const rng = new Rng(seed);
  const n = groups * size;
  const b = new EdgeBuilder();
  for (let u = 0; u < n; u++) {
    for (let v = u + 1; v < n; v++) {
      const same = Math.floor(u / size) === Math.floor(v / size);
      if (rng.chance(same ? pIn : pOut)) b.push(u, v, 1 + rng.int(1000));
    }
  }
  return b.finish();
}

const N = 300;
const EDGES = communities(15, 20, 0.35, 0.01, 1);

test('neighbourhood heuristics beat random and every metric is a proportion', async () => {
  const r = await runEval({ name: 'communities', n: N, edges: EDGES }, { split: 'random', testFrac: 0.2, ks: [5, 20], users: 0, seed: 3 });
  assert.deepEqual(r.methods.map((m) => m.method), ['random', 'pa', 'cn', 'jaccard', 'aa', 'ra']);
  assert.equal(r.counts.queryUsers, r.counts.eligibleQueryUsers);
  const by = Object.fromEntries(r.methods.map((m) => [m.method, m]));
  for (const m of r.methods) {
    for (const k of [5, 20]) for (const x of [m.ranking.recall[k], m.ranking.ndcg[k], m.ranking.hits[k]]) assert.ok(x >= 0 && x <= 1);
    assert.ok(m.ranking.recall[5] <= m.ranking.recall[20] && m.ranking.hits[5] <= m.ranking.hits[20]);
    assert.ok(m.auc !== null && m.auc >= 0 && m.auc <= 1);
  }
  for (const h of ['cn', 'aa', 'ra', 'jaccard']) {
    assert.ok(by[h].ranking.recall[20] > 2 * by.random.ranking.recall[20], `${h} recall@20 ${by[h].ranking.recall[20]} vs random ${by.random.ranking.recall[20]}`);
    assert.ok(by[h].auc! > 0.65, `${h} AUC ${by[h].auc}`);
  }
  assert.ok(Math.abs(by.random.auc! - 0.5) < 0.1, `random AUC ${by.random.auc}`);
  const md = formatMarkdown(toReport(r));
  assert.match(md, /\| ra \| [0-9.]+ \|/);
  assert.match(md, /Recall@20/);
});

test('the protocol hands each method the held-out sets of the split: an oracle scores 1', async () => {
  const seed = 5;
  const split = randomEdgeSplit(N, EDGES, { testFrac: 0.1, seed });
  const held = buildGraph(N, split.test);
  registerMethod({
    name: 'test-oracle',
    description: 'returns the held-out neighbours (test only)',
    prepare: () => ({
      rank(u, k, out) {
        const h = held.neighbors(u).subarray(0, k);
        out.set(h);
        return h.length;
      },
    }),
  });
  const r = await runEval({ name: 'c', n: N, edges: EDGES }, { split: 'random', testFrac: 0.1, seed, ks: [50], methods: ['test-oracle'], users: 40 });
  const m = r.methods[0];
  assert.equal(r.counts.queryUsers, 40);
  assert.equal(m.ranking.users, 40);
  assert.equal(m.ranking.recall[50], 1);
  assert.equal(m.ranking.ndcg[50], 1);
  assert.equal(m.ranking.mrr, 1);
  assert.equal(m.auc, null, 'a method without a pair score gets no AUC');
});

test('built-in rankers never return the user, a training neighbour, an inactive user or a repeat', async () => {
  const split = temporalSplit(N, EDGES, { testFrac: 0.3 });
  const train = buildGraph(N, split.train);
  const activeMask = Uint8Array.from({ length: N }, (_, u) => (train.degree(u) > 0 ? 1 : 0));
  const active = Int32Array.from({ length: N }, (_, u) => u).filter((u) => activeMask[u] === 1);
  const ctx: EvalContext = { train, active, activeMask, maxK: 30, seed: 1 };
  for (const name of ['random', 'pa', 'cn', 'jaccard', 'aa', 'ra']) {
    const ranker = await getMethod(name).prepare(ctx);
    const out = new Int32Array(30);
    for (let u = 0; u < N; u += 5) {
      const len = await ranker.rank(u, 30, out);
      const got = [...out.subarray(0, len)];
      assert.equal(new Set(got).size, len, `${name}: no repeats`);
      for (const v of got) assert.ok(v !== u && !train.hasEdge(u, v) && activeMask[v] === 1, `${name} returned ${v} for ${u}`);
      if (name === 'random' || name === 'pa') assert.equal(len, Math.min(30, active.length - train.degree(u) - activeMask[u]));
    }
  }
});

test('temporal protocol counts only held-out edges between users active before the cut; runs are reproducible', async () => {
  const b = new EdgeBuilder();
  for (let i = 0; i < EDGES.count; i++) b.push(EDGES.src[i], EDGES.dst[i], EDGES.ts[i]);
  b.push(0, N, 2000); // user N joins after every training edge
  b.push(1, N, 2001);
  const edges = b.finish();
  const opts = { split: 'temporal' as const, cut: 900, ks: [10], users: 25, seed: 2 };
  const r = await runEval({ name: 't', n: N + 1, edges }, opts);
  assert.equal(r.split.cut, 900);
  assert.equal(r.counts.activeUsers, N);
  assert.equal(r.counts.testEdges - r.counts.usableTestEdges >= 2, true);
  const again = await runEval({ name: 't', n: N + 1, edges }, opts);
  assert.deepEqual(again.methods.map((m) => [m.ranking, m.auc, m.ap]), r.methods.map((m) => [m.ranking, m.auc, m.ap]));
  assert.deepEqual(again.counts, r.counts);
});

test('an unknown method or split fails with the list of valid names', async () => {
  await assert.rejects(
    runEval({ name: 'x', n: N, edges: EDGES }, { methods: ['aa', 'node2vec-typo'] }),
    (e: unknown) => isPymkError(e) && e.code === 'PYMK_UNKNOWN_NAME' && e.message.includes('random') && e.message.includes('ra'),
  );
  await assert.rejects(runEval({ name: 'x', n: N, edges: EDGES }, { split: 'sideways' as never }), (e: unknown) => isPymkError(e) && e.message.includes('temporal, random'));
  assert.ok(methodNames().includes('aa'));
});
