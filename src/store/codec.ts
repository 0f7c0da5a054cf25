/**
 * Binary codecs for stored values. Every value starts with two bytes, a kind tag and a format version, so
 * a reader fails clearly on a value of another kind or a newer format; every length is checked against the
 * counts in the value, so a truncated or padded value is reported (PYMK_STORE_INVALID), never decoded into
 * garbage. All numbers are little-endian; list headers are 4-byte multiples so bodies can be read and
 * written through typed-array views. The Lua scripts (lua/*.lua) read and write the same layouts.
 *
 * | codec      | layout                                                                                   |
 * |------------|------------------------------------------------------------------------------------------|
 * | profile    | tag, version, company i32, school i32, location i32, industry i32, seniority i8, flags u8, degree i32 |
 * | ids        | tag, version, 0, 0, count u32, ids i32 × count (strictly ascending)                      |
 * | candidates | tag, version, nfeat u8, stored u8, count u32, mask u32, rows × count:                    |
 * |            |   id i32, score f32, then f32 for each pair feature whose bit is set in mask             |
 * | behaviour  | as candidates (score 0): the rows of candidates with a non-zero behavioural feature only   |
 * | ranked     | tag, version, 0, 0, count u32, rows × count: id i32, score f32                           |
 * | embedding  | see codecEmbedding.ts                                                                    |
 * | profiles   | see codecProfiles.ts (the user's and its candidates' profile rows, columnar)            |
 *
 * Candidates: `nfeat` is PAIR_FEATURES.length when written (a reader with another feature list refuses the
 * value); a feature that is 0 for every candidate of the list is not stored (its mask bit is clear), so the
 * sparse reserved columns cost nothing where they are empty. `stored` = popcount(mask). Behavioural features
 * (BEHAVIOUR_FEATURES, TTL 'behaviour') are not in the list value but in a sparse 'behaviour' value of the
 * same layout, so they expire on their own clock and cost a row only where a signal exists.
 */
import { endianness } from 'node:os';
import { PymkError } from '../core/errors.js';
import { PAIR_FEATURES, type PairFeature } from './snapshot.js';
import type { UserColumns } from './types.js';

if (endianness() !== 'LE') throw new Error('pymk store codecs assume a little-endian host');

