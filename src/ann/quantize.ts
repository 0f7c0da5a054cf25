/**
 * Scalar quantization to int8 and exact f32 re-ranking.
 *
 * The quantizer maps each coordinate affinely, x → round((x − offset_j) / scale), clamped to [−127, 127],
 * with ONE scale for all dimensions: squared L2 between codes is then the true squared L2 divided by scale²
 * plus rounding noise, so the i8 graph orders neighbours as f32 would, up to that noise. For 'cos' vectors
 * are normalised first and the offset is 0 (an offset would change angles). A per-dimension scale would use
 * the 8 bits better but distort L2, which the graph cannot undo.
 *
 * A seeded random rotation comes first (fit() draws one unless told not to): an orthogonal map keeps every
 * L2 distance and angle, and it spreads the variance evenly over the dimensions. Embeddings put most of
 * their variance in a few directions, so without it the one scale is set by the widest dimension and the
 * narrow ones get a handful of levels; after it every dimension spans about the same range, the scale
 * shrinks several-fold and so does the rounding noise (measured in docs/ann.md). The cost is a dim×dim
 * product per encoded row (≈ 20–25 µs per 128-d query on the AMD host, with dot()'s four running sums).
 *
 * (usearch's own f32→i8 cast rescales every vector to unit length: right for cosine, wrong for L2. So the
 * usearch adapter feeds it codes from this quantizer instead.)
 *
 * rerank.ts over-fetches from a quantized index and re-scores the candidates in f32.
 */
