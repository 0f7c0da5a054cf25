/**
 * The connection graph while it grows, laid out for memory latency at a million users (random reads, not
 * arithmetic, are what this process spends its time on). Each user owns one contiguous block of `mem`: a
 * header (id, degree, capacity, profile traits, flags) followed by a fixed-capacity neighbour row kept
 * sorted. A user is addressed by its block offset, its *ref*, and rows hold refs, so walking to a friend of
 * a friend reads one block per hop with no id → offset look-ups. Rows are sorted by ref, so membership is
 * a binary search and common neighbours a merge. Also holds the edge list
 * (ids, in creation order) and the blocked pairs (a blocked pair never connects afterwards).
 */

import type { Rng } from '../../core/rng.js';

/** Header slots of a user's block; the sorted row of neighbour refs follows at H_ROW. */
export const H_ID = 0;
export const H_DEGREE = 1;
export const H_CAPACITY = 2;
/** Profile traits, copied from Population.traits: company, school, location, industry|seniority. */
export const H_TRAITS = 3;
const H_FLAGS = 7;
export const H_ROW = 8;
const FLAG_HAS_BLOCK = 1;
const PAD = 32;

export class GrowingGraph {
  readonly n: number;
  /** The ref (block offset in `mem`) of user u. */
  readonly at: Int32Array;
  readonly mem: Int32Array;
  /** Edges in creation order, as user ids: src proposed, dst accepted. */
  readonly src: Int32Array;
  readonly dst: Int32Array;
  readonly ts: Uint32Array;
  /** Index into MECHANISMS of the mechanism that produced each edge. */
  readonly mechanism: Uint8Array;
  edgeCount = 0;
  private readonly blocked = new Set<number>();

  /**
   * `traits` holds 4 Int32 per user (see Population.traits). `layout` lists every user once, in the order
   * their blocks are laid out: putting users who tend to connect (co-workers) side by side keeps a walk to a
   * friend of a friend within a few memory pages.
   */
  constructor(capacity: Int32Array, traits: Int32Array, layout: Int32Array, readonly maxEdges: number) {
    const n = capacity.length;
    if (layout.length !== n) throw new RangeError(`layout lists ${layout.length} users, expected ${n}`);
    this.n = n;
    this.at = new Int32Array(n);
    let size = 0;
    for (const u of layout) {
      this.at[u] = size;
      size += H_ROW + capacity[u];
    }
    if (size > 0x7fffffff) throw new RangeError(`graph of ${n} users needs ${size} slots, more than an Int32Array holds`);
    this.mem = new Int32Array(size + PAD); // slack: reads a line past the last block stay in bounds
    for (let u = 0; u < n; u++) {
      const b = this.at[u];
      this.mem[b + H_ID] = u;
      this.mem[b + H_CAPACITY] = capacity[u];
      for (let k = 0; k < 4; k++) this.mem[b + H_TRAITS + k] = traits[4 * u + k];
    }
    this.src = new Int32Array(maxEdges);
    this.dst = new Int32Array(maxEdges);
    this.ts = new Uint32Array(maxEdges);
    this.mechanism = new Uint8Array(maxEdges);
  }

  /** The user id of a ref. */
  id(ref: number): number {
    return this.mem[ref + H_ID];
  }

  degree(u: number): number {
    return this.mem[this.at[u] + H_DEGREE];
  }

  /** The id of user u's k-th neighbour in row order (0 ≤ k < degree(u)); rows are sorted by ref, not id. */
  neighbor(u: number, k: number): number {
    return this.mem[this.mem[this.at[u] + H_ROW + k] + H_ID];
  }

