/**
 * The tie rule (src/graph/twoHop.ts, tieKey): higher score first, then the lower mix(id), then the lower id —
 * the same in the 2-hop generator, in every scorer's ranking (rankOrder) and in the evaluator's heuristics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph } from '../../src/graph/csr.js';
import { mix, tieKey, TwoHopGenerator } from '../../src/graph/twoHop.js';
import { rankOrder } from '../../src/rank/heuristic.js';
import { Rng } from '../../src/core/rng.js';
import { getMethod } from '../../src/eval/methods.js';
import { EdgeBuilder } from '../../src/core/tables.js';

test('rankOrder: equal scores are ordered by tieKey(id) = mix(id), not by id or input order', () => {
  const ids = Int32Array.from([40, 7, 13, 2, 99, 5]);
  const scores = Float32Array.from([1, 2, 1, 1, 2, 0.5]);
  const order = Array.from(rankOrder(scores, ids), (i) => ids[i]);
  const byRule = (group: number[]): number[] => [...group].sort((a, b) => mix(a) - mix(b) || a - b);
  assert.deepEqual(order, [...byRule([7, 99]), ...byRule([40, 13, 2]), 5]);
  assert.notDeepEqual(byRule([40, 13, 2]), [2, 13, 40], 'the example must not coincide with id order');
  assert.equal(tieKey(13), mix(13));
  // Input order does not matter.
  const rev = Int32Array.from(ids).reverse();
  const revScores = Float32Array.from(scores).reverse();
  assert.deepEqual(Array.from(rankOrder(revScores, rev), (i) => rev[i]), order);
});

/** A graph with many equal common-neighbour counts. */
function tiedGraph(): ReturnType<typeof buildGraph> {
  const rng = new Rng(3);
  const b = new EdgeBuilder();
  for (let u = 0; u < 300; u++) for (let k = 0; k < 4; k++) b.push(u, rng.int(300), 0);
  const e = b.finish();
  const keep = Uint8Array.from({ length: e.count }, (_, i) => (e.src[i] !== e.dst[i] ? 1 : 0));
  return buildGraph(300, e, { include: (i) => keep[i] === 1 });
}

test('the 2-hop generator orders ties by the same rule as rankOrder, so a re-rank by the stored score changes nothing', () => {
  const g = tiedGraph();
  const gen = new TwoHopGenerator(g, { topN: 1000, score: 'cn' });
  let ties = 0;
  for (let u = 0; u < g.n; u++) {
    const c = gen.run(u);
    const ids = gen.cand.slice(0, c);
    const scores = gen.score.slice(0, c);
    for (let i = 1; i < c; i++) if (scores[i] === scores[i - 1]) ties++;
    assert.deepEqual(Array.from(rankOrder(scores, ids), (i) => ids[i]), Array.from(ids), `user ${u}`);
  }
  assert.ok(ties > 500, `the graph must have many ties (${ties})`);
});

test("the evaluator's 'cn' baseline ranks with the served tie rule whatever the evaluation seed", async () => {
  const g = tiedGraph();
  const active = Int32Array.from({ length: g.n }, (_, u) => u);
  const ctx = (seed: number) => ({ train: g, active, activeMask: new Uint8Array(g.n).fill(1), maxK: 50, seed });
  const a = await getMethod('cn').prepare(ctx(1));
  const b = await getMethod('cn').prepare(ctx(7));
  const oa = new Int32Array(50);
  const ob = new Int32Array(50);
  const gen = new TwoHopGenerator(g, { topN: 50, score: 'cn' });
  for (let u = 0; u < g.n; u += 7) {
    const la = await a.rank(u, 50, oa);
    const lb = await b.rank(u, 50, ob);
    const c = gen.run(u);
    assert.deepEqual(Array.from(oa.subarray(0, la)), Array.from(gen.cand.subarray(0, c)));
    assert.deepEqual(Array.from(ob.subarray(0, lb)), Array.from(oa.subarray(0, la)));
  }
});
