/** Codecs: exact round trips, every truncation and trailing byte detected, other kinds and versions refused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { CODECS, decodeCandidates, decodeIds, decodeProfileInto, decodeRanked, encodeCandidates, encodeIds, encodeProfile, encodeRanked, profileColumns } from '../../src/store/codec.js';
import { decodeEmbedding, encodeEmbedding } from '../../src/store/codecEmbedding.js';
import { decodeProfilePack, encodeProfilePack, profileRowTable, type ProfileSource } from '../../src/store/codecProfiles.js';
import { fromHalf, toHalf } from '../../src/core/half.js';

import { PAIR_FEATURES, type PairFeature } from '../../src/store/snapshot.js';

const invalid = (re?: RegExp) => (e: Error & { code?: string }) => e.code === 'PYMK_STORE_INVALID' && (!re || re.test(e.message));

/** Every strict prefix and one byte too many must fail; the value itself must not. */
function assertLengthChecked(buf: Buffer, decode: (b: Buffer) => unknown): void {
  decode(buf);
  for (let len = 0; len < buf.length; len++) assert.throws(() => decode(buf.subarray(0, len)), invalid(), `prefix of ${len} bytes`);
  assert.throws(() => decode(Buffer.concat([buf, Buffer.from([7])])), invalid(/trailing|bytes/));
  const other = Buffer.from(buf);
  other[1] = buf[1] + 1;
  assert.throws(() => decode(other), invalid(/format version/));
  other[1] = buf[1];
  other[0] = 0x21;
  assert.throws(() => decode(other), invalid(/not a/));
}

test('profile rows round-trip, including negatives and missing values', () => {
  const row = { company: -1, school: 123456, location: 0, industry: 2 ** 31 - 1, seniority: -1, flags: 3, degree: 987654 };
  const cols = profileColumns(2);
  decodeProfileInto(encodeProfile(row), cols, 1, 'k');
  decodeProfileInto(null, cols, 0, 'k');
  assert.deepEqual(
    Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, Array.from(v as ArrayLike<number>)])),
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, [k === 'flags' ? 0 : -1, v]])),
  );
  assertLengthChecked(encodeProfile(row), (b) => decodeProfileInto(b, cols, 0, 'k'));
});

test('profile packs round-trip, follow a list shortened by events and refuse rows they do not hold', () => {
  const rng = new Rng(3);
  const n = 40;
  const col = (): Int32Array => Int32Array.from({ length: n }, () => (rng.chance(0.2) ? -1 : rng.int(2 ** 31 - 1)));
  const src: ProfileSource = {
    codes: { company: col(), school: col(), location: col(), industry: col() },
    seniority: Int8Array.from({ length: n }, () => rng.int(12) - 1),
    flags: Uint8Array.from({ length: n }, () => rng.int(256)),
    degree: (u) => u * 1000 + 7,
  };
  const cand = Int32Array.from([9, 3, 31, 0, 17, 25]);
  const buf = encodeProfilePack(5, cand, 1, 5, profileRowTable(src, n)); // the user 5 and candidates 3, 31, 0, 17
  const want = (ids: number[]) => ({
    company: ids.map((u) => src.codes.company[u]),
    school: ids.map((u) => src.codes.school[u]),
    location: ids.map((u) => src.codes.location[u]),
    industry: ids.map((u) => src.codes.industry[u]),
    seniority: ids.map((u) => src.seniority[u]),
    flags: ids.map((u) => src.flags[u]),
    degree: ids.map((u) => src.degree(u)),
  });
  const plainCols = (c: object) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, Array.from(v as ArrayLike<number>)]));
  const full = decodeProfilePack(buf, 5, cand.subarray(1, 5), 'k');
  assert.deepEqual(plainCols(full.user), want([5]));
  assert.deepEqual(plainCols(full.users), want([3, 31, 0, 17]));
  const shortened = decodeProfilePack(buf, 5, Int32Array.from([31, 17]), 'k');
  assert.deepEqual(plainCols(shortened.users), want([31, 17]));
  const unaligned = Buffer.concat([Buffer.from([0]), buf]).subarray(1);
  assert.deepEqual(plainCols(decodeProfilePack(unaligned, 5, Int32Array.from([0]), 'k').users), want([0]));
  const missing = decodeProfilePack(null, 5, Int32Array.from([1, 2]), 'k');
  assert.deepEqual(plainCols(missing.users), { company: [-1, -1], school: [-1, -1], location: [-1, -1], industry: [-1, -1], seniority: [-1, -1], flags: [0, 0], degree: [-1, -1] });
  assert.throws(() => decodeProfilePack(buf, 5, Int32Array.from([9]), 'k'), invalid(/candidate 9 .* no row/));
  assert.throws(() => decodeProfilePack(buf, 5, Int32Array.from([0, 3]), 'k'), invalid(/out of the pack's order/));
  assert.throws(() => decodeProfilePack(buf, 6, Int32Array.from([]), 'k'), invalid(/row 0 is user 5, expected 6/));
  assertLengthChecked(buf, (b) => decodeProfilePack(b, 5, Int32Array.from([3]), 'k'));
});

