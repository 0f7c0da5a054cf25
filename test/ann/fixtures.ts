/** Shared data and helpers for the ANN tests: clustered vectors, recall against the exact oracle, temp folders. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { ExactIndex } from '../../src/ann/exact.js';
import type { Hits, Metric, VectorIndex } from '../../src/ann/types.js';

/** n vectors of dim d around `clusters` Gaussian centres (row-major), deterministic for a seed. */
export function clustered(n: number, d: number, seed: number, clusters = 20): Float32Array {
  const rng = new Rng(seed);
  const centres = Float32Array.from({ length: clusters * d }, () => rng.normal());
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = rng.int(clusters);
    for (let j = 0; j < d; j++) out[i * d + j] = centres[c * d + j] + 0.5 * rng.normal() / Math.sqrt(1 + j / 4);
  }
  return out;
}

export const row = (v: Float32Array, i: number, d: number): Float32Array => v.slice(i * d, (i + 1) * d);

/** An exact index over the same rows (ids 0..n-1). */
export function oracle(vectors: Float32Array, d: number, metric: Metric): ExactIndex {
  const x = new ExactIndex(d, metric);
  x.addBatch(Int32Array.from({ length: vectors.length / d }, (_, i) => i), vectors);
  return x;
}

/** Mean recall@k of `got` against `truth` (fraction of the true ids found). */
export function recall(got: readonly Hits[], truth: readonly Hits[], k: number): number {
  let hit = 0;
  for (let q = 0; q < truth.length; q++) {
    const t = new Set(truth[q].ids.subarray(0, k));
    for (const id of got[q].ids.subarray(0, k)) if (t.has(id)) hit++;
  }
  return hit / (truth.length * k);
}

/** Runs `queries` through both indexes and returns recall@k. */
export function recallVs(index: VectorIndex, exact: VectorIndex, queries: Float32Array, d: number, k: number): number {
  const n = queries.length / d;
  const got: Hits[] = [];
  const truth: Hits[] = [];
  for (let i = 0; i < n; i++) {
    got.push(index.search(row(queries, i, d), { k }));
    truth.push(exact.search(row(queries, i, d), { k }));
  }
  return recall(got, truth, k);
}

export async function withTmp<T>(fn: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'pymk-ann-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
