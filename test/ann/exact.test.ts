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
