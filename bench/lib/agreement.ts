/** How two scorers of the same rows agree: the ranking benches compare INT8 with fp32 this way. */
import { rocAuc } from '../../src/eval/metrics.js';

/** Mean share of the top k shared by `a` and `b` within each request of `size` consecutive rows. */
export function topKAgreement(a: Float32Array, b: Float32Array, size: number, k: number): number {
  const requests = Math.floor(a.length / size);
  let shared = 0;
  for (let q = 0; q < requests; q++) shared += overlap(a.subarray(q * size, (q + 1) * size), b.subarray(q * size, (q + 1) * size), k);
  return shared / (k * Math.max(1, requests));
}

/** ROC AUC of scores against 0/1 labels. */
export function aucOf(s: Float32Array, y: Float32Array): number {
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < s.length; i++) (y[i] > 0.5 ? pos : neg).push(s[i]);
  return rocAuc(pos, neg);
}

function overlap(a: Float32Array, b: Float32Array, k: number): number {
  const top = (s: Float32Array): number[] => Array.from(s.keys()).sort((x, y) => s[y] - s[x] || x - y).slice(0, k);
  const ta = new Set(top(a));
  return top(b).filter((i) => ta.has(i)).length;
}
