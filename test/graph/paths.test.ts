/** Path and local-community features against brute force over every walk and every common neighbour. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { EdgeBuilder } from '../../src/core/tables.js';
import { buildGraph, type Graph } from '../../src/graph/csr.js';
import { pathFeatureColumns, PathCounter, PATH_FEATURES } from '../../src/graph/paths.js';
import { balancedCuts, pathFeaturesParallel } from '../../src/graph/pathsParallel.js';

test('p3 counts the paths u–a–b–v and ra3 weighs each by 1/(d_a d_b), for any candidate rows', () => {
  const { g, users, offsets, cand } = fixture(80, 500, 11, [0, 5, 17, 42, 79], () => 25);
  const counter = new PathCounter(g);
  const got = pathFeatureColumns(g, users, offsets, cand, counter);
  let nonZero = 0;
  users.forEach((u, i) => {
    for (let p = offsets[i]; p < offsets[i + 1]; p++) {
      const v = cand[p];
      let paths = 0;
      let walk = 0;
      for (const a of g.neighbors(u)) for (const x of g.neighbors(a)) if (g.hasEdge(x, v)) {
        paths++;
        walk += 1 / (g.degree(a) * g.degree(x));
      }
      assert.equal(got.p3[p], paths, `p3(${u}, ${v})`);
      assert.ok(Math.abs(got.ra3[p] - walk) < 1e-5, `ra3(${u}, ${v}): ${got.ra3[p]} vs ${walk}`);
      if (paths > 0) nonZero++;
    }
  });
  assert.ok(nonZero > 50, `${nonZero} pairs with paths`);
  // The scratch is clean after each user: computing again gives the same values.
  const again = pathFeatureColumns(g, users, offsets, cand, counter);
  assert.deepEqual(again, got);
});

test('pathFeaturesParallel equals pathFeatureColumns for any number of workers, empty rows and more workers than users included', async () => {
  // Every third user without candidates; the others up to 39.
  const { g, users, offsets, cand } = fixture(300, 3000, 12, Array.from({ length: 300 }, (_, u) => u), (u, rng) => (u % 3 === 0 ? 0 : rng.int(40)));
  const want = pathFeatureColumns(g, users, offsets, cand);
  for (const workers of [1, 2, 3]) {
    const got = await pathFeaturesParallel(g, users, offsets, cand, { workers, minRows: 0 });
    for (const f of PATH_FEATURES) assert.deepEqual(Array.from(got[f]), Array.from(want[f]), `${f}, ${workers} workers`);
  }
  const two = await pathFeaturesParallel(g, [7, 8], Int32Array.of(0, 2, 3), Int32Array.of(1, 2, 3), { workers: 4, minRows: 0 });
  const ref = pathFeatureColumns(g, [7, 8], Int32Array.of(0, 2, 3), Int32Array.of(1, 2, 3));
  for (const f of PATH_FEATURES) assert.deepEqual(Array.from(two[f]), Array.from(ref[f]), f);
  assert.deepEqual(balancedCuts(Int32Array.of(0, 0, 10, 10, 20), 4, 2), [0, 2, 4]);
});

test('p4 and ra4 count and weigh the 4-step walks u–a–b–c–v; ch2, cn_links and ra_ch follow the common neighbours\' links', () => {
  const { g, users, offsets, cand } = fixture(60, 420, 13, [0, 9, 33, 59], () => 20);
  const got = pathFeatureColumns(g, users, offsets, cand);
  const close = (a: number, e: number, what: string): void => assert.ok(Math.abs(a - e) <= 1e-5 * Math.max(1, Math.abs(e)), `${what}: ${a} vs ${e}`);
  let withCn = 0;
  let withLinks = 0;
  users.forEach((u, i) => {
    for (let p = offsets[i]; p < offsets[i + 1]; p++) {
      const v = cand[p];
      let walks = 0;
      let weight = 0;
      for (const a of g.neighbors(u)) for (const x of g.neighbors(a)) for (const c of g.neighbors(x)) if (g.hasEdge(c, v)) {
        walks++;
        weight += 1 / (g.degree(a) * g.degree(x) * g.degree(c));
      }
      assert.equal(got.p4[p], walks, `p4(${u}, ${v})`);
      close(got.ra4[p], weight, `ra4(${u}, ${v})`);
      const cn = [...g.neighbors(u)].filter((z) => g.hasEdge(z, v));
      let ch2 = 0;
      let links = 0;
      let rach = 0;
      for (const z of cn) {
        const iz = cn.filter((y) => y !== z && g.hasEdge(z, y)).length;
        ch2 += (1 + iz) / (1 + Math.max(0, g.degree(z) - iz - 2));
        links += iz;
        rach += (1 + iz) / g.degree(z);
      }
      close(got.ch2[p], ch2, `ch2(${u}, ${v})`);
      assert.equal(got.cn_links[p], links / 2, `cn_links(${u}, ${v})`);
      close(got.ra_ch[p], rach, `ra_ch(${u}, ${v})`);
      if (cn.length > 0) withCn++;
      if (links > 0) withLinks++;
    }
  });
  assert.ok(withCn > 20 && withLinks > 5, `${withCn} pairs with common neighbours, ${withLinks} with links among them`);
});

/** A seeded random graph of `m` draws over `n` users (self-loops skipped) and `perUser(u)` random candidates for each of `users`. */
function fixture(n: number, m: number, seed: number, users: number[], perUser: (u: number, rng: Rng) => number): { g: Graph; users: number[]; offsets: Int32Array; cand: Int32Array } {
  const rng = new Rng(seed);
  const b = new EdgeBuilder();
  for (let i = 0; i < m; i++) {
    const u = rng.int(n);
    const v = rng.int(n);
    if (u !== v) b.push(u, v, 0);
  }
  const g = buildGraph(n, b.finish());
  const lists = users.map((u) => Array.from({ length: perUser(u, rng) }, () => rng.int(n)));
  const offsets = Int32Array.from([0, ...lists.map((_, i) => lists.slice(0, i + 1).flat().length)]);
  return { g, users, offsets, cand: Int32Array.from(lists.flat()) };
}
