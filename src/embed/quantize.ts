/**
 * Compact copies of the f32 embeddings for the index and the online store:
 * - f16: IEEE 754 binary16 bit patterns in a Uint16Array (round to nearest even; no Float16Array in Node 20).
 * - i8: one global scale, code = round(x / scale) clamped to ±127, x ≈ code × scale. For unit vectors the
 *   scale is the largest |coordinate| / 127 — the same convention as src/ann's 'cos' scalar quantizer
 *   (offset 0), so either side can decode the other's codes.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bits of x (round to nearest even, overflow to ±Infinity, NaN kept). */
export function toHalf(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}

/** The value of binary16 bits. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

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
