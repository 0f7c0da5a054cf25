/**
 * Binary codecs for stored values. Every value starts with two bytes, a kind tag and a format version, so
 * a reader fails clearly on a value of another kind or a newer format; every length is checked against the
 * counts in the value, so a truncated or padded value is reported (PYMK_STORE_INVALID), never decoded into
 * garbage. All numbers are little-endian. The Lua scripts (lua/*.lua) read and write the same layouts.
 *
 * | codec      | layout after [tag u8][version u8]                                            |
 * |------------|------------------------------------------------------------------------------|
 * | profile    | company i32, school i32, location i32, industry i32, seniority i8, flags u8, degree i32 |
 * | ids        | count u32, ids i32 × count (strictly ascending)                              |
 * | candidates | nfeat u8, count u32, rows × count: id i32, score f32, nfeat × f32 (PAIR_FEATURES order) |
 * | ranked     | count u32, rows × count: id i32, score f32                                   |
 * | embedding  | see codecEmbedding.ts                                                       |
 */
import { endianness } from 'node:os';
import { PymkError } from '../core/errors.js';
import { PAIR_FEATURES, type PairFeature } from './snapshot.js';

if (endianness() !== 'LE') throw new Error('pymk store codecs assume a little-endian host');

export const CODECS = {
  profile: { tag: 0x50, version: 1 },
  ids: { tag: 0x52, version: 1 },
  candidates: { tag: 0x43, version: 1 },
  ranked: { tag: 0x4c, version: 1 },
  embedding: { tag: 0x45, version: 1 },
} as const;
export type CodecName = keyof typeof CODECS;

/** The error every decoder throws: names the value (its key) and what is wrong. */
export function invalidValue(where: string, what: string): PymkError {
  return new PymkError('PYMK_STORE_INVALID', `stored value ${where}: ${what}`, { key: where });
}

/** Checks the two header bytes; returns the offset of the body. */
export function checkHeader(buf: Uint8Array, codec: CodecName, where: string): number {
  const { tag, version } = CODECS[codec];
  if (buf.length < 2) throw invalidValue(where, `truncated: ${buf.length} bytes, no header`);
  if (buf[0] !== tag) throw invalidValue(where, `not a ${codec} value (tag 0x${buf[0].toString(16)}, expected 0x${tag.toString(16)})`);
  if (buf[1] !== version) {
    throw invalidValue(where, `${codec} format version ${buf[1]}, this reader knows version ${version} (written by a different pymk?)`);
  }
  return 2;
}

function checkLength(buf: Uint8Array, expected: number, where: string, what: string): void {
  if (buf.length !== expected) {
    throw invalidValue(where, `${buf.length < expected ? 'truncated' : 'trailing bytes'}: ${buf.length} bytes, ${what} needs ${expected}`);
  }
}

/** Copies bytes to a fresh, 4-aligned buffer so typed-array views can read them. */
function aligned(buf: Uint8Array, start: number): ArrayBuffer {
  const out = new Uint8Array((buf.length - start + 3) & ~3);
  out.set(buf.subarray(start));
  return out.buffer;
}

// ---- profile ------------------------------------------------------------------------------------------

export const PROFILE_BYTES = 24;

export interface ProfileRow {
  company: number;
  school: number;
  location: number;
  industry: number;
  seniority: number;
  flags: number;
  degree: number;
}

export function encodeProfile(p: ProfileRow): Buffer {
  const b = Buffer.allocUnsafe(PROFILE_BYTES);
  b[0] = CODECS.profile.tag;
  b[1] = CODECS.profile.version;
  b.writeInt32LE(p.company, 2);
  b.writeInt32LE(p.school, 6);
  b.writeInt32LE(p.location, 10);
  b.writeInt32LE(p.industry, 14);
  b.writeInt8(p.seniority, 18);
  b.writeUInt8(p.flags, 19);
  b.writeInt32LE(p.degree, 20);
  return b;
}

/** Columns a batch of profile rows decodes into (the store's UserColumns has this shape). */
export interface ProfileColumns {
  company: Int32Array;
  school: Int32Array;
  location: Int32Array;
  industry: Int32Array;
  seniority: Int8Array;
  flags: Uint8Array;
  degree: Int32Array;
}

/** Decodes one profile row into row i of `out`; a null value (absent or expired) leaves "missing" values. */
export function decodeProfileInto(buf: Buffer | null, out: ProfileColumns, i: number, where: string): void {
  if (buf === null) {
    out.company[i] = out.school[i] = out.location[i] = out.industry[i] = -1;
    out.seniority[i] = -1;
    out.flags[i] = 0;
    out.degree[i] = -1;
    return;
  }
  checkHeader(buf, 'profile', where);
  checkLength(buf, PROFILE_BYTES, where, 'a profile row');
  out.company[i] = buf.readInt32LE(2);
  out.school[i] = buf.readInt32LE(6);
  out.location[i] = buf.readInt32LE(10);
  out.industry[i] = buf.readInt32LE(14);
  out.seniority[i] = buf.readInt8(18);
  out.flags[i] = buf[19];
  out.degree[i] = buf.readInt32LE(20);
}

// ---- ids ----------------------------------------------------------------------------------------------

