/** The recall gate's reference (RecallOracle: usearch's brute force over the non-zero rows) against ExactIndex. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExactIndex } from '../../src/ann/exact.js';
import { RecallOracle, sampledRecall } from '../../src/ann/quality.js';
import { Rng } from '../../src/core/rng.js';

test('RecallOracle gives ExactIndex\'s neighbours (zero rows left out, the query itself excluded); an exact index has recall 1', () => {
  const rng = new Rng(11);
  const dim = 12;
  const n = 400;
  const v = Float32Array.from({ length: n * dim }, () => rng.next() - 0.5);
  for (const z of [5, 77, 300]) v.fill(0, z * dim, (z + 1) * dim);
  for (const metric of ['cos', 'l2sq'] as const) {
    const exact = new ExactIndex(dim, metric);
    for (let u = 0; u < n; u++) if (![5, 77, 300].includes(u)) exact.upsert(u, v.subarray(u * dim, (u + 1) * dim));
    const oracle = new RecallOracle(v.subarray(0), dim, metric);
    assert.equal(oracle.live.length, n - 3);
    const queries = Int32Array.from([0, 1, 99, 399, 200]);
    const got = oracle.nearest(queries, 10);
    queries.forEach((q, i) => {
      const want = exact.search(v.subarray(q * dim, (q + 1) * dim), { k: 10, exclude: [q] }).ids;
      assert.deepEqual(Array.from(got[i]), Array.from(want), `${metric} query ${q}`);
    });
    assert.equal(sampledRecall(exact, v, dim, metric, 10, 50).recall, 1);
    assert.deepEqual(sampledRecall(exact, v, dim, metric, 10, 50, 3, [1, 2, 5], oracle), { k: 10, queries: 2, recall: 1 });
  }
});
