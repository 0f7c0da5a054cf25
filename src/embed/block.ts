/**
 * Sampled computation blocks for mini-batch GraphSAGE. For a set of target users T the block lists
 *   L0 = T, L1 = L0 ∪ S2(L0), L2 = L1 ∪ S1(L1)
 * as prefixes of one id array (so a node's local index is the same at every level it appears in), plus the
 * sampled neighbour lists: nbr2 for each target (local ids < n1) and nbr1 for each L1 node (local ids into
 * all nodes). A node with at most k neighbours keeps them all; otherwise k distinct ones are drawn (Floyd).
 */
import type { Rng } from '../core/rng.js';
import type { Graph } from '../graph/csr.js';

export interface Block {
  /** Global user ids: targets first, then the rest of L1, then the rest of L2. */
  nodes: Int32Array;
  nT: number;
  n1: number;
  /** Sampled neighbours of L1 node i: nbr1[off1[i] .. off1[i+1]) (local ids). */
  off1: Int32Array;
  nbr1: Int32Array;
  /** Sampled neighbours of target t: nbr2[off2[t] .. off2[t+1]) (local ids < n1). */
  off2: Int32Array;
  nbr2: Int32Array;
}

/** Growable int list. */
class IntVec {
  data: Int32Array;
  length = 0;
  constructor(cap = 1024) {
    this.data = new Int32Array(cap);
  }
  push(x: number): void {
    if (this.length === this.data.length) {
      const d = new Int32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = x;
  }
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

/** Builds blocks; reuses its buffers, so a block is valid until the next `begin()`. */
export class BlockSampler {
  private readonly loc: Int32Array;
  private readonly nodes = new IntVec();
  private readonly nbr1 = new IntVec();
  private readonly nbr2 = new IntVec();
  private off1 = new Int32Array(1024);
  private off2 = new Int32Array(1024);
  private readonly pick = new Int32Array(1024);

  constructor(n: number) {
    this.loc = new Int32Array(n).fill(-1);
  }

  /** Starts a block; forgets the previous one. */
  begin(): void {
    const v = this.nodes.view();
    for (let i = 0; i < v.length; i++) this.loc[v[i]] = -1;
    this.nodes.length = 0;
    this.nbr1.length = 0;
    this.nbr2.length = 0;
  }

  /** Adds a target (before `expand`); returns its local index (the same one when added twice). */
  add(u: number): number {
    let l = this.loc[u];
    if (l < 0) {
      l = this.nodes.length;
      this.loc[u] = l;
      this.nodes.push(u);
    }
    return l;
  }

  get size(): number {
    return this.nodes.length;
  }

  /** Samples the two neighbourhood levels of the targets added so far. */
  expand(g: Graph, fanouts: readonly [number, number], rng: Rng): Block {
    const nT = this.nodes.length;
    if (this.off2.length < nT + 1) this.off2 = new Int32Array(2 * nT + 1);
    for (let t = 0; t < nT; t++) {
      this.off2[t] = this.nbr2.length;
      this.sampleInto(g, this.nodes.data[t], fanouts[1], rng, this.nbr2);
    }
    this.off2[nT] = this.nbr2.length;
    const n1 = this.nodes.length;
    if (this.off1.length < n1 + 1) this.off1 = new Int32Array(2 * n1 + 1);
    for (let i = 0; i < n1; i++) {
      this.off1[i] = this.nbr1.length;
      this.sampleInto(g, this.nodes.data[i], fanouts[0], rng, this.nbr1);
    }
    this.off1[n1] = this.nbr1.length;
    return {
      nodes: this.nodes.view(),
      nT,
      n1,
      off1: this.off1.subarray(0, n1 + 1),
      nbr1: this.nbr1.view(),
      off2: this.off2.subarray(0, nT + 1),
      nbr2: this.nbr2.view(),
    };
  }

  /** Appends the local ids of up to k sampled neighbours of u (adding new nodes at the end). */
  private sampleInto(g: Graph, u: number, k: number, rng: Rng, out: IntVec): void {
    const start = g.offsets[u];
    const deg = g.offsets[u + 1] - start;
    if (deg <= k) {
      for (let p = start; p < start + deg; p++) out.push(this.add(g.targets[p]));
      return;
    }
    // Floyd's algorithm: k distinct positions out of deg.
    let c = 0;
    for (let j = deg - k; j < deg; j++) {
      const t = rng.int(j + 1);
      let seen = false;
      for (let q = 0; q < c; q++) if (this.pick[q] === t) seen = true;
      this.pick[c++] = seen ? j : t;
    }
    for (let q = 0; q < c; q++) out.push(this.add(g.targets[start + this.pick[q]]));
  }
}
