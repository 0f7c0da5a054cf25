/**
 * Merges repeated connections in an edge table: a pair listed twice (in either direction, unless directed)
 * is one connection, kept where it first appeared, with the earliest known time. O(n + m): an LSD radix sort
 * of the rows by their smaller endpoint (cache-friendly digits of ≤ 11 bits, stable, so rows of one
 * endpoint stay in file order), then one pass with a stamp per other endpoint.
 */
import type { EdgeTable } from '../../core/tables.js';

export interface DedupeResult {
  edges: EdgeTable;
  /** Rows merged into an earlier row of the same pair. */
  duplicates: number;
}

/** `n` bounds the ids in `t` (all ids < n). Returns `t` itself when nothing repeats. */
export function dedupeEdges(n: number, t: EdgeTable, directed: boolean): DedupeResult {
  const m = t.count;
  const { src, dst, ts } = t;
  let major = new Int32Array(m);
  let minor = new Int32Array(m);
  let row = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const s = src[i];
    const d = dst[i];
    const swap = !directed && d < s;
    major[i] = swap ? d : s;
    minor[i] = swap ? s : d;
    row[i] = i;
  }
  const bits = Math.max(1, Math.ceil(Math.log2(Math.max(2, n))));
  const passes = Math.ceil(bits / 11);
  const width = Math.ceil(bits / passes);
  const mask = (1 << width) - 1;
  let major2 = new Int32Array(m);
  let minor2 = new Int32Array(m);
  let row2 = new Int32Array(m);
  for (let p = 0, shift = 0; p < passes; p++, shift += width) {
    const next = new Int32Array(mask + 2);
    for (let i = 0; i < m; i++) next[((major[i] >>> shift) & mask) + 1]++;
    for (let v = 0; v <= mask; v++) next[v + 1] += next[v];
    for (let i = 0; i < m; i++) {
      const q = next[(major[i] >>> shift) & mask]++;
      major2[q] = major[i];
      minor2[q] = minor[i];
      row2[q] = row[i];
    }
    [major, major2] = [major2, major];
    [minor, minor2] = [minor2, minor];
    [row, row2] = [row2, row];
  }
  major2 = minor2 = row2 = new Int32Array(0); // let the scratch columns go before the next allocations

  // stamp[b] === a: the pair (a, b) was seen, first in row firstRow[b].
  const stamp = new Int32Array(n).fill(-1);
  const firstRow = new Int32Array(n);
  const keep = new Uint8Array(m);
  const outTs = ts.slice();
  let duplicates = 0;
  for (let k = 0; k < m; k++) {
    const a = major[k];
    const b = minor[k];
    const i = row[k];
    if (stamp[b] !== a) {
      stamp[b] = a;
      firstRow[b] = i;
      keep[i] = 1;
      continue;
    }
    duplicates++;
    const f = firstRow[b];
    const ti = ts[i];
    if (ti !== 0 && (outTs[f] === 0 || ti < outTs[f])) outTs[f] = ti;
  }
  if (duplicates === 0) return { edges: t, duplicates: 0 };

  const count = m - duplicates;
  const out: EdgeTable = { count, src: new Int32Array(count), dst: new Int32Array(count), ts: new Uint32Array(count) };
  let w = 0;
  for (let i = 0; i < m; i++) {
    if (keep[i] === 0) continue;
    out.src[w] = src[i];
    out.dst[w] = dst[i];
    out.ts[w] = outTs[i];
    w++;
  }
  return { edges: out, duplicates };
}
