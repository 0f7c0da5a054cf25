/**
 * Recall of an index against exact search on a sample of its own vectors: the check a build passes
 * before its index is published (and the number the benchmark reports).
 */
import { Rng } from '../core/rng.js';
import { ExactIndex } from './exact.js';
import type { Metric, VectorIndex } from './types.js';

export interface RecallReport {
  k: number;
  queries: number;
  recall: number;
}

/**
 * Mean recall@k of `index` for `sample` rows of `vectors` (ids = row numbers, rows that are all zeros
 * skipped; drawn from `among` when given), each query excluding itself, against brute force over the same rows.
 */
export function sampledRecall(index: VectorIndex, vectors: Float32Array, dim: number, metric: Metric, k = 10, sample = 200, seed = 1, among?: ArrayLike<number>): RecallReport {
  const n = vectors.length / dim;
  const exact = new ExactIndex(dim, metric, false, n);
  const ids = Int32Array.from({ length: n }, (_, i) => i);
  const live = ids.filter((i) => !isZero(vectors, i, dim));
  exact.addBatch(live, gather(vectors, live, dim));
  const rng = new Rng(seed);
  const from = among ? Int32Array.from(among).filter((i) => i < n && !isZero(vectors, i, dim)) : live;
  const queries = Math.min(sample, from.length);
  let hit = 0;
  for (let s = 0; s < queries; s++) {
    const id = from[rng.int(from.length)];
    const q = vectors.subarray(id * dim, (id + 1) * dim);
    const exclude = new Set([id]);
    const want = new Set(exact.search(q, { k, exclude }).ids);
    for (const got of index.search(q, { k, exclude }).ids) if (want.has(got)) hit++;
  }
  const denom = queries * Math.min(k, Math.max(live.length - 1, 0));
  return { k, queries, recall: denom > 0 ? hit / denom : 1 };
}

/** True when row i is all zeros (no embedding). */
export function isZero(v: Float32Array, i: number, dim: number): boolean {
  for (let j = i * dim; j < (i + 1) * dim; j++) if (v[j] !== 0) return false;
  return true;
}

/** The rows `ids` of `v`, packed. */
export function gather(v: Float32Array, ids: ArrayLike<number>, dim: number): Float32Array {
  const out = new Float32Array(ids.length * dim);
  for (let i = 0; i < ids.length; i++) out.set(v.subarray(ids[i] * dim, (ids[i] + 1) * dim), i * dim);
  return out;
}