import { PymkError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { dot } from './distance.js';
import type { Metric } from './types.js';

/** Saved quantizer settings. The offset applies after the rotation; the rotation is kept as its seed. */
export interface QuantizerParams {
  metric: Metric;
  scale: number;
  offset: number[];
  rotationSeed?: number;
}

/** The seed fit() draws its rotation from unless told otherwise. */
export const DEFAULT_ROTATION_SEED = 1;

export class ScalarQuantizer {
  private readonly offset: Float32Array;
  /** Row-major dim×dim orthogonal matrix (null: identity). */
  private readonly rotation: Float32Array | null;
  private readonly row: Float64Array;

  constructor(readonly metric: Metric, readonly scale: number, offset: ArrayLike<number>, readonly rotationSeed: number | null = null) {
    if (!(scale > 0) || !Number.isFinite(scale)) throw new PymkError('PYMK_BAD_PARAM', `quantizer scale must be positive, got ${scale}`);
    this.offset = Float32Array.from(offset);
    this.rotation = rotationSeed === null ? null : randomRotation(this.offset.length, rotationSeed);
    this.row = new Float64Array(this.offset.length);
  }

  get dim(): number {
    return this.offset.length;
  }

  /**
   * Fits to data, after the rotation drawn from `rotationSeed` (null: none): 'l2sq' centres each dimension
   * on its mid-range and takes the widest half-range as 127; 'cos' uses the largest coordinate of the
   * normalised vectors. `maxRows` bounds the rows looked at.
   */
  static fit(vectors: Float32Array, dim: number, metric: Metric, maxRows = 200_000, rotationSeed: number | null = DEFAULT_ROTATION_SEED): ScalarQuantizer {
    const n = Math.floor(vectors.length / dim);
    if (n === 0) throw new PymkError('PYMK_BAD_INPUT', 'cannot fit a quantizer to no vectors');
    const step = Math.max(1, Math.floor(n / maxRows));
    const probe = new ScalarQuantizer(metric, 1, new Float32Array(dim), rotationSeed);
    const y = new Float64Array(dim);
    const lo = new Float64Array(dim).fill(Infinity);
    const hi = new Float64Array(dim).fill(-Infinity);
    for (let i = 0; i < n; i += step) {
      probe.transform(vectors, i * dim, y);
      for (let j = 0; j < dim; j++) {
        if (y[j] < lo[j]) lo[j] = y[j];
        if (y[j] > hi[j]) hi[j] = y[j];
      }
    }
    if (metric === 'cos') {
      // No offset: it would change angles. The widest coordinate sets the scale.
      let max = 0;
      for (let j = 0; j < dim; j++) max = Math.max(max, -lo[j], hi[j]);
      return new ScalarQuantizer(metric, Math.max(max, 1e-12) / 127, new Float32Array(dim), rotationSeed);
    }
    let half = 0;
    for (let j = 0; j < dim; j++) half = Math.max(half, (hi[j] - lo[j]) / 2);
    return new ScalarQuantizer(metric, Math.max(half, 1e-12) / 127, Float32Array.from(lo, (l, j) => (l + hi[j]) / 2), rotationSeed);
  }

  static fromJSON(p: QuantizerParams): ScalarQuantizer {
    return new ScalarQuantizer(p.metric, p.scale, p.offset, p.rotationSeed ?? null);
  }

  toJSON(): QuantizerParams {
    const p: QuantizerParams = { metric: this.metric, scale: this.scale, offset: Array.from(this.offset) };
    if (this.rotationSeed !== null) p.rotationSeed = this.rotationSeed;
    return p;
  }

  /** Encodes rows of `v` (n*dim) into int8 codes. */
  encode(v: Float32Array, out = new Int8Array(v.length)): Int8Array {
    const dim = this.dim;
    const inv = 1 / this.scale;
    const y = this.row;
    for (let o = 0; o < v.length; o += dim) {
      this.transform(v, o, y);
      for (let j = 0; j < dim; j++) {
        const q = Math.round((y[j] - this.offset[j]) * inv);
        out[o + j] = q > 127 ? 127 : q < -127 ? -127 : q;
      }
    }
    return out;
  }

  /** Decodes codes back to approximate f32 rows (for 'cos': of the normalised rows). */
  decode(codes: Int8Array, out = new Float32Array(codes.length)): Float32Array {
    const dim = this.dim;
    const r = this.rotation;
    const y = this.row;
    for (let o = 0; o < codes.length; o += dim) {
      for (let j = 0; j < dim; j++) y[j] = codes[o + j] * this.scale + this.offset[j];
      if (!r) {
        out.set(y, o);
        continue;
      }
      // The rotation is orthogonal: its inverse is its transpose.
      for (let i = 0; i < dim; i++) {
        let s = 0;
        for (let j = 0; j < dim; j++) s += r[j * dim + i] * y[j];
        out[o + i] = s;
      }
    }
    return out;
  }

  /** Row `o..o+dim` of v, normalised for 'cos', rotated, into y. */
  private transform(v: Float32Array, o: number, y: Float64Array): void {
    const dim = this.dim;
    const f = this.metric === 'cos' ? 1 / Math.max(norm(v, o, dim), 1e-30) : 1;
    const r = this.rotation;
    if (!r) {
      for (let j = 0; j < dim; j++) y[j] = v[o + j] * f;
      return;
    }
    for (let i = 0; i < dim; i++) y[i] = dot(r, i * dim, v, o, dim) * f;
  }

  /** A distance between codes, in the units of the f32 metric. */
  distance(d: number): number {
    return this.metric === 'l2sq' ? d * this.scale * this.scale : d;
  }
}

/** A random orthogonal dim×dim matrix (row-major): Gram–Schmidt on seeded Gaussian rows, in float64. */
export function randomRotation(dim: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const m = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (;;) {
      for (let j = 0; j < dim; j++) m[i * dim + j] = rng.normal();
      // Twice for numerical orthogonality ("twice is enough").
      for (let pass = 0; pass < 2; pass++) {
        for (let p = 0; p < i; p++) {
          let dot = 0;
          for (let j = 0; j < dim; j++) dot += m[i * dim + j] * m[p * dim + j];
          for (let j = 0; j < dim; j++) m[i * dim + j] -= dot * m[p * dim + j];
        }
      }
      let len = 0;
      for (let j = 0; j < dim; j++) len += m[i * dim + j] ** 2;
      len = Math.sqrt(len);
      if (len > 1e-6) {
        for (let j = 0; j < dim; j++) m[i * dim + j] /= len;
        break;
      }
    }
  }
  return Float32Array.from(m);
}

function norm(v: Float32Array, o: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += v[o + j] * v[o + j];
  return Math.sqrt(s);
}
