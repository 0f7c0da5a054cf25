/**
 * Exact distances on f32 rows, the reference every approximate index is measured against.
 * Sums run in float64 so the oracle does not depend on summation order (beyond float64 rounding).
 */
import { PymkError } from '../core/errors.js';
import { METRICS, type Metric } from './types.js';

/**
 * Squared L2 distance between row `ai` of `a` and row `bi` of `b` (rows of length dim). Four running sums:
 * with one, every add waits for the one before, and a 128-d distance took ≈ 2× as long here; float64 keeps
 * the result independent of the order within rounding far below float32's.
 */
export function l2sq(a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const ao = ai * dim;
  const bo = bi * dim;
  const end = dim & ~3;
  let j = 0;
  for (; j < end; j += 4) {
    const t0 = a[ao + j] - b[bo + j];
    const t1 = a[ao + j + 1] - b[bo + j + 1];
    const t2 = a[ao + j + 2] - b[bo + j + 2];
    const t3 = a[ao + j + 3] - b[bo + j + 3];
    s0 += t0 * t0;
    s1 += t1 * t1;
    s2 += t2 * t2;
    s3 += t3 * t3;
  }
  for (; j < dim; j++) {
    const t = a[ao + j] - b[bo + j];
    s0 += t * t;
  }
  return s0 + s1 + (s2 + s3);
}

/**
 * 1 − cosine similarity (1 for a zero vector). Two running sums of each of the three products (six in all,
 * enough to hide the add latency that l2sq needs four sums for).
 */
export function cosDistance(a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): number {
  let dot0 = 0;
  let dot1 = 0;
  let na0 = 0;
  let na1 = 0;
  let nb0 = 0;
  let nb1 = 0;
  const ao = ai * dim;
  const bo = bi * dim;
  const end = dim & ~1;
  let j = 0;
  for (; j < end; j += 2) {
    const x0 = a[ao + j];
    const y0 = b[bo + j];
    const x1 = a[ao + j + 1];
    const y1 = b[bo + j + 1];
    dot0 += x0 * y0;
    dot1 += x1 * y1;
    na0 += x0 * x0;
    na1 += x1 * x1;
    nb0 += y0 * y0;
    nb1 += y1 * y1;
  }
  if (j < dim) {
    const x = a[ao + j];
    const y = b[bo + j];
    dot0 += x * y;
    na0 += x * x;
    nb0 += y * y;
  }
  const dot = dot0 + dot1;
  const na = na0 + na1;
  const nb = nb0 + nb1;
  return na > 0 && nb > 0 ? 1 - dot / Math.sqrt(na * nb) : 1;
}

/** Dot product of a[ao .. ao+dim) and b[bo .. bo+dim) (offsets in elements), four running sums as in l2sq. */
export function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const end = dim & ~3;
  let j = 0;
  for (; j < end; j += 4) {
    s0 += a[ao + j] * b[bo + j];
    s1 += a[ao + j + 1] * b[bo + j + 1];
    s2 += a[ao + j + 2] * b[bo + j + 2];
    s3 += a[ao + j + 3] * b[bo + j + 3];
  }
  for (; j < dim; j++) s0 += a[ao + j] * b[bo + j];
  return s0 + s1 + (s2 + s3);
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
