import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph, type Graph } from '../../src/graph/csr.js';
import { HEURISTICS, HEURISTIC_NAMES, pairFeatures, type HeuristicName } from '../../src/graph/heuristics.js';
import { TwoHopGenerator, TwoHopScratch, mix, twoHop, twoHopAll, type PackedCandidates } from '../../src/graph/twoHop.js';
import { Rng } from '../../src/core/rng.js';
import { randomEdges } from './randomEdges.js';

/** Users at distance exactly 2 from u, brute force. */
function distanceTwo(g: Graph, u: number): number[] {
  const out = new Set<number>();
  for (const w of g.neighbors(u)) for (const x of g.neighbors(w)) if (x !== u && !g.hasEdge(u, x)) out.add(x);
  return [...out];
}

function rows(c: PackedCandidates, i: number): number[] {
  return [...c.cand.subarray(c.offsets[i], c.offsets[i + 1])];
}

function checkAgainstBruteForce(g: Graph, u: number, c: PackedCandidates, score: HeuristicName, topN: number): void {
  const pool = distanceTwo(g, u);
  const got = rows(c, 0);
  assert.equal(got.length, Math.min(topN, pool.length), `count for user ${u}`);
  assert.equal(new Set(got).size, got.length, 'no duplicates');
  for (let i = 0; i < got.length; i++) {
    const x = got[i];
    assert.ok(pool.includes(x), `${x} is at distance 2 from ${u}`);
    const f = pairFeatures(g, u, x);
    for (const h of HEURISTIC_NAMES) assert.ok(Math.abs(c.features[h][i] - f[h]) <= 1e-5 * Math.max(1, f[h]), `${h} of (${u},${x})`);
    assert.ok(Math.abs(c.score[i] - f[score]) <= 1e-5 * Math.max(1, f[score]), 'score is the chosen heuristic');
    if (i > 0) assert.ok(c.score[i] <= c.score[i - 1], 'best first');
  }
  if (got.length > 0) {
    const worstKept = HEURISTICS[score](g, u, got[got.length - 1]);
    for (const x of pool) if (!got.includes(x)) assert.ok(HEURISTICS[score](g, u, x) <= worstKept + 1e-9, `${x} should not beat the kept list`);
  }
}

test('twoHop returns the top-N distance-2 users by each heuristic, with exact features', () => {
  const n = 120;
  const g = buildGraph(n, randomEdges(n, 500, 7, 2));
  const rng = new Rng(7);
  for (const score of HEURISTIC_NAMES) {
    for (const topN of [1, 5, 40, 500]) {
      const scratch = new TwoHopScratch(n, topN);
      for (let t = 0; t < 15; t++) {
        const u = rng.int(n);
        checkAgainstBruteForce(g, u, twoHop(g, u, { score, topN }, scratch), score, topN);
      }
    }
  }
});

test('twoHop breaks integer score ties by the seeded hash, reproducing a brute-force full sort', () => {
  const n = 80;
  const g = buildGraph(n, randomEdges(n, 300, 11));
  for (const seed of [0, 5]) {
    for (let u = 0; u < n; u += 7) {
      const want = distanceTwo(g, u)
        .map((x) => ({ x, s: HEURISTICS.cn(g, u, x), t: mix(x ^ seed) }))
        .sort((a, b) => b.s - a.s || a.t - b.t || a.x - b.x)
        .slice(0, 10)
        .map((r) => r.x);
      assert.deepEqual(rows(twoHop(g, u, { score: 'cn', topN: 10, seed }), 0), want);
    }
  }
});

test('twoHopAll packs the same lists as one-user calls, for all users', () => {
  const n = 90;
  const g = buildGraph(n, randomEdges(n, 350, 3, 2));
  let lastProgress = 0;
  const all = twoHopAll(g, null, { topN: 8 }, (done, total) => {
    assert.equal(total, n);
    lastProgress = done;
  });
  assert.equal(lastProgress, n);
  assert.equal(all.offsets.length, n + 1);
  assert.equal(all.cand.length, all.offsets[n]);
  for (let u = 0; u < n; u++) {
    const one = twoHop(g, u, { topN: 8 });
    assert.deepEqual(rows(all, u), rows(one, 0));
    for (const h of HEURISTIC_NAMES) assert.deepEqual([...all.features[h].subarray(all.offsets[u], all.offsets[u + 1])], [...one.features[h]]);
  }
});

