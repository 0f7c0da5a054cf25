/**
 * Compact copies of the f32 embeddings for the index and the online store:
 * - f16: IEEE 754 binary16 bit patterns in a Uint16Array (round to nearest even; no Float16Array in Node 20).
 * - i8: one global scale, code = round(x / scale) clamped to ±127, x ≈ code × scale. For unit vectors the
 *   scale is the largest |coordinate| / 127 — the same convention as src/ann's 'cos' scalar quantizer
 *   (offset 0), so either side can decode the other's codes.
 */

import { fromHalf, toHalf } from '../core/half.js';

export { fromHalf, toHalf };

export function toF16(v: Float32Array): Uint16Array {
  const out = new Uint16Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = toHalf(v[i]);
  return out;
}

export function fromF16(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = fromHalf(h[i]);
  return out;
}

export interface I8Codes {
  codes: Int8Array;
  scale: number;
}

/** Symmetric int8 codes with one global scale (largest |x| maps to 127). */
export function toI8(v: Float32Array): I8Codes {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]));
  const scale = Math.fround(Math.max(max, 1e-12) / 127); // stored as float32
  const codes = new Int8Array(v.length);
  for (let i = 0; i < v.length; i++) codes[i] = Math.max(-127, Math.min(127, Math.round(v[i] / scale)));
  return { codes, scale };
}

export function fromI8(q: I8Codes): Float32Array {
  return Float32Array.from(q.codes, (c) => c * q.scale);
}
