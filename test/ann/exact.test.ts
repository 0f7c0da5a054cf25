import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExactIndex } from '../../src/ann/exact.js';
import { cosDistance, l2sq } from '../../src/ann/distance.js';
import { indexContract } from './contract.js';
import { clustered, row } from './fixtures.js';

indexContract('exact', (d, m) => new ExactIndex(d, m), { recallFloor: 1 });

test('exact search matches a sort of every distance, for both metrics', () => {
  const d = 8;
  const data = clustered(300, d, 1);
  for (const metric of ['l2sq', 'cos'] as const) {
    const x = new ExactIndex(d, metric);
    x.addBatch(Int32Array.from({ length: 300 }, (_, i) => i), data);
    const q = row(clustered(1, d, 2), 0, d);
    const f = metric === 'cos' ? cosDistance : l2sq;
    const all = Array.from({ length: 300 }, (_, i) => [f(q, 0, data, i, d), i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const h = x.search(q, { k: 25 });
    assert.deepEqual([...h.ids], all.slice(0, 25).map((p) => p[1]));
    for (let i = 0; i < 25; i++) assert.ok(Math.abs(h.distances[i] - all[i][0]) <= 1e-4 * Math.max(1, all[i][0]));
  }
});

test('the distance kernels equal a plain float64 sum at every dimension remainder', () => {
  for (const dim of [1, 2, 3, 4, 5, 7, 64, 127, 128]) {
    const a = Float32Array.from({ length: 2 * dim }, (_, i) => Math.sin(i * 1.7) * 3);
    const b = Float32Array.from({ length: 3 * dim }, (_, i) => Math.cos(i * 0.3) - 0.5);
    let l2 = 0;
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let j = 0; j < dim; j++) {
      const x = a[dim + j];
      const y = b[2 * dim + j];
      l2 += (x - y) ** 2;
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
    assert.ok(Math.abs(l2sq(a, 1, b, 2, dim) - l2) <= 1e-12 * Math.max(1, l2), `l2sq dim ${dim}`);
    const cos = 1 - dot / Math.sqrt(na * nb);
    assert.ok(Math.abs(cosDistance(a, 1, b, 2, dim) - cos) <= 1e-12, `cos dim ${dim}`);
  }
  assert.equal(cosDistance(new Float32Array(4), 0, Float32Array.of(1, 2, 3, 4), 0, 4), 1, 'a zero vector is at distance 1');
});
