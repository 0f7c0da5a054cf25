import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { GrowingGraph } from '../../src/data/generate/growingGraph.js';

/** A graph over n users with a shuffled memory layout, grown at random next to a brute-force copy. */
function grow(n: number, seed: number): { g: GrowingGraph; adj: Set<number>[]; capacity: Int32Array } {
  const rng = new Rng(seed);
  // A few hubs with large capacity, so that common-neighbour counts take both the merge and the search path.
  const capacity = Int32Array.from({ length: n }, (_, u) => (u < 3 ? n - 1 : 2 + rng.int(12)));
  const traits = new Int32Array(4 * n).fill(-1);
  const layout = rng.shuffle(Int32Array.from({ length: n }, (_, u) => u));
  const g = new GrowingGraph(capacity, traits, layout, 10 * n);
  const adj = Array.from({ length: n }, () => new Set<number>());
  for (let k = 0; k < 20 * n && g.edgeCount < g.maxEdges; k++) {
    const u = rng.chance(0.3) ? rng.int(3) : rng.int(n);
    const w = rng.int(n);
    if (u === w || adj[u].has(w) || adj[u].size >= capacity[u] || adj[w].size >= capacity[w]) continue;
    assert.equal(g.connected(u, w), false);
    g.add(g.at[u], g.at[w], 1000 + k, 0);
    adj[u].add(w);
    adj[w].add(u);
  }
  return { g, adj, capacity };
}

test('GrowingGraph rows, membership and common neighbours agree with brute force', () => {
  for (const seed of [1, 2, 3]) {
    const n = 300;
    const { g, adj } = grow(n, seed);
    assert.ok(g.edgeCount > n, `only ${g.edgeCount} edges`);
    for (let u = 0; u < n; u++) {
      assert.equal(g.degree(u), adj[u].size);
      const row = Array.from({ length: g.degree(u) }, (_, k) => g.neighbor(u, k));
      assert.deepEqual(new Set(row), adj[u], `row of ${u}`);
      const refs = row.map((v) => g.at[v]);
      assert.deepEqual(refs, [...refs].sort((a, b) => a - b), `row of ${u} not sorted by ref`);
    }
    const rng = new Rng(seed + 100);
    for (let k = 0; k < 3000; k++) {
      const u = k % 7 === 0 ? rng.int(3) : rng.int(n);
      const w = rng.int(n);
      assert.equal(g.connected(u, w), adj[u].has(w));
      let common = 0;
      for (const x of adj[u]) if (adj[w].has(x)) common++;
      assert.equal(g.commonNeighbors(g.at[u], g.at[w]), common, `common neighbours of ${u}, ${w}`);
    }
    // The edge list holds ids in creation order.
    for (let e = 0; e < g.edgeCount; e++) assert.ok(adj[g.src[e]].has(g.dst[e]));
  }
});

test('GrowingGraph blocks are symmetric and only for the blocked pair', () => {
  const { g } = grow(50, 7);
  assert.equal(g.isBlocked(4, 9), false);
  g.block(9, 4);
  assert.equal(g.isBlocked(4, 9), true);
  assert.equal(g.isBlockedRefs(g.at[9], g.at[4]), true);
  g.block(4, 12);
  assert.equal(g.isBlocked(9, 12), false, 'both users have a block, but not with each other');
});
