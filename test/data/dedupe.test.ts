import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EdgeBuilder } from '../../src/core/tables.js';
import { Rng } from '../../src/core/rng.js';
import { dedupeEdges } from '../../src/data/readers/dedupe.js';

/** Brute force: first row of each pair in file order, earliest non-zero time. */
function bruteForce(rows: number[][], directed: boolean): number[][] {
  const seen = new Map<string, number[]>();
  const out: number[][] = [];
  for (const [s, d, t] of rows) {
    const key = directed ? `${s},${d}` : `${Math.min(s, d)},${Math.max(s, d)}`;
    const first = seen.get(key);
    if (first === undefined) {
      const r = [s, d, t];
      seen.set(key, r);
      out.push(r);
    } else if (t !== 0 && (first[2] === 0 || t < first[2])) first[2] = t;
  }
  return out;
}

test('dedupeEdges matches brute force on random multigraphs (both directions, small and large id ranges)', () => {
  const rng = new Rng(3);
  for (const [n, m] of [[5, 40], [60, 500], [3000, 4000]]) {
    for (const directed of [false, true]) {
      const b = new EdgeBuilder();
      const rows: number[][] = [];
      for (let i = 0; i < m; i++) {
        const s = rng.int(n);
        let d = rng.int(n);
        if (d === s) d = (s + 1) % n;
        const t = rng.chance(0.3) ? 0 : 1 + rng.int(1000);
        b.push(s, d, t);
        rows.push([s, d, t]);
      }
      const r = dedupeEdges(n, b.finish(), directed);
      const got = Array.from({ length: r.edges.count }, (_, i) => [r.edges.src[i], r.edges.dst[i], r.edges.ts[i]]);
      const want = bruteForce(rows, directed);
      assert.deepEqual(got, want, `n=${n} m=${m} directed=${directed}`);
      assert.equal(r.duplicates, m - want.length);
    }
  }
});