test('id rows round-trip and must be strictly ascending', () => {
  const ids = Int32Array.from([-5, 0, 7, 2 ** 31 - 1]);
  assert.deepEqual(Array.from(decodeIds(encodeIds(ids), 'k')), Array.from(ids));
  assert.deepEqual(Array.from(decodeIds(null, 'k')), []);
  assertLengthChecked(encodeIds(ids), (b) => decodeIds(b, 'k'));
  assert.throws(() => decodeIds(encodeIds(Int32Array.from([3, 3])), 'k'), invalid(/ascending/));
  // A count field that claims more than the bytes hold.
  const lying = encodeIds(ids);
  lying.writeUInt32LE(1000, 4);
  assert.throws(() => decodeIds(lying, 'k'), invalid(/truncated/));
});

test('candidate lists round-trip with their pair features, from any slice', () => {
  const rng = new Rng(5);
  const n = 50;
  const ids = Int32Array.from({ length: n }, () => rng.int(1e6));
  const score = Float32Array.from({ length: n }, () => rng.normal());
  const features = Object.fromEntries(PAIR_FEATURES.map((f) => [f, Float32Array.from({ length: n }, () => rng.next() * 1e4)])) as Record<PairFeature, Float32Array>;
  const got = decodeCandidates(encodeCandidates(ids, score, features, 10, 30), 'k')!;
  assert.deepEqual(Array.from(got.ids), Array.from(ids.subarray(10, 30)));
  assert.deepEqual(Array.from(got.score), Array.from(score.subarray(10, 30)));
  for (const f of PAIR_FEATURES) assert.deepEqual(Array.from(got.features[f]), Array.from(features[f].subarray(10, 30)));
  assert.equal(decodeCandidates(null, 'k'), null);
  assert.equal(decodeCandidates(encodeCandidates(ids, score, features, 0, 0), 'k')!.ids.length, 0);
  assertLengthChecked(encodeCandidates(ids, score, features, 0, 3), (b) => decodeCandidates(b, 'k'));
  const fewer = encodeCandidates(ids, score, features, 0, 1);
  fewer[2] = PAIR_FEATURES.length - 1;
  assert.throws(() => decodeCandidates(fewer, 'k'), invalid(/written with \d+ pair features/));
});

test('ranked lists round-trip', () => {
  const cand = Int32Array.from([4, 9, 1]);
  const score = Float32Array.from([0.5, 0.25, -1]);
  const got = decodeRanked(encodeRanked(cand, score), 'k')!;
  assert.deepEqual([Array.from(got.cand), Array.from(got.score)], [[4, 9, 1], [0.5, 0.25, -1]]);
  assertLengthChecked(encodeRanked(cand, score), (b) => decodeRanked(b, 'k'));
});

