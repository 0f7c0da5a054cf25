/**
 * Profile pack codec: the profile rows of one user and of every candidate in the user's stored list, packed
 * into one value at publish time (denormalised), so a request reads them with the user's own rows in one
 * MGET on the user's slot instead of one profile row per candidate (docs/store.md, "Reads").
 *
 * Layout, columnar: [tag 0x55][version][0][0][count u32], then `count` rows as columns:
 * ids i32, company i32, school i32, location i32, industry i32, degree i32, seniority i8, flags u8.
 * Row 0 is the user; rows 1.. are the candidates in list order. removeCandidate (Lua) takes candidates out of the list
 * but not from the pack, so the list is a subsequence of the pack's rows and the reader matches by id.
 */
import type { ProfileRow } from './codec.js';
import { CODECS, allocAligned, checkLength, fillMissingProfiles, invalidValue, listHeader, profileColumns, words, type ProfileColumns } from './codec.js';

const HEADER = 8;
const ROW_BYTES = 6 * 4 + 2;
const I32_COLUMNS = ['company', 'school', 'location', 'industry', 'degree'] as const;

/** Where the pack's rows come from: the bundle's profile columns and degrees. */
export interface ProfileSource {
  codes: { company: Int32Array; school: Int32Array; location: Int32Array; industry: Int32Array };
  seniority: Int8Array;
  flags: Uint8Array;
  degree(u: number): number;
}

/**
 * Every user's row interleaved, 6 words a user (company, school, location, industry, degree, seniority and
 * flags in the low two bytes), so that packing a candidate costs one cache line instead of seven scattered
 * reads (the publisher packs ~100M candidate rows for 1M users).
 */
export function profileRowTable(src: ProfileSource, n: number): Int32Array {
  const t = new Int32Array(6 * n);
  const { company, school, location, industry } = src.codes;
  for (let u = 0, o = 0; u < n; u++, o += 6) {
    t[o] = company[u];
    t[o + 1] = school[u];
    t[o + 2] = location[u];
    t[o + 3] = industry[u];
    t[o + 4] = src.degree(u);
    t[o + 5] = (src.seniority[u] & 0xff) | (src.flags[u] << 8);
  }
  return t;
}

/** The pack of user `uid` and candidates cand[lo..hi-1], from a profileRowTable. */
export function encodeProfilePack(uid: number, cand: Int32Array, lo: number, hi: number, table: Int32Array): Buffer {
  const n = 1 + hi - lo;
  const b = allocAligned(HEADER + ROW_BYTES * n);
  b.writeUInt32LE(0, 0);
  b[0] = CODECS.profiles.tag;
  b[1] = CODECS.profiles.version;
  b.writeUInt32LE(n, 4);
  const w = new Int32Array(b.buffer, b.byteOffset + HEADER, 6 * n);
  const bytes = new Uint8Array(b.buffer, b.byteOffset + HEADER + 24 * n, 2 * n);
  for (let r = 0; r < n; r++) {
    const u = r === 0 ? uid : cand[lo + r - 1];
    const o = 6 * u;
    w[r] = u;
    w[n + r] = table[o];
    w[2 * n + r] = table[o + 1];
    w[3 * n + r] = table[o + 2];
    w[4 * n + r] = table[o + 3];
    w[5 * n + r] = table[o + 4];
    const sf = table[o + 5];
    bytes[r] = sf;
    bytes[n + r] = sf >>> 8;
  }
  return b;
}

/** The pack of a user without a candidate list (one created online): the user's own row only. */
export function encodeSoloPack(uid: number, p: ProfileRow): Buffer {
  const one = profileColumns(1);
  one.company[0] = p.company;
  one.school[0] = p.school;
  one.location[0] = p.location;
  one.industry[0] = p.industry;
  one.degree[0] = p.degree;
  one.seniority[0] = p.seniority;
  one.flags[0] = p.flags;
  return encodePackColumns(Int32Array.of(uid), one);
}