export function encodeIds(ids: Int32Array): Buffer {
  const b = Buffer.allocUnsafe(6 + 4 * ids.length);
  b[0] = CODECS.ids.tag;
  b[1] = CODECS.ids.version;
  b.writeUInt32LE(ids.length, 2);
  Buffer.from(ids.buffer, ids.byteOffset, ids.byteLength).copy(b, 6);
  return b;
}

/** Decodes a sorted id row; null (absent or expired) is an empty row. */
export function decodeIds(buf: Buffer | null, where: string): Int32Array {
  if (buf === null) return new Int32Array(0);
  checkHeader(buf, 'ids', where);
  if (buf.length < 6) throw invalidValue(where, `truncated: ${buf.length} bytes, no count`);
  const n = buf.readUInt32LE(2);
  checkLength(buf, 6 + 4 * n, where, `${n} ids`);
  const ids = new Int32Array(aligned(buf, 6), 0, n);
  for (let i = 1; i < n; i++) if (ids[i] <= ids[i - 1]) throw invalidValue(where, `ids not strictly ascending at ${i}`);
  return ids;
}

// ---- candidates ---------------------------------------------------------------------------------------

const NFEAT = PAIR_FEATURES.length;
const CAND_HEADER = 7;
const CAND_ROW = 8 + 4 * NFEAT;

/** A user's candidates, columnar, with the pair features in PAIR_FEATURES order. */
export interface CandidateColumns {
  ids: Int32Array;
  score: Float32Array;
  features: Record<PairFeature, Float32Array>;
}

/** Packs entries lo..hi-1 of columnar candidates into one value (row-major, so Lua can splice a row out). */
export function encodeCandidates(ids: Int32Array, score: Float32Array, features: Record<PairFeature, Float32Array>, lo = 0, hi = ids.length): Buffer {
  const n = hi - lo;
  const words = new Int32Array(n * (CAND_ROW / 4));
  const floats = new Float32Array(words.buffer);
  const feats = PAIR_FEATURES.map((f) => features[f]);
  for (let i = 0, w = 0; i < n; i++) {
    words[w++] = ids[lo + i];
    floats[w++] = score[lo + i];
    for (let f = 0; f < NFEAT; f++) floats[w++] = feats[f][lo + i];
  }
  const b = Buffer.allocUnsafe(CAND_HEADER + words.byteLength);
  b[0] = CODECS.candidates.tag;
  b[1] = CODECS.candidates.version;
  b[2] = NFEAT;
  b.writeUInt32LE(n, 3);
  Buffer.from(words.buffer).copy(b, CAND_HEADER);
  return b;
}

/** Decodes a candidate list; null (absent or expired) → null. */
export function decodeCandidates(buf: Buffer | null, where: string): CandidateColumns | null {
  if (buf === null) return null;
  checkHeader(buf, 'candidates', where);
  if (buf.length < CAND_HEADER) throw invalidValue(where, `truncated: ${buf.length} bytes, no counts`);
  if (buf[2] !== NFEAT) throw invalidValue(where, `${buf[2]} pair features per row, this reader has ${NFEAT} (${PAIR_FEATURES.join(', ')})`);
  const n = buf.readUInt32LE(3);
  checkLength(buf, CAND_HEADER + n * CAND_ROW, where, `${n} candidates`);
  const ab = aligned(buf, CAND_HEADER);
  const words = new Int32Array(ab);
  const floats = new Float32Array(ab);
  const ids = new Int32Array(n);
  const score = new Float32Array(n);
  const cols = PAIR_FEATURES.map(() => new Float32Array(n));
  for (let i = 0, w = 0; i < n; i++) {
    ids[i] = words[w++];
    score[i] = floats[w++];
    for (let f = 0; f < NFEAT; f++) cols[f][i] = floats[w++];
  }
  const features = {} as Record<PairFeature, Float32Array>;
  PAIR_FEATURES.forEach((f, k) => (features[f] = cols[k]));
  return { ids, score, features };
}

// ---- ranked (static lists) ----------------------------------------------------------------------------

export function encodeRanked(cand: Int32Array, score: Float32Array, lo = 0, hi = cand.length): Buffer {
  const n = hi - lo;
  const words = new Int32Array(2 * n);
  const floats = new Float32Array(words.buffer);
  for (let i = 0; i < n; i++) {
    words[2 * i] = cand[lo + i];
    floats[2 * i + 1] = score[lo + i];
  }
  const b = Buffer.allocUnsafe(6 + words.byteLength);
  b[0] = CODECS.ranked.tag;
  b[1] = CODECS.ranked.version;
  b.writeUInt32LE(n, 2);
  Buffer.from(words.buffer).copy(b, 6);
  return b;
}

export function decodeRanked(buf: Buffer | null, where: string): { cand: Int32Array; score: Float32Array } | null {
  if (buf === null) return null;
  checkHeader(buf, 'ranked', where);
  if (buf.length < 6) throw invalidValue(where, `truncated: ${buf.length} bytes, no count`);
  const n = buf.readUInt32LE(2);
  checkLength(buf, 6 + 8 * n, where, `${n} ranked entries`);
  const ab = aligned(buf, 6);
  const words = new Int32Array(ab);
  const floats = new Float32Array(ab);
  const cand = new Int32Array(n);
  const score = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    cand[i] = words[2 * i];
    score[i] = floats[2 * i + 1];
  }
  return { cand, score };
}
