import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { ScalarQuantizer, randomRotation } from '../../src/ann/quantize.js';

/** Rows with a decaying spectrum (variance 1/(1+j)), like learned embeddings. */
function decaying(n: number, d: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * d }, (_, i) => rng.normal() / Math.sqrt(1 + (i % d)));
}

test('the random rotation is orthogonal and deterministic for a seed', () => {
  const d = 32;
  const r = randomRotation(d, 7);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let dot = 0;
      for (let t = 0; t < d; t++) dot += r[i * d + t] * r[j * d + t];
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-5, `R Rᵀ[${i},${j}] = ${dot}`);
    }
  }
  assert.deepEqual(randomRotation(d, 7), r);
  assert.notDeepEqual(randomRotation(d, 8), r);
});

test('codes decode back within half a step per coordinate, with and without rotation; JSON round-trips', () => {
  // 13: a dimension that is not a multiple of the kernels' four running sums.
  for (const d of [24, 13]) {
    const data = decaying(500, d, 3);
    for (const seed of [null, 5]) {
      for (const metric of ['l2sq', 'cos'] as const) {
        const q = ScalarQuantizer.fit(data, d, metric, 200_000, seed);
        const back = q.decode(q.encode(data));
        for (let i = 0; i < 500; i++) {
          let norm = 1;
          if (metric === 'cos') {
            norm = 0;
            for (let j = 0; j < d; j++) norm += data[i * d + j] ** 2;
            norm = Math.sqrt(norm);
          }
          let err = 0;
          for (let j = 0; j < d; j++) err += (back[i * d + j] - data[i * d + j] / norm) ** 2;
          // Rounding moves each rotated coordinate by at most scale/2; the rotation keeps the L2 length of that error.
          assert.ok(Math.sqrt(err) <= (q.scale / 2) * Math.sqrt(d) + 1e-5, `${metric} seed ${seed} row ${i}: error ${Math.sqrt(err)}`);
        }
        const again = ScalarQuantizer.fromJSON(JSON.parse(JSON.stringify(q.toJSON())));
        assert.deepEqual(again.encode(data), q.encode(data));
      }
    }
  }
});

test('on a decaying spectrum the rotation shrinks the step and the distance error', () => {
  const d = 64;
  const data = decaying(2000, d, 9);
  const plain = ScalarQuantizer.fit(data, d, 'l2sq', 200_000, null);
  const rotated = ScalarQuantizer.fit(data, d, 'l2sq', 200_000, 1);
  assert.ok(rotated.scale < plain.scale / 2, `step ${rotated.scale} vs ${plain.scale}`);
  // Mean absolute error of squared L2 between code pairs, in f32 units, against the true one.
  const err = (q: ScalarQuantizer): number => {
    const c = q.encode(data);
    let e = 0;
    for (let p = 0; p < 500; p++) {
      const a = p;
      const b = (p * 7 + 1) % 2000;
      let t = 0;
      let s = 0;
      for (let j = 0; j < d; j++) {
        t += (data[a * d + j] - data[b * d + j]) ** 2;
        s += (c[a * d + j] - c[b * d + j]) ** 2;
      }
      e += Math.abs(q.distance(s) - t);
    }
    return e / 500;
  };
  assert.ok(err(rotated) < err(plain) / 2, `distance error ${err(rotated)} vs ${err(plain)}`);
});
