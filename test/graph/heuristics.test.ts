import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph } from '../../src/graph/csr.js';
import { HEURISTICS, HEURISTIC_NAMES, heuristicName, pairFeatures } from '../../src/graph/heuristics.js';
import { isPymkError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { adjacency, randomEdges } from './randomEdges.js';

/** The textbook definitions over neighbour sets. */
function bruteForce(adj: Set<number>[], u: number, v: number): Record<string, number> {
  const common = [...adj[u]].filter((w) => adj[v].has(w));
  const union = new Set([...adj[u], ...adj[v]]).size;
  return {
    cn: common.length,
    aa: common.reduce((s, w) => s + 1 / Math.log(adj[w].size), 0),
    ra: common.reduce((s, w) => s + 1 / adj[w].size, 0),
    jaccard: union === 0 ? 0 : common.length / union,
    pa: adj[u].size * adj[v].size,
  };
}

test('each heuristic and pairFeatures match brute force on random graphs', () => {
  for (const seed of [1, 2, 3]) {
    const n = 60;
    const e = randomEdges(n, 400, seed, 2);
    const g = buildGraph(n, e);
    const adj = adjacency(n, e);
    const rng = new Rng(seed);
    for (let trial = 0; trial < 300; trial++) {
      const u = rng.int(n);
      let v = rng.int(n);
      if (v === u) v = (v + 1) % n;
      const want = bruteForce(adj, u, v);
      const all = pairFeatures(g, u, v);
      for (const h of HEURISTIC_NAMES) {
        assert.ok(Math.abs(HEURISTICS[h](g, u, v) - want[h]) < 1e-12, `${h}(${u},${v})`);
        assert.ok(Math.abs(all[h] - want[h]) < 1e-12, `pairFeatures.${h}(${u},${v})`);
        assert.equal(HEURISTICS[h](g, u, v), HEURISTICS[h](g, v, u), `${h} symmetric`);
      }
    }
  }
});

test('heuristicName accepts known names and lists valid ones for an unknown name', () => {
  assert.equal(heuristicName('ra'), 'ra');
  assert.throws(
    () => heuristicName('katz'),
    (e: unknown) => isPymkError(e) && e.code === 'PYMK_UNKNOWN_NAME' && e.message.includes('cn, aa, ra, jaccard, pa'),
  );
});