  /** A random friend of a friend of user u who is neither u nor u's friend nor blocked with u; or -1. */
  friendOfFriend(u: number, rng: Rng): number {
    const mem = this.mem;
    const b = this.at[u];
    if (mem[b + H_DEGREE] === 0) return -1;
    const v = mem[b + H_ROW + rng.int(mem[b + H_DEGREE])];
    const w = mem[v + H_ROW + rng.int(mem[v + H_DEGREE])];
    if (w === b || this.connectedRefs(b, w) || this.isBlockedRefs(b, w)) return -1;
    return mem[w + H_ID];
  }

  /** True when users u and w are connected. */
  connected(u: number, w: number): boolean {
    return this.connectedRefs(this.at[u], this.at[w]);
  }

  /** True when the users at refs a and b are connected (binary search in the shorter row). */
  connectedRefs(a: number, b: number): boolean {
    const mem = this.mem;
    if (mem[a + H_DEGREE] > mem[b + H_DEGREE]) return this.indexOf(b + H_ROW, b + H_ROW + mem[b + H_DEGREE], a) >= 0;
    return this.indexOf(a + H_ROW, a + H_ROW + mem[a + H_DEGREE], b) >= 0;
  }

  /** Common neighbours of the users at refs a and b: a merge, or binary searches when one row is much longer. */
  commonNeighbors(refA: number, refB: number): number {
    const mem = this.mem;
    let a = refA;
    let b = refB;
    if (mem[a + H_DEGREE] > mem[b + H_DEGREE]) {
      a = refB;
      b = refA;
    }
    let i = a + H_ROW;
    const iEnd = i + mem[a + H_DEGREE];
    let j = b + H_ROW;
    const jEnd = j + mem[b + H_DEGREE];
    let c = 0;
    if (jEnd - j > 8 * (iEnd - i)) {
      for (; i < iEnd; i++) if (this.indexOf(j, jEnd, mem[i]) >= 0) c++;
      return c;
    }
    while (i < iEnd && j < jEnd) {
      // Branch-free steps: which side advances is unpredictable, so branches would mispredict half the time.
      const x = mem[i];
      const y = mem[j];
      c += +(x === y);
      i += +(x <= y);
      j += +(y <= x);
    }
    return c;
  }

  /** Connects the users at refs a and b. The caller has checked it is new, not blocked and both have room. */
  add(a: number, b: number, ts: number, mechanism: number): void {
    const e = this.edgeCount++;
    this.src[e] = this.mem[a + H_ID];
    this.dst[e] = this.mem[b + H_ID];
    this.ts[e] = ts;
    this.mechanism[e] = mechanism;
    this.insert(a, b);
    this.insert(b, a);
  }

  block(u: number, w: number): void {
    this.blocked.add(this.pairKey(u, w));
    this.mem[this.at[u] + H_FLAGS] |= FLAG_HAS_BLOCK;
    this.mem[this.at[w] + H_FLAGS] |= FLAG_HAS_BLOCK;
  }

  isBlocked(u: number, w: number): boolean {
    return this.isBlockedRefs(this.at[u], this.at[w]);
  }

  isBlockedRefs(a: number, b: number): boolean {
    const mem = this.mem;
    if ((mem[a + H_FLAGS] & mem[b + H_FLAGS] & FLAG_HAS_BLOCK) === 0) return false;
    return this.blocked.has(this.pairKey(mem[a + H_ID], mem[b + H_ID]));
  }

  /** Inserts ref v into the sorted row of the block at b (which has room). */
  private insert(b: number, v: number): void {
    const start = b + H_ROW;
    const end = start + this.mem[b + H_DEGREE]++;
    let lo = start;
    let hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.mem[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    if (lo < end) this.mem.copyWithin(lo + 1, lo, end);
    this.mem[lo] = v;
  }

  /** Index of x in the ascending mem[from..end), or -1. */
  private indexOf(from: number, end: number, x: number): number {
    const mem = this.mem;
    let lo = from;
    let hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (mem[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo < end && mem[lo] === x ? lo : -1;
  }

  private pairKey(u: number, w: number): number {
    return u < w ? u * this.n + w : w * this.n + u;
  }
}