test('fan-out cap: skip ignores paths through hubs; exactFeatures restores exact features', () => {
  const n = 100;
  const g = buildGraph(n, randomEdges(n, 600, 5, 3));
  const cap = 15;
  const hubs = new Set(Array.from({ length: n }, (_, i) => i).filter((w) => g.degree(w) > cap));
  assert.ok(hubs.size > 0, 'the test graph has hubs');
  for (let u = 0; u < n; u += 3) {
    const c = twoHop(g, u, { score: 'cn', topN: 1000, maxFanout: cap });
    // Brute force: common neighbours of u and x that are not hubs.
    const want = new Map<number, number>();
    for (const w of g.neighbors(u)) {
      if (hubs.has(w)) continue;
      for (const x of g.neighbors(w)) if (x !== u && !g.hasEdge(u, x)) want.set(x, (want.get(x) ?? 0) + 1);
    }
    const got = new Map(rows(c, 0).map((x, i) => [x, c.features.cn[i]]));
    assert.deepEqual([...got.entries()].sort((a, b) => a[0] - b[0]), [...want.entries()].sort((a, b) => a[0] - b[0]));
    const exact = twoHop(g, u, { score: 'cn', topN: 1000, maxFanout: cap, exactFeatures: true });
    exact.cand.forEach((x, i) => assert.equal(exact.features.cn[i], pairFeatures(g, u, x).cn));
  }
});

test('fan-out cap: sample mode is exact when no row is capped and unbiased on average when rows are', () => {
  const n = 100;
  const g = buildGraph(n, randomEdges(n, 600, 9, 3));
  const u = 1;
  assert.ok([...g.neighbors(u)].some((w) => g.degree(w) > 10), 'u has a hub neighbour');
  const full = twoHop(g, u, { score: 'cn', topN: 1000 });
  const uncapped = twoHop(g, u, { score: 'cn', topN: 1000, maxFanout: 1000, hubMode: 'sample' });
  assert.deepEqual([...uncapped.cand], [...full.cand]);
  // Sum of sampled CN over all candidates estimates the number of 2-paths; average over seeds.
  const total = full.features.cn.reduce((s, x) => s + x, 0);
  let mean = 0;
  const seeds = 200;
  for (let s = 0; s < seeds; s++) {
    const c = twoHop(g, u, { score: 'cn', topN: 1000, maxFanout: 10, hubMode: 'sample', seed: s });
    mean += c.features.cn.reduce((a, x) => a + x, 0) / seeds;
  }
  assert.ok(Math.abs(mean - total) / total < 0.05, `sampled 2-path mass ${mean} vs exact ${total}`);
});

test('exclude mask removes users from candidates', () => {
  const n = 60;
  const g = buildGraph(n, randomEdges(n, 250, 4));
  const exclude = new Uint8Array(n);
  for (let i = 0; i < n; i += 2) exclude[i] = 1;
  for (let u = 0; u < n; u++) for (const x of twoHop(g, u, { exclude }).cand) assert.equal(x % 2, 1);
});

test('TwoHopGenerator reuses its buffers and agrees with twoHop; a too-small scratch is refused', () => {
  const n = 70;
  const g = buildGraph(n, randomEdges(n, 300, 8));
  const gen = new TwoHopGenerator(g, { topN: 12, score: 'ra' });
  const buf = gen.cand;
  for (let u = 0; u < n; u++) {
    const k = gen.run(u);
    const one = twoHop(g, u, { topN: 12, score: 'ra' });
    assert.deepEqual([...gen.cand.subarray(0, k)], [...one.cand]);
    assert.deepEqual([...gen.features.aa.subarray(0, k)], [...one.features.aa]);
    assert.equal(gen.cand, buf);
  }
  assert.throws(() => twoHop(g, 0, { topN: 50 }, new TwoHopScratch(n, 10)), RangeError);
});

test('twoHopAll grows its columns when the worst case is too large to allocate up front', () => {
  const n = 21_000; // 21k users × top 200 is above the 4M-entry up-front limit
  const g = buildGraph(n, randomEdges(n, 110_000, 12));
  const all = twoHopAll(g, null, { topN: 200 });
  assert.equal(all.cand.length, all.offsets[n]);
  assert.ok(all.cand.length > n * 32, `enough candidates (${all.cand.length}) to force growth`);
  for (let u = 0; u < n; u += 997) {
    const one = twoHop(g, u, { topN: 200 });
    assert.deepEqual(rows(all, u), [...one.cand]);
    assert.deepEqual([...all.features.ra.subarray(all.offsets[u], all.offsets[u + 1])], [...one.features.ra]);
  }
});
