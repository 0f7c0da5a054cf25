/**
 * Per-user rows (CSR: `offsets` and row-aligned columns), as the incremental stages patch them: a user's
 * row is taken from a fresh computation when the user is marked, from the earlier bundle otherwise.
 */
import { crc32 } from 'node:zlib';
import { dtypeOf, encodeHeader } from '../../bundle/binary.js';

type Column = Int32Array | Float32Array;

/** Users' rows: user u owns entries offsets[u] .. offsets[u + 1] - 1 of every column. */
export interface Rows<C extends Record<string, Column> = Record<string, Column>> {
  offsets: Int32Array;
  cols: C;
}

/**
 * The rows of users lo .. hi-1, offsets starting at 0: user u's from `fresh` when `marked[u]`, else from
 * `prev`. `fresh` covers users lo .. hi-1 (offsets indexed u - lo; unmarked users' rows are ignored, so they
 * are best left empty); `prev` covers users from 0 and must have a row for every unmarked user.
 */
export function patchRows<C extends Record<string, Column>, K extends keyof C & string>(
  marked: Uint8Array,
  lo: number,
  hi: number,
  fresh: Rows<C>,
  prev: Rows<C>,
  names: readonly K[],
): Rows<Pick<C, K>> {
  const offsets = patchedOffsets(marked, lo, hi, fresh.offsets, prev.offsets);
  const cols = {} as Pick<C, K>;
  for (const name of names) {
    const Ctor = prev.cols[name].constructor as new (n: number) => C[K];
    cols[name] = new Ctor(offsets[hi - lo]);
  }
  // Runs of users from the same side are copied as one slice per column.
  for (let u = lo; u < hi; ) {
    const side = marked[u];
    let v = u;
    while (v < hi && marked[v] === side) v++;
    const [src, a, z] = side ? [fresh, fresh.offsets[u - lo], fresh.offsets[v - lo]] : [prev, prev.offsets[u], prev.offsets[v]];
    for (const name of names) cols[name].set(src.cols[name].subarray(a, z), offsets[u - lo]);
    u = v;
  }
  return { offsets, cols };
}

/** The offsets (from 0) of patchRows(marked, lo, hi, …)'s rows: user u's row length from `freshOffsets` (indexed u - lo) when marked, else from `prevOffsets`. */
export function patchedOffsets(marked: Uint8Array, lo: number, hi: number, freshOffsets: Int32Array, prevOffsets: Int32Array): Int32Array {
  const offsets = new Int32Array(hi - lo + 1);
  for (let u = lo; u < hi; u++) {
    const len = marked[u] ? freshOffsets[u - lo + 1] - freshOffsets[u - lo] : prevOffsets[u + 1] - prevOffsets[u];
    offsets[u - lo + 1] = offsets[u - lo] + len;
  }
  return offsets;
}

/**
 * Marks (sets to 1) every user u < min(prev users, cur users) whose row in `cur` is not bit-for-bit the one
 * in `prev` in any of `names`; users beyond `prev` are left as they are. Returns how many it marked.
 */
export function markChangedRows<C extends Record<string, Column>>(marked: Uint8Array, prev: Rows<C>, cur: Rows<C>, names: readonly (keyof C & string)[]): number {
  const n = Math.min(prev.offsets.length, cur.offsets.length) - 1;
  const bits = (c: Column): Int32Array => (c instanceof Int32Array ? c : new Int32Array(c.buffer, c.byteOffset, c.length));
  const p = names.map((k) => bits(prev.cols[k]));
  const c = names.map((k) => bits(cur.cols[k]));
  let count = 0;
  for (let u = 0; u < n; u++) {
    if (marked[u]) continue;
    const [a, b] = [prev.offsets[u], cur.offsets[u]];
    const len = prev.offsets[u + 1] - a;
    let same = len === cur.offsets[u + 1] - b;
    for (let j = 0; same && j < p.length; j++) {
      const [pj, cj] = [p[j], c[j]];
      for (let i = 0; i < len; i++) {
        if (pj[a + i] !== cj[b + i]) {
          same = false;
          break;
        }
      }
    }
    if (!same) {
      marked[u] = 1;
      count++;
    }
  }
  return count;
}

