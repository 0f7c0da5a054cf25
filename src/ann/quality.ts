/**
 * Recall of an index against exact search on a sample of its own vectors: the check a build passes
 * before its index is published (and the number the benchmark reports). The exact answers come from
 * usearch's SIMD brute force over the non-zero rows (one batched call per sample).
 */
import { Rng } from '../core/rng.js';
import type { Metric, VectorIndex } from './types.js';
import { bruteForceSearch } from './usearch.js';

export interface RecallReport {
  k: number;
  queries: number;
  recall: number;
}

/** The exact neighbours of rows of `vectors`: the non-zero rows packed once, shareable between samples. */
export class RecallOracle {
  /** Row numbers (ids) of the non-zero rows, ascending. */
  readonly live: Int32Array;
  private readonly packed: Float32Array;

  constructor(readonly vectors: Float32Array, readonly dim: number, readonly metric: Metric) {
    const n = vectors.length / dim;
    this.live = Int32Array.from({ length: n }, (_, i) => i).filter((i) => !isZero(vectors, i, dim));
    // A fresh array (the native call ignores a view's byteOffset).
    this.packed = gather(vectors, this.live, dim);
  }

  /** For each query id, its k nearest other live ids, nearest first. */
  nearest(queries: Int32Array, k: number): Int32Array[] {
    if (queries.length === 0 || this.live.length === 0) return Array.from(queries, () => new Int32Array(0));
    const kk = Math.min(k + 1, this.live.length);
    const rows = bruteForceSearch(this.packed, gather(this.vectors, queries, this.dim), this.dim, kk, this.metric);
    return Array.from(queries, (q, i) => {
      const ids = Array.from(rows.subarray(i * kk, (i + 1) * kk), (r) => this.live[r]).filter((id) => id !== q);
      return Int32Array.from(ids.slice(0, k));
    });
  }
}

/**
 * Mean recall@k of `index` for `sample` rows of `vectors` (ids = row numbers, rows that are all zeros
 * skipped; drawn from `among` when given; all of them when there are no more than `sample`), each query excluding itself, against brute force over the same
 * rows (`oracle`, when one is shared between calls).
 */
export function sampledRecall(index: VectorIndex, vectors: Float32Array, dim: number, metric: Metric, k = 10, sample = 200, seed = 1, among?: ArrayLike<number>, oracle?: RecallOracle): RecallReport {
  const n = vectors.length / dim;
  const exact = oracle ?? new RecallOracle(vectors, dim, metric);
  const from = among ? Int32Array.from(among).filter((i) => i < n && !isZero(vectors, i, dim)) : exact.live;
  const rng = new Rng(seed);
  // Every candidate once when there are no more than `sample`, else `sample` drawn at random.
  const queries = from.length <= sample ? from : Int32Array.from({ length: sample }, () => from[rng.int(from.length)]);
  const truth = exact.nearest(queries, k);
  let hit = 0;
  queries.forEach((id, s) => {
    const want = new Set(truth[s]);
    const q = vectors.subarray(id * dim, (id + 1) * dim);
    for (const got of index.search(q, { k, exclude: new Set([id]) }).ids) if (want.has(got)) hit++;
  });
  const denom = queries.length * Math.min(k, Math.max(exact.live.length - 1, 0));
  return { k, queries: queries.length, recall: denom > 0 ? hit / denom : 1 };
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
