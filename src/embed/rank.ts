/**
 * Ranking with embeddings: exact dot-product top-K over a candidate set (the reference the ANN index is
 * checked against), and the fusion of two ranked lists (2-hop ∪ embedding candidates).
 */
import type { TopK } from '../core/topk.js';

/** Dot product of rows a and b of a row-major matrix with d columns (or of two matrices). */
export function dotRows(X: Float32Array, a: number, Y: Float32Array, b: number, d: number): number {
  let s = 0;
  const ao = a * d;
  const bo = b * d;
  for (let k = 0; k < d; k++) s += X[ao + k] * Y[bo + k];
  return s;
}

/**
 * The k candidates with the largest dot product with query row q of Q, among `candidates` rows of V,
 * skipping ids where skip(id) is true. Exact (brute force).
 */
export function topByDot(Q: Float32Array, q: number, V: Float32Array, d: number, candidates: Int32Array, skip: (id: number) => boolean, heap: TopK, out: Int32Array): number {
  heap.clear();
  const qo = q * d;
  for (let i = 0; i < candidates.length; i++) {
    const v = candidates[i];
    if (skip(v)) continue;
    const vo = v * d;
    let s = 0;
    for (let k = 0; k < d; k++) s += Q[qo + k] * V[vo + k];
    heap.push(v, -s); // the heap keeps the smallest keys: the largest dot products
  }
  return heap.drainIds(out);
}

/**
 * Reciprocal-rank fusion of two ranked lists: score(x) = Σ_lists 1 / (c + rank), rank from 1. Writes the
 * union best first (ties: the first list's order, then the second's) into out; returns its length (≤ k).
 */
export function fuseRanked(a: Int32Array, la: number, b: Int32Array, lb: number, k: number, out: Int32Array, c = 60): number {
  const score = new Map<number, number>();
  const firstSeen = new Map<number, number>();
  const add = (list: Int32Array, len: number, offset: number): void => {
    for (let i = 0; i < len; i++) {
      const x = list[i];
      score.set(x, (score.get(x) ?? 0) + 1 / (c + i + 1));
      if (!firstSeen.has(x)) firstSeen.set(x, offset + i);
    }
  };
  add(a, la, 0);
  add(b, lb, la);
  const ids = [...score.keys()].sort((x, y) => score.get(y)! - score.get(x)! || firstSeen.get(x)! - firstSeen.get(y)!);
  const n = Math.min(k, ids.length);
  for (let i = 0; i < n; i++) out[i] = ids[i];
  return n;
}
