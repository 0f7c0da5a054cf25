/**
 * Exact distances on f32 rows, the reference every approximate index is measured against.
 * Sums run in float64 so the oracle does not depend on summation order.
 */
import { PymkError } from '../core/errors.js';
import { METRICS, type Metric } from './types.js';

/** Squared L2 distance between row `ai` of `a` and row `bi` of `b` (rows of length dim). */
export function l2sq(a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): number {
  let s = 0;
  const ao = ai * dim;
  const bo = bi * dim;
  for (let j = 0; j < dim; j++) {
    const t = a[ao + j] - b[bo + j];
    s += t * t;
  }
  return s;
}

/** 1 − cosine similarity (1 for a zero vector). */
export function cosDistance(a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const ao = ai * dim;
  const bo = bi * dim;
  for (let j = 0; j < dim; j++) {
    const x = a[ao + j];
    const y = b[bo + j];
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? 1 - dot / Math.sqrt(na * nb) : 1;
}

export type DistanceFn = (a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number) => number;

/** The distance function of a metric. */
export function distanceFn(metric: Metric): DistanceFn {
  return metric === 'cos' ? cosDistance : l2sq;
}

/** Checks a metric name (config and file headers), listing the valid ones otherwise. */
export function checkMetric(m: unknown): Metric {
  if (typeof m === 'string' && (METRICS as readonly string[]).includes(m)) return m as Metric;
  throw new PymkError('PYMK_BAD_PARAM', `unknown metric '${String(m)}'; expected one of: ${METRICS.join(', ')}`);
}

/** Throws PYMK_BAD_INPUT unless `v` holds whole rows of `dim` finite floats; returns the row count. */
export function checkRows(v: Float32Array, dim: number, what = 'vector'): number {
  if (!(v instanceof Float32Array)) throw new PymkError('PYMK_BAD_INPUT', `${what} must be a Float32Array`);
  if (v.length === 0 || v.length % dim !== 0) {
    throw new PymkError('PYMK_BAD_INPUT', `${what} has ${v.length} floats: not a whole number of ${dim}-d rows`);
  }
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) throw new PymkError('PYMK_BAD_INPUT', `${what} holds a non-finite value at ${i}`);
  }
  return v.length / dim;
}

/** Throws PYMK_BAD_INPUT unless `id` is an integer in [0, 2^31). */
export function checkId(id: number): number {
  if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) throw new PymkError('PYMK_BAD_INPUT', `bad id ${id}: ids are integers in [0, 2^31)`);
  return id;
}

/** Throws PYMK_BAD_PARAM unless k is a positive integer. */
export function checkK(k: number): number {
  if (!Number.isInteger(k) || k <= 0) throw new PymkError('PYMK_BAD_PARAM', `k must be a positive integer, got ${k}`);
  return k;
}
