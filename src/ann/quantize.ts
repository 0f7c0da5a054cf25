/**
 * Scalar quantization to int8 and exact f32 re-ranking.
 *
 * The quantizer maps each coordinate affinely, x → round((x − offset_j) / scale), clamped to [−127, 127],
 * with ONE scale for all dimensions: squared L2 between codes is then the true squared L2 divided by scale²
 * plus rounding noise, so the i8 graph orders neighbours as f32 would, up to that noise. For 'cos' vectors
 * are normalised first and the offset is 0 (an offset would change angles). A per-dimension scale would use
 * the 8 bits better but distort L2, which the graph cannot undo.
 *
 * (usearch's own f32→i8 cast rescales every vector to unit length: right for cosine, wrong for L2. So the
 * usearch adapter feeds it codes from this quantizer instead.)
 *
 * rerank.ts over-fetches from a quantized index and re-scores the candidates in f32.
 */
import { PymkError } from '../core/errors.js';
import type { Metric } from './types.js';

/** Saved quantizer settings. */
export interface QuantizerParams {
  metric: Metric;
  scale: number;
  offset: number[];
}

export class ScalarQuantizer {
  private readonly offset: Float32Array;

  constructor(readonly metric: Metric, readonly scale: number, offset: ArrayLike<number>) {
    if (!(scale > 0) || !Number.isFinite(scale)) throw new PymkError('PYMK_BAD_PARAM', `quantizer scale must be positive, got ${scale}`);
    this.offset = Float32Array.from(offset);
  }

  get dim(): number {
    return this.offset.length;
  }

  /**
   * Fits to data: 'l2sq' centres each dimension on its mid-range and takes the widest half-range as 127;
   * 'cos' uses the largest coordinate of the normalised vectors. `maxRows` bounds the rows looked at.
   */
  static fit(vectors: Float32Array, dim: number, metric: Metric, maxRows = 200_000): ScalarQuantizer {
    const n = Math.floor(vectors.length / dim);
    if (n === 0) throw new PymkError('PYMK_BAD_INPUT', 'cannot fit a quantizer to no vectors');
    const step = Math.max(1, Math.floor(n / maxRows));
    if (metric === 'cos') {
      let max = 0;
      for (let i = 0; i < n; i += step) {
        const inv = 1 / Math.max(norm(vectors, i * dim, dim), 1e-30);
        for (let j = 0; j < dim; j++) max = Math.max(max, Math.abs(vectors[i * dim + j] * inv));
      }
      return new ScalarQuantizer(metric, Math.max(max, 1e-12) / 127, new Float32Array(dim));
    }
    const lo = new Float64Array(dim).fill(Infinity);
    const hi = new Float64Array(dim).fill(-Infinity);
    for (let i = 0; i < n; i += step) {
      for (let j = 0; j < dim; j++) {
        const x = vectors[i * dim + j];
        if (x < lo[j]) lo[j] = x;
        if (x > hi[j]) hi[j] = x;
      }
    }
    let half = 0;
    for (let j = 0; j < dim; j++) half = Math.max(half, (hi[j] - lo[j]) / 2);
    return new ScalarQuantizer(metric, Math.max(half, 1e-12) / 127, Float32Array.from(lo, (l, j) => (l + hi[j]) / 2));
  }

  static fromJSON(p: QuantizerParams): ScalarQuantizer {
    return new ScalarQuantizer(p.metric, p.scale, p.offset);
  }

  toJSON(): QuantizerParams {
    return { metric: this.metric, scale: this.scale, offset: Array.from(this.offset) };
  }

  /** Encodes rows of `v` (n*dim) into int8 codes. */
  encode(v: Float32Array, out = new Int8Array(v.length)): Int8Array {
    const dim = this.dim;
    const inv = 1 / this.scale;
    for (let o = 0; o < v.length; o += dim) {
      const f = this.metric === 'cos' ? 1 / Math.max(norm(v, o, dim), 1e-30) : 1;
      for (let j = 0; j < dim; j++) {
        const q = Math.round((v[o + j] * f - this.offset[j]) * inv);
        out[o + j] = q > 127 ? 127 : q < -127 ? -127 : q;
      }
    }
    return out;
  }

  /** Decodes codes back to approximate f32 rows. */
  decode(codes: Int8Array, out = new Float32Array(codes.length)): Float32Array {
    const dim = this.dim;
    for (let i = 0; i < codes.length; i++) out[i] = codes[i] * this.scale + this.offset[i % dim];
    return out;
  }

  /** A distance between codes, in the units of the f32 metric. */
  distance(d: number): number {
    return this.metric === 'l2sq' ? d * this.scale * this.scale : d;
  }
}

function norm(v: Float32Array, o: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += v[o + j] * v[o + j];
  return Math.sqrt(s);
}