/** The users marked, ascending. */
export function markedUsers(marked: Uint8Array): Int32Array {
  let k = 0;
  for (let u = 0; u < marked.length; u++) k += marked[u];
  const out = new Int32Array(k);
  for (let u = 0, i = 0; u < marked.length; u++) if (marked[u]) out[i++] = u;
  return out;
}

/**
 * The element ranges of patchRows(marked, lo, hi, fresh, prev, …) as runs of users from one side, in order:
 * triples (1 = from fresh / 0 = from prev, start, end) into that side's columns.
 */
export function patchRuns(marked: Uint8Array, lo: number, hi: number, freshOffsets: Int32Array, prevOffsets: Int32Array): Int32Array {
  const runs: number[] = [];
  for (let u = lo; u < hi; ) {
    const side = marked[u];
    let v = u;
    while (v < hi && marked[v] === side) v++;
    const [a, z] = side ? [freshOffsets[u - lo], freshOffsets[v - lo]] : [prevOffsets[u], prevOffsets[v]];
    if (z > a) runs.push(side, a, z);
    u = v;
  }
  return Int32Array.from(runs);
}

const CHUNK_BYTES = 8 << 20;

/**
 * The typed-array file (bundle/binary.ts) whose columns `names` are the runs' rows (patchRuns) of `fresh` and
 * `prev`, as chunks for ctx.writeArrayStream: byte-identical to writeArrays of patchRows's columns, without
 * building them — one CRC-32 pass over the rows where they lie, then the rows copied into one reused buffer
 * of at most 8 MiB per write. `lead`: columns written whole before those (e.g. the patched rows' offsets,
 * patchedOffsets), as writeArrays({ ...lead, ...patched columns }) would. Each chunk is valid until the next
 * is asked for (writeChunks writes it first).
 */
export async function* patchedChunks<C extends Record<string, Column>>(
  runs: Int32Array,
  fresh: C,
  prev: C,
  names: readonly (keyof C & string)[],
  lead: Record<string, Column> = {},
): AsyncGenerator<Uint8Array> {
  const bytes = (c: Column, a: number, z: number): Uint8Array => new Uint8Array(c.buffer, c.byteOffset + a * c.BYTES_PER_ELEMENT, (z - a) * c.BYTES_PER_ELEMENT);
  // Each column with its runs and the two sides they index (a lead column: one run of the whole column).
  const columns = [
    ...Object.entries(lead).map(([name, c]) => ({ name, dtype: dtypeOf(c), runs: Int32Array.of(1, 0, c.length), fresh: c, prev: c })),
    ...names.map((name) => ({ name, dtype: dtypeOf(prev[name]), runs, fresh: fresh[name] as Column, prev: prev[name] as Column })),
  ];
  const slice = (col: (typeof columns)[number], r: number): Uint8Array => bytes(col.runs[r] ? col.fresh : col.prev, col.runs[r + 1], col.runs[r + 2]);
  const info = columns.map((col) => {
    let crc = 0;
    let length = 0;
    for (let r = 0; r < col.runs.length; r += 3) {
      crc = crc32(slice(col, r), crc);
      length += col.runs[r + 2] - col.runs[r + 1];
    }
    return { name: col.name, dtype: col.dtype, length, crc32: crc };
  });
  yield encodeHeader(info);
  const buf = new Uint8Array(CHUNK_BYTES);
  let used = 0;
  for (const col of columns) {
    for (let r = 0; r < col.runs.length; r += 3) {
      let src = slice(col, r);
      while (src.length > 0) {
        const take = Math.min(src.length, CHUNK_BYTES - used);
        buf.set(src.subarray(0, take), used);
        used += take;
        src = src.subarray(take);
        if (used === CHUNK_BYTES) {
          yield buf;
          used = 0;
        }
      }
    }
    const pad = ((used + 7) & ~7) - used; // columns start on 8-byte boundaries; CHUNK_BYTES is a multiple of 8
    buf.fill(0, used, used + pad);
    used += pad;
    if (used === CHUNK_BYTES) {
      yield buf;
      used = 0;
    }
  }
  if (used > 0) yield buf.subarray(0, used);
}