export const CODECS = {
  profile: { tag: 0x50, version: 1 },
  ids: { tag: 0x52, version: 1 },
  candidates: { tag: 0x43, version: 1 },
  behaviour: { tag: 0x48, version: 1 },
  ranked: { tag: 0x4c, version: 1 },
  embedding: { tag: 0x45, version: 1 },
  profiles: { tag: 0x55, version: 1 },
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

export function checkLength(buf: Uint8Array, expected: number, where: string, what: string): void {
  if (buf.length !== expected) {
    throw invalidValue(where, `${buf.length < expected ? 'truncated' : 'trailing bytes'}: ${buf.length} bytes, ${what} needs ${expected}`);
  }
}

/** A list value's header: [tag][version][a][b][count u32]; checks the tag, version and that the count is there. */
export function listHeader(buf: Buffer, codec: CodecName, where: string, headerBytes: number): number {
  checkHeader(buf, codec, where);
  if (buf.length < headerBytes) throw invalidValue(where, `truncated: ${buf.length} bytes, the ${codec} header needs ${headerBytes}`);
  return buf.readUInt32LE(4);
}

/** An ArrayBuffer and offset from which bytes [start, end) of `buf` can be viewed as 4-byte words. */
export function words(buf: Uint8Array, start: number, end: number): { ab: ArrayBufferLike; at: number } {
  if ((buf.byteOffset + start) % 4 === 0) return { ab: buf.buffer, at: buf.byteOffset + start };
  const copy = new Uint8Array(end - start);
  copy.set(buf.subarray(start, end));
  return { ab: copy.buffer, at: 0 };
}

/** A fresh value of `size` bytes whose body (from byte 8 or 12) is 4-aligned for typed-array writes. */
export function allocAligned(size: number): Buffer {
  if (arena) return arena.alloc(size);
  const b = Buffer.allocUnsafe(size);
  return b.byteOffset % 4 === 0 ? b : Buffer.from(new ArrayBuffer(size));
}

/**
 * Values carved out of large blocks: one allocation per megabyte instead of one per value. A recycling
 * arena starts over in its block when the block is full (its values must be consumed by then).
 */
class Arena {
  private block = Buffer.allocUnsafeSlow(0);
  private off = 0;

  constructor(private readonly recycle = false) {}

  alloc(size: number): Buffer {
    let at = (this.off + 3) & ~3;
    if (at + size > this.block.length && this.recycle && size <= this.block.length) at = 0;
    if (at + size > this.block.length) {
      this.block = Buffer.allocUnsafeSlow(Math.max(1 << 20, size));
      this.off = size;
      return this.block.subarray(0, size);
    }
    this.off = at + size;
    return this.block.subarray(at, at + size);
  }
}

let arena: Arena | null = null;

const SCRATCH = new Arena(true);

/**
 * Runs `fn` with every value it encodes carved out of shared blocks (bulk encoding for publish). With
 * `consumed`, `fn` copies each value away before it encodes the next, so one block is reused over and over
 * (no fresh pages to fault in and zero at millions of values).
 */
export function encodeInArena<T>(fn: () => T, consumed = false): T {
  const outer = arena;
  arena = consumed ? SCRATCH : new Arena();
  try {
    return fn();
  } finally {
    arena = outer;
  }
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
  const b = allocAligned(PROFILE_BYTES);
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

/** Columns a batch of profile rows decodes into: the store's UserColumns. */
export type ProfileColumns = UserColumns;

/** n rows of profile columns (zeroed), views of one allocation. */
export function profileColumns(n: number): ProfileColumns {
  const b = new ArrayBuffer(22 * n);
  return {
    company: new Int32Array(b, 0, n),
    school: new Int32Array(b, 4 * n, n),
    location: new Int32Array(b, 8 * n, n),
    industry: new Int32Array(b, 12 * n, n),
    seniority: new Int8Array(b, 20 * n, n),
    flags: new Uint8Array(b, 21 * n, n),
    degree: new Int32Array(b, 16 * n, n),
  };
}

/** Rows [lo, hi) of `out` as missing profiles (absent or expired): codes, seniority and degree −1, flags 0. */
export function fillMissingProfiles(out: ProfileColumns, lo = 0, hi = out.company.length): void {
  for (const c of ['company', 'school', 'location', 'industry', 'seniority', 'degree'] as const) out[c].fill(-1, lo, hi);
  out.flags.fill(0, lo, hi);
}

/** Decodes one profile row into row i of `out`; a null value (absent or expired) leaves "missing" values. */
export function decodeProfileInto(buf: Buffer | null, out: ProfileColumns, i: number, where: string): void {
  if (buf === null) {
    fillMissingProfiles(out, i, i + 1);
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

const IDS_HEADER = 8;

export function encodeIds(ids: Int32Array): Buffer {
  const b = allocAligned(IDS_HEADER + 4 * ids.length);
  b.writeUInt32LE(0, 0);
  b[0] = CODECS.ids.tag;
  b[1] = CODECS.ids.version;
  b.writeUInt32LE(ids.length, 4);
  new Int32Array(b.buffer, b.byteOffset + IDS_HEADER, ids.length).set(ids);
  return b;
}

/** Decodes a sorted id row; null (absent or expired) is an empty row. */
export function decodeIds(buf: Buffer | null, where: string): Int32Array {
  if (buf === null) return new Int32Array(0);
  const n = listHeader(buf, 'ids', where, IDS_HEADER);
  checkLength(buf, IDS_HEADER + 4 * n, where, `${n} ids`);
  const { ab, at } = words(buf, IDS_HEADER, buf.length);
  const ids = new Int32Array(ab, at, n).slice();
  for (let i = 1; i < n; i++) if (ids[i] <= ids[i - 1]) throw invalidValue(where, `ids not strictly ascending at ${i}`);
  return ids;
}

// ---- candidates ---------------------------------------------------------------------------------------

const NFEAT = PAIR_FEATURES.length;
const CAND_HEADER = 12;
if (NFEAT > 32) throw new Error('the candidates codec stores at most 32 pair features');

/** A user's candidates, columnar, with the pair features in PAIR_FEATURES order. */
export interface CandidateColumns {
  ids: Int32Array;
  score: Float32Array;
  features: Record<PairFeature, Float32Array>;
}

/**
 * Packs entries lo..hi-1 of columnar candidates into one value (row-major, so Lua can splice a row out).
 * Features in `omit` are not stored (read back as 0).
 */
export function encodeCandidates(
  ids: Int32Array,
  score: Float32Array,
  features: Record<PairFeature, Float32Array>,
  lo = 0,
  hi = ids.length,
  omit: ReadonlySet<PairFeature> = NONE,
): Buffer {
  const kept: Float32Array[] = [];
  let mask = 0;
  for (let k = 0; k < NFEAT; k++) {
    const f = PAIR_FEATURES[k];
    if (!omit.has(f) && anyNonZero(features[f], lo, hi)) {
      mask |= 1 << k;
      kept.push(features[f]);
    }
  }
  const n = hi - lo;
  const stride = 2 + kept.length;
  const { b, w, f } = listValue('candidates', n, kept.length, mask);
  // Column by column: each loop is a plain strided copy.
  for (let i = lo, o = 0; i < hi; i++, o += stride) w[o] = ids[i];
  for (let i = lo, o = 1; i < hi; i++, o += stride) f[o] = score[i];
  for (let k = 0; k < kept.length; k++) {
    const col = kept[k];
    for (let i = lo, o = 2 + k; i < hi; i++, o += stride) f[o] = col[i];
  }
  return b;
}

/**
 * The sparse behaviour value for entries lo..hi-1: only the rows with a non-zero feature in `only`, only
 * those features (score 0). Null when no row has one (nothing to store).
 */
export function encodeBehaviour(ids: Int32Array, features: Record<PairFeature, Float32Array>, lo: number, hi: number, only: readonly PairFeature[]): Buffer | null {
  const kept: Float32Array[] = [];
  let mask = 0;
  for (let k = 0; k < NFEAT; k++) {
    const f = PAIR_FEATURES[k];
    if (only.includes(f) && anyNonZero(features[f], lo, hi)) {
      mask |= 1 << k;
      kept.push(features[f]);
    }
  }
  if (kept.length === 0) return null;
  const bits = kept.map(asBits);
  const rows: number[] = [];
  for (let i = lo; i < hi; i++) {
    for (let k = 0; k < bits.length; k++) {
      if (bits[k][i] !== 0) {
        rows.push(i);
        break;
      }
    }
  }
  const { b, w, f } = listValue('behaviour', rows.length, kept.length, mask);
  for (let r = 0, o = 0; r < rows.length; r++) {
    const i = rows[r];
    w[o++] = ids[i];
    f[o++] = 0;
    for (let k = 0; k < kept.length; k++) f[o++] = kept[k][i];
  }
  return b;
}

const NONE: ReadonlySet<PairFeature> = new Set();

/** The bits of a float column: a value is "stored" when its bits are not all zero (so -0 and NaN count). */
function asBits(col: Float32Array): Uint32Array {
  // One view per column, kept: publish asks for each of a bundle's columns once per user (millions of times).
  let bits = BITS.get(col);
  if (!bits) BITS.set(col, (bits = new Uint32Array(col.buffer, col.byteOffset, col.length)));
  return bits;
}

const BITS = new WeakMap<Float32Array, Uint32Array>();

/** Whether any of col[lo..hi) is non-zero (−0 counts: a stored value is a stored value). */
export function anyNonZero(col: Float32Array, lo: number, hi: number): boolean {
  const bits = asBits(col);
  for (let i = lo; i < hi; i++) if (bits[i] !== 0) return true;
  return false;
}

/** A list value with its header written and word views over the rows. */
function listValue(codec: 'candidates' | 'behaviour', n: number, stored: number, mask: number): { b: Buffer; w: Int32Array; f: Float32Array } {
  const words = (2 + stored) * n;
  const b = allocAligned(CAND_HEADER + 4 * words);
  b[0] = CODECS[codec].tag;
  b[1] = CODECS[codec].version;
  b[2] = NFEAT;
  b[3] = stored;
  b.writeUInt32LE(n, 4);
  b.writeUInt32LE(mask >>> 0, 8);
  return { b, w: new Int32Array(b.buffer, b.byteOffset + CAND_HEADER, words), f: new Float32Array(b.buffer, b.byteOffset + CAND_HEADER, words) };
}

/** Decodes a candidate list (or a behaviour value); null (absent or expired) → null. Features not stored are zero columns. */
export function decodeCandidates(buf: Buffer | null, where: string, codec: 'candidates' | 'behaviour' = 'candidates'): CandidateColumns | null {
  if (buf === null) return null;
  const n = listHeader(buf, codec, where, CAND_HEADER);
  if (buf[2] !== NFEAT) throw invalidValue(where, `written with ${buf[2]} pair features, this reader has ${NFEAT} (${PAIR_FEATURES.join(', ')})`);
  const mask = buf.readUInt32LE(8);
  const stored = buf[3];
  let bits = 0;
  for (let k = 0; k < 32; k++) if (mask & (1 << k)) bits++;
  if (bits !== stored || mask >>> NFEAT !== 0) throw invalidValue(where, `feature mask 0x${mask.toString(16)} does not match ${stored} stored features`);
  const stride = 2 + stored;
  checkLength(buf, CAND_HEADER + 4 * stride * n, where, `${n} candidates with ${stored} stored features`);
  const { ab, at } = words(buf, CAND_HEADER, buf.length);
  const w = new Int32Array(ab, at, stride * n);
  const fl = new Float32Array(ab, at, stride * n);
  // Every output column is a view of one allocation (one backing store per value, not 2 + NFEAT).
  const out = new ArrayBuffer(4 * n * (2 + NFEAT));
  const ids = new Int32Array(out, 0, n);
  const score = new Float32Array(out, 4 * n, n);
  const features = {} as Record<PairFeature, Float32Array>;
  for (let k = 0, s = 0; k < NFEAT; k++) {
    const col = (features[PAIR_FEATURES[k]] = new Float32Array(out, 4 * n * (2 + k), n));
    if (mask & (1 << k)) gather(fl, 2 + s++, stride, col);
  }
  for (let i = 0, o = 0; i < n; i++, o += stride) ids[i] = w[o];
  gather(fl, 1, stride, score);
  return { ids, score, features };
}

/** to[i] = from[first + i * stride]: one column out of row-major rows. */
function gather(from: Float32Array, first: number, stride: number, to: Float32Array): void {
  for (let i = 0, o = first; i < to.length; i++, o += stride) to[i] = from[o];
}

/** Copies the behaviour rows onto the list rows with the same candidate id (features in `only`). */
export function mergeBehaviour(list: CandidateColumns, beh: CandidateColumns | null, only: readonly PairFeature[]): void {
  if (!beh || beh.ids.length === 0) return;
  const at = new Map<number, number>();
  for (let r = 0; r < beh.ids.length; r++) at.set(beh.ids[r], r);
  for (let i = 0; i < list.ids.length; i++) {
    const r = at.get(list.ids[i]);
    if (r !== undefined) for (const f of only) list.features[f][i] = beh.features[f][r];
  }
}

// ---- ranked (static lists) ----------------------------------------------------------------------------

const RANKED_HEADER = 8;

export function encodeRanked(cand: Int32Array, score: Float32Array, lo = 0, hi = cand.length): Buffer {
  const n = hi - lo;
  const b = allocAligned(RANKED_HEADER + 8 * n);
  b.writeUInt32LE(0, 0);
  b[0] = CODECS.ranked.tag;
  b[1] = CODECS.ranked.version;
  b.writeUInt32LE(n, 4);
  const w = new Int32Array(b.buffer, b.byteOffset + RANKED_HEADER, 2 * n);
  const f = new Float32Array(b.buffer, b.byteOffset + RANKED_HEADER, 2 * n);
  for (let i = 0; i < n; i++) {
    w[2 * i] = cand[lo + i];
    f[2 * i + 1] = score[lo + i];
  }
  return b;
}

export function decodeRanked(buf: Buffer | null, where: string): { cand: Int32Array; score: Float32Array } | null {
  if (buf === null) return null;
  const n = listHeader(buf, 'ranked', where, RANKED_HEADER);
  checkLength(buf, RANKED_HEADER + 8 * n, where, `${n} ranked entries`);
  const { ab, at } = words(buf, RANKED_HEADER, buf.length);
  const w = new Int32Array(ab, at, 2 * n);
  const f = new Float32Array(ab, at, 2 * n);
  const cand = new Int32Array(n);
  const score = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    cand[i] = w[2 * i];
    score[i] = f[2 * i + 1];
  }
  return { cand, score };
}