/** The pack of users ids[0] (the user) and ids[1..] (the candidates, in list order) from their profile columns, row r = ids[r]. */
export function encodePackColumns(ids: Int32Array, cols: ProfileColumns): Buffer {
  const n = ids.length;
  const table = new Int32Array(6 * n);
  for (let r = 0, o = 0; r < n; r++, o += 6) {
    table[o] = cols.company[r];
    table[o + 1] = cols.school[r];
    table[o + 2] = cols.location[r];
    table[o + 3] = cols.industry[r];
    table[o + 4] = cols.degree[r];
    table[o + 5] = (cols.seniority[r] & 0xff) | (cols.flags[r] << 8);
  }
  const b = encodeProfilePack(0, Int32Array.from({ length: n - 1 }, (_, i) => i + 1), 0, n - 1, table);
  new Int32Array(b.buffer, b.byteOffset + HEADER, n).set(ids); // the id column (the table above is indexed by row)
  return b;
}

/**
 * The user's row and the rows of `cand` (the list as read, possibly shortened by removeCandidate), from a pack.
 * A null pack (absent or expired, profile TTL) reads as missing profiles, like an expired profile row.
 */
export function decodeProfilePack(buf: Buffer | null, uid: number, cand: Int32Array, where: string): { user: ProfileColumns; users: ProfileColumns } {
  const user = profileColumns(1);
  const users = profileColumns(cand.length);
  if (buf === null) {
    fillMissingProfiles(user);
    fillMissingProfiles(users);
    return { user, users };
  }
  const n = listHeader(buf, 'profiles', where, HEADER);
  const need = HEADER + ROW_BYTES * n;
  checkLength(buf, need, where, `${n} profile rows`);
  if (n === 0) throw invalidValue(where, 'no rows (row 0 is the user)');
  const { ab, at } = words(buf, HEADER, need); // typed-array views need 4-aligned words
  const w = new Int32Array(ab, at, 6 * n);
  const bytes = new Int8Array(ab, at + 24 * n, 2 * n);
  if (w[0] !== uid) throw invalidValue(where, `row 0 is user ${w[0]}, expected ${uid}`);
  // Which row each candidate is: the list is a subsequence of rows 1..n-1 (all of them unless removeCandidate took some out).
  const rows = new Int32Array(cand.length);
  for (let i = 0, r = 1; i < cand.length; i++, r++) {
    while (r < n && w[r] !== cand[i]) r++;
    if (r === n) throw invalidValue(where, `candidate ${cand[i]} (list position ${i}) has no row, or the list is out of the pack's order`);
    rows[i] = r;
  }
  for (let c = 0; c < I32_COLUMNS.length; c++) {
    const from = w.subarray((c + 1) * n, (c + 2) * n);
    user[I32_COLUMNS[c]][0] = from[0];
    gatherRows(from, rows, users[I32_COLUMNS[c]]);
  }
  user.seniority[0] = bytes[0];
  user.flags[0] = bytes[n];
  gatherRows(bytes.subarray(0, n), rows, users.seniority);
  gatherRows(bytes.subarray(n, 2 * n), rows, users.flags);
  return { user, users };
}

function gatherRows(from: Int32Array | Int8Array, rows: Int32Array, to: Int32Array | Int8Array | Uint8Array): void {
  if (rows.length === from.length - 1 && rows[rows.length - 1] === rows.length) to.set(from.subarray(1)); // nothing removed
  else for (let i = 0; i < rows.length; i++) to[i] = from[rows[i]];
}

/** A pack with row 0 (the user) changed by `edit` and every other row as it was (StoreWriter.updateProfile). */
export function editPackUserRow(buf: Buffer, uid: number, where: string, edit: (cols: ProfileColumns, i: number) => void): Buffer {
  const n = listHeader(buf, 'profiles', where, HEADER);
  checkLength(buf, HEADER + ROW_BYTES * n, where, `${n} profile rows`);
  const { ab, at } = words(buf, HEADER, HEADER + 4 * n);
  const ids = Int32Array.from(new Int32Array(ab, at, n));
  const { user, users } = decodeProfilePack(buf, uid, ids.subarray(1), where);
  edit(user, 0);
  const all = profileColumns(n);
  for (const c of Object.keys(all) as (keyof ProfileColumns)[]) {
    all[c][0] = user[c][0];
    all[c].set(users[c], 1);
  }
  return encodePackColumns(ids, all);
}