test('f16 conversion is exact on every half value and rounds to the nearest one', () => {
  for (let h = 0; h < 0x10000; h++) {
    const x = fromHalf(h);
    if (Number.isNaN(x)) assert.ok(Number.isNaN(fromHalf(toHalf(x))));
    else assert.equal(toHalf(x), h === 0x8000 ? 0x8000 : h, `half 0x${h.toString(16)}`);
  }
  // Brute force: no other finite half is closer to x than the one chosen.
  const rng = new Rng(9);
  const halves = Array.from({ length: 0x7c00 }, (_, h) => fromHalf(h));
  for (let i = 0; i < 2000; i++) {
    const x = Math.fround((rng.next() - 0.5) * 2 ** (rng.int(40) - 20));
    const got = Math.abs(fromHalf(toHalf(x)));
    const ax = Math.abs(x);
    if (ax > 65504) continue;
    const best = halves.reduce((b, v) => Math.min(b, Math.abs(v - ax)), Infinity);
    assert.ok(Math.abs(got - ax) <= best + 1e-12 * ax, `${x}`);
  }
  assert.equal(fromHalf(toHalf(1e6)), Infinity);
});

test('embeddings: f16 and i8 within their quantisation error, length and dtype checked', () => {
  const rng = new Rng(2);
  const v = Float32Array.from({ length: 128 }, () => rng.normal());
  const max = v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  const f16 = decodeEmbedding(encodeEmbedding(v, 'f16'), 'k')!;
  const i8 = decodeEmbedding(encodeEmbedding(v, 'i8'), 'k')!;
  for (let i = 0; i < v.length; i++) {
    assert.ok(Math.abs(f16[i] - v[i]) <= Math.abs(v[i]) * 2 ** -11 + 1e-7, `f16[${i}]`);
    assert.ok(Math.abs(i8[i] - v[i]) <= max / 127 / 2 + 1e-6, `i8[${i}]`);
  }
  assert.equal(encodeEmbedding(v, 'f16').length, 10 + 256);
  assert.equal(encodeEmbedding(v, 'i8').length, 10 + 128);
  assertLengthChecked(encodeEmbedding(v.subarray(0, 4), 'f16'), (b) => decodeEmbedding(b, 'k'));
  const bad = encodeEmbedding(v.subarray(0, 4), 'i8');
  bad[2] = 9;
  assert.throws(() => decodeEmbedding(bad, 'k'), invalid(/dtype/));
  assert.equal(CODECS.embedding.tag, bad[0]);
});

test('candidate features that are zero for the whole list are not stored, and come back as zeros', () => {
  const ids = Int32Array.from([1, 2, 3]);
  const score = Float32Array.from([3, 2, 1]);
  const features = Object.fromEntries(PAIR_FEATURES.map((f, k) => [f, Float32Array.from(k === 0 ? [1, 0, 2] : k === 1 ? [0, -0, 0] : [0, 0, 0])])) as Record<PairFeature, Float32Array>;
  const buf = encodeCandidates(ids, score, features);
  assert.equal(buf.length, 12 + 3 * 4 * (2 + 2), 'only the column with values and the one with -0 are stored');
  const got = decodeCandidates(buf, 'k')!;
  for (const f of PAIR_FEATURES) assert.deepEqual(got.features[f], features[f], f);
  const badMask = Buffer.from(buf);
  badMask[3] = 1;
  assert.throws(() => decodeCandidates(badMask, 'k'), invalid(/mask/));
});

test('values at any byte offset decode (unaligned Buffers from the network)', () => {
  const ids = Int32Array.from([5, 6, 9]);
  const enc = encodeIds(ids);
  const shifted = Buffer.concat([Buffer.from([0]), enc]).subarray(1);
  assert.equal(shifted.byteOffset % 4 !== 0 || shifted.byteOffset === 1, true);
  assert.deepEqual(Array.from(decodeIds(shifted, 'k')), [5, 6, 9]);
});
