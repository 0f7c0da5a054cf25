/**
 * Embedding codec: a vector stored as IEEE half floats (f16, ~3 significant digits, 2 bytes a dimension)
 * or as signed bytes with one scale (i8, max |x| maps to 127, 1 byte a dimension).
 *
 * Layout: [tag 0x45][version u8][dtype u8: 1 = f16, 2 = i8][0][dim u16][scale f32][data].
 */
import { CODECS, checkHeader, invalidValue } from './codec.js';
import { fromHalf, toHalf } from '../core/half.js';

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

