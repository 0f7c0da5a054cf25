/**
 * Embedding codec: a vector stored as IEEE half floats (f16, ~3 significant digits, 2 bytes a dimension)
 * or as signed bytes with one scale (i8, max |x| maps to 127, 1 byte a dimension).
 *
 * Layout: [tag 0x45][version u8][dtype u8: 1 = f16, 2 = i8][0][dim u16][scale f32][data].
 */
import { CODECS, checkHeader, invalidValue } from './codec.js';

export type EmbeddingDtype = 'f16' | 'i8';
const DTYPE_CODE: Record<EmbeddingDtype, number> = { f16: 1, i8: 2 };
const HEADER = 10;

export function encodeEmbedding(v: Float32Array, dtype: EmbeddingDtype): Buffer {
  const dim = v.length;
  if (dim === 0 || dim > 0xffff) throw new RangeError(`embedding dimension ${dim} out of range 1..65535`);
  const b = Buffer.alloc(HEADER + dim * (dtype === 'f16' ? 2 : 1));
  b[0] = CODECS.embedding.tag;
  b[1] = CODECS.embedding.version;
  b[2] = DTYPE_CODE[dtype];
  b.writeUInt16LE(dim, 4);
  if (dtype === 'f16') {
    b.writeFloatLE(1, 6);
    for (let i = 0; i < dim; i++) b.writeUInt16LE(toHalf(v[i]), HEADER + 2 * i);
  } else {
    let max = 0;
    for (let i = 0; i < dim; i++) max = Math.max(max, Math.abs(v[i]));
    const scale = max > 0 ? max / 127 : 1;
    b.writeFloatLE(scale, 6);
    for (let i = 0; i < dim; i++) b.writeInt8(Math.max(-127, Math.min(127, Math.round(v[i] / scale))), HEADER + i);
  }
  return b;
}

/** Decodes an embedding; null (absent or expired) → null. */
export function decodeEmbedding(buf: Buffer | null, where: string): Float32Array | null {
  if (buf === null) return null;
  checkHeader(buf, 'embedding', where);
  if (buf.length < HEADER) throw invalidValue(where, `truncated: ${buf.length} bytes, embedding header needs ${HEADER}`);
  const code = buf[2];
  const dim = buf.readUInt16LE(4);
  const size = code === 1 ? 2 : code === 2 ? 1 : 0;
  if (size === 0) throw invalidValue(where, `unknown embedding dtype code ${code}`);
  if (buf.length !== HEADER + dim * size) throw invalidValue(where, `${buf.length} bytes, a ${dim}-d embedding needs ${HEADER + dim * size}`);
  const out = new Float32Array(dim);
  if (code === 1) for (let i = 0; i < dim; i++) out[i] = fromHalf(buf.readUInt16LE(HEADER + 2 * i));
  else {
    const scale = buf.readFloatLE(6);
    for (let i = 0; i < dim; i++) out[i] = buf.readInt8(HEADER + i) * scale;
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE 754 binary16 bits, round to nearest even; overflow → ±Inf, NaN kept. */
export function toHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
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
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** IEEE 754 binary16 bits → number. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
