/**
 * LayeredIndex (a kept main index with masked ids plus a recent index) against exact search over the
 * vectors it should hold: the recent vectors replace the main ones, masked ids never come from the main
 * tier, exclusions apply to both, and it is read-only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExactIndex } from '../../src/ann/exact.js';
import { LayeredIndex } from '../../src/ann/layered.js';
import { Rng } from '../../src/core/rng.js';

const DIM = 8;

function unit(rng: Rng): Float32Array<ArrayBufferLike> {
  const v = Float32Array.from({ length: DIM }, () => rng.next() - 0.5);
  const s = Math.hypot(...v);
  return v.map((x) => x / s);
}

test('a layered index answers as one exact index over the current vectors', () => {
  const rng = new Rng(3);
  const n = 300;
  const old: Float32Array[] = Array.from({ length: n }, () => unit(rng));
  const now: Float32Array[] = old.map((v) => v.slice());
  const moved = [4, 50, 51, 299];
  for (const u of moved) now[u] = unit(rng);
  const removed = 7;
  const added = [300, 301];
  for (const u of added) now[u] = unit(rng);
  const main = new ExactIndex(DIM, 'cos');
  old.forEach((v, u) => main.upsert(u, v));
  const recent = new ExactIndex(DIM, 'cos');
  for (const u of [...moved, ...added]) recent.upsert(u, now[u]);
  const layered = new LayeredIndex(main, recent, new Set([...moved, ...added, removed]));
  const truth = new ExactIndex(DIM, 'cos');
  now.forEach((v, u) => u !== removed && truth.upsert(u, v));
  assert.equal(layered.size(), truth.size());
  assert.equal(layered.has(removed), false);
  assert.equal(layered.has(301), true);
  assert.deepEqual(layered.vector(50), now[50]);
  assert.equal(layered.vector(removed), null);
  for (let q = 0; q < 50; q++) {
    const query = q < 6 ? now[[...moved, ...added][q]] : unit(rng);
    const exclude = [moved[0], 10 + q];
    const got = layered.search(query, { k: 10, exclude });
    const want = truth.search(query, { k: 10, exclude });
    assert.deepEqual(Array.from(got.ids), Array.from(want.ids), `query ${q}`);
    for (let i = 0; i < got.ids.length; i++) assert.ok(Math.abs(got.distances[i] - want.distances[i]) < 1e-6);
  }
  assert.throws(() => layered.upsert(), /read-only/);
  assert.throws(() => layered.remove(), /read-only/);
  assert.throws(() => new LayeredIndex(main, new ExactIndex(DIM + 1, 'cos'), new Set()), /layered index/);
  layered.close();
});
