/**
 * Undirected graph in compressed sparse row form. Row u holds u's neighbours sorted ascending with the
 * timestamp of each connection (0 = unknown). Built in O(n + m) with two stable counting-sort passes.
 */
import type { EdgeTable } from '../core/tables.js';

/** Sorted adjacency rows (directed unless said otherwise). */
export interface Adjacency {
  offsets: Int32Array;
  targets: Int32Array;
}

export class Graph {
  constructor(
    readonly n: number,
    /** Row starts, length n + 1. */
    readonly offsets: Int32Array,
    /** Neighbour ids, rows sorted ascending, length = 2 × undirected edge count. */
    readonly targets: Int32Array,
    /** Connection time per entry of `targets` (epoch s, 0 = unknown). */
    readonly times: Uint32Array,
  ) {}

  get edgeCount(): number {
    return this.targets.length / 2;
  }

  degree(u: number): number {
    return this.offsets[u + 1] - this.offsets[u];
  }

  neighbors(u: number): Int32Array {
    return this.targets.subarray(this.offsets[u], this.offsets[u + 1]);
  }

  hasEdge(u: number, v: number): boolean {
    let lo = this.offsets[u];
    let hi = this.offsets[u + 1] - 1;
    const t = this.targets;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const x = t[mid];
      if (x === v) return true;
      if (x < v) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}

export interface BuildOptions {
  /** Keep only edges with ts < before (0 or undefined = all). Used for temporal snapshots. */
  before?: number;
  /** Optional predicate on the edge index (e.g. "in the training split"). */
  include?: (i: number) => boolean;
}

/**
 * Builds an undirected simple graph from an edge table: both directions are stored, self-loops are
 * dropped, and duplicate pairs are merged keeping the earliest known timestamp.
 */
export function buildGraph(n: number, edges: EdgeTable, opts: BuildOptions = {}): Graph {
  const { before = 0, include } = opts;
  const keep = (i: number): boolean =>
    edges.src[i] !== edges.dst[i] && (before === 0 || (edges.ts[i] !== 0 && edges.ts[i] < before)) && (!include || include(i));

  // Pass 1: count directed entries per destination, then scatter by destination (stable) …
  let m2 = 0;
  const countByDst = new Int32Array(n + 1);
  for (let i = 0; i < edges.count; i++) {
    if (!keep(i)) continue;
    const s = edges.src[i];
    const d = edges.dst[i];
    if (s >= n || d >= n || s < 0 || d < 0) throw new RangeError(`edge ${i} (${s}, ${d}) outside 0..${n - 1}`);
    countByDst[d + 1]++;
    countByDst[s + 1]++;
    m2 += 2;
  }
  for (let u = 0; u < n; u++) countByDst[u + 1] += countByDst[u];
  const tmpSrc = new Int32Array(m2);
  const tmpDst = new Int32Array(m2);
  const tmpTs = new Uint32Array(m2);
  const cursor = countByDst.slice(0, n);
  for (let i = 0; i < edges.count; i++) {
    if (!keep(i)) continue;
    const s = edges.src[i];
    const d = edges.dst[i];
    const t = edges.ts[i];
    let p = cursor[d]++;
    tmpSrc[p] = s;
    tmpDst[p] = d;
    tmpTs[p] = t;
    p = cursor[s]++;
    tmpSrc[p] = d;
    tmpDst[p] = s;
    tmpTs[p] = t;
  }
  // … pass 2: stable scatter by source, so each row ends up sorted by destination.
  const offsets = new Int32Array(n + 1);
  for (let p = 0; p < m2; p++) offsets[tmpSrc[p] + 1]++;
  for (let u = 0; u < n; u++) offsets[u + 1] += offsets[u];
  const targets = new Int32Array(m2);
  const times = new Uint32Array(m2);
  const cur2 = offsets.slice(0, n);
  for (let p = 0; p < m2; p++) {
    const q = cur2[tmpSrc[p]]++;
    targets[q] = tmpDst[p];
    times[q] = tmpTs[p];
  }
  return dedupe(n, offsets, targets, times);
}

/** Removes repeated neighbours within sorted rows (keeping the earliest non-zero time), compacting in place. */
function dedupe(n: number, offsets: Int32Array, targets: Int32Array, times: Uint32Array): Graph {
  let w = 0;
  let start = 0;
  for (let u = 0; u < n; u++) {
    const end = offsets[u + 1];
    const rowStart = w;
    for (let p = start; p < end; p++) {
      const v = targets[p];
      if (w > rowStart && targets[w - 1] === v) {
        const t = times[p];
        if (t !== 0 && (times[w - 1] === 0 || t < times[w - 1])) times[w - 1] = t;
        continue;
      }
      targets[w] = v;
      times[w] = times[p];
      w++;
    }
    start = end;
    offsets[u + 1] = w;
  }
  return new Graph(n, offsets, w === targets.length ? targets : targets.slice(0, w), w === times.length ? times : times.slice(0, w));
}
