/**
 * Path and local-community features of (u, v) pairs, beyond the common-neighbour heuristics. Exact; every
 * count is over walks (a node may repeat), from the graph alone.
 *
 * - `p3`: walks u–a–b–v (an entry of A³, the second term of truncated Katz Σ βˡ Aˡ);
 * - `ra3`: the same walks weighted by 1/(d_a · d_b) (a three-step random walk from u, up to 1/d_u);
 * - `p4`, `ra4`: four-step walks u–a–b–c–v, counted and weighted by 1/(d_a · d_b · d_c);
 * - over the common neighbours z of u and v, with i_z = z's links to other common neighbours and
 *   e_z = d_z − i_z − 2 its links outside them and the pair (Cannistraci-Hebb local-community rules,
 *   Muscoloni et al. 2020): `ch2` = Σ (1 + i_z)/(1 + e_z) (CH2-L2), `cn_links` = Σ i_z / 2 (the links among the
 *   common neighbours) and `ra_ch` = Σ (1 + i_z)/d_z.
 *
 * The cost for one user is its 3-step reach (Σ of the degrees of the nodes two steps away), plus per
 * candidate its degree and, per common neighbour, that neighbour's links among the user's friends.
 * bench/results/rank-lab.md measured what each adds to the ranker.
 */
import type { Graph } from './csr.js';

export const PATH_FEATURES = ['p3', 'ra3', 'p4', 'ra4', 'ch2', 'cn_links', 'ra_ch'] as const;
export type PathFeature = (typeof PATH_FEATURES)[number];

/** Empty output columns for `rows` candidate rows. */
export function emptyPathColumns(rows: number): Record<PathFeature, Float32Array> {
  return Object.fromEntries(PATH_FEATURES.map((f) => [f, new Float32Array(rows)])) as Record<PathFeature, Float32Array>;
}

/** Scratch over one graph: dense walk counts and weights from the current user. Not shared between threads. */
export class PathCounter {
  /** 2-step walk counts and Σ 1/d_a weights to each node; 3-step counts and Σ 1/(d_a d_b) weights. */
  private readonly w2: Float64Array;
  private readonly r2: Float64Array;
  private readonly w3: Float64Array;
  private readonly r3: Float64Array;
  private readonly reach2: Int32Array;
  private readonly reach3: Int32Array;
  /** 1 for the user's friends; 1 for the current candidate's neighbours. */
  private readonly friend: Uint8Array;
  private readonly candNbr: Uint8Array;
  /** Per friend (by position in the user's row): its friends among the user's friends, as a CSR. */
  private triOffsets = new Int32Array(1);
  private triTargets = new Int32Array(0);
  /** A friend's position in the user's row (valid where `friend` is set). */
  private readonly friendAt: Int32Array;

  constructor(private readonly g: Graph) {
    this.w2 = new Float64Array(g.n);
    this.r2 = new Float64Array(g.n);
    this.w3 = new Float64Array(g.n);
    this.r3 = new Float64Array(g.n);
    this.reach2 = new Int32Array(g.n);
    this.reach3 = new Int32Array(g.n);
    this.friend = new Uint8Array(g.n);
    this.candNbr = new Uint8Array(g.n);
    this.friendAt = new Int32Array(g.n);
  }

  /** Writes every PATH_FEATURES column of (u, cand[i]) for i in lo..hi-1 into out[f][i]. */
  fill(u: number, cand: ArrayLike<number>, lo: number, hi: number, out: Record<PathFeature, Float32Array>): void {
    if (lo >= hi) return;
    const { offsets, targets } = this.g;
    const { w2, r2, w3, r3, reach2, reach3, friend, candNbr, friendAt } = this;
    const deg = (x: number): number => offsets[x + 1] - offsets[x];
    const u0 = offsets[u];
    const du = deg(u);
    for (let i = u0; i < offsets[u + 1]; i++) {
      friend[targets[i]] = 1;
      friendAt[targets[i]] = i - u0;
    }
    // Two steps: u–a–b; and each friend's friends among the user's friends (the triangles at u).
    let n2 = 0;
    if (this.triOffsets.length < du + 1) this.triOffsets = new Int32Array(du + 1);
    let nt = 0;
    for (let i = u0; i < offsets[u + 1]; i++) {
      const a = targets[i];
      const inv = 1 / deg(a);
      this.triOffsets[i - u0] = nt;
      for (let j = offsets[a]; j < offsets[a + 1]; j++) {
        const b = targets[j];
        if (w2[b] === 0) reach2[n2++] = b;
        w2[b] += 1;
        r2[b] += inv;
        if (friend[b]) {
          if (nt === this.triTargets.length) this.growTriangles();
          this.triTargets[nt++] = b;
        }
      }
    }
    this.triOffsets[du] = nt;
    // Three steps: u–a–b–c.
    let n3 = 0;
    for (let k = 0; k < n2; k++) {
      const b = reach2[k];
      const cb = w2[b];
      const rb = r2[b] / deg(b);
      for (let j = offsets[b]; j < offsets[b + 1]; j++) {
        const c = targets[j];
        if (w3[c] === 0) reach3[n3++] = c;
        w3[c] += cb;
        r3[c] += rb;
      }
    }
    const { triOffsets, triTargets } = this;
    const cn: number[] = [];
    for (let p = lo; p < hi; p++) {
      const v = cand[p];
      let p3 = 0;
      let ra3 = 0;
      let p4 = 0;
      let ra4 = 0;
      cn.length = 0;
      for (let j = offsets[v]; j < offsets[v + 1]; j++) {
        const c = targets[j];
        candNbr[c] = 1;
        if (friend[c]) cn.push(c);
        // A node reached by a walk has degree ≥ 1 in a whole graph; in a partial one (the refresher's, when a
        // row changed between its reads) it may not: its terms are left out rather than made infinite.
        const dc = deg(c);
        if (dc === 0) continue;
        if (w3[c] !== 0) {
          p4 += w3[c];
          ra4 += r3[c] / dc;
        }
        if (w2[c] === 0) continue;
        p3 += w2[c];
        ra3 += r2[c] / dc;
      }
      let ch2 = 0;
      let links = 0;
      let rach = 0;
      for (const z of cn) {
        // z's links to other common neighbours: its friends among u's friends that are v's neighbours too.
        let iz = 0;
        const at = friendAt[z];
        for (let q = triOffsets[at]; q < triOffsets[at + 1]; q++) iz += candNbr[triTargets[q]];
        const dz = deg(z);
        if (dz === 0) continue; // as above: only in a partial graph
        ch2 += (1 + iz) / (1 + Math.max(0, dz - iz - 2));
        links += iz;
        rach += (1 + iz) / dz;
      }
      for (let j = offsets[v]; j < offsets[v + 1]; j++) candNbr[targets[j]] = 0;
      out.p3[p] = p3;
      out.ra3[p] = ra3;
      out.p4[p] = p4;
      out.ra4[p] = ra4;
      out.ch2[p] = ch2;
      out.cn_links[p] = links / 2;
      out.ra_ch[p] = rach;
    }
    for (let k = 0; k < n2; k++) {
      w2[reach2[k]] = 0;
      r2[reach2[k]] = 0;
    }
    for (let k = 0; k < n3; k++) {
      w3[reach3[k]] = 0;
      r3[reach3[k]] = 0;
    }
    for (let i = u0; i < offsets[u + 1]; i++) friend[targets[i]] = 0;
  }

  /** Doubles the triangle list's capacity, keeping what it holds. */
  private growTriangles(): void {
    const next = new Int32Array(Math.max(64, this.triTargets.length * 2));
    next.set(this.triTargets);
    this.triTargets = next;
  }
}

/** The columns computed over the common neighbours alone: 0 for a pair that has none. */
export const COMMON_NEIGHBOUR_FEATURES: readonly PathFeature[] = ['ch2', 'cn_links', 'ra_ch'];

/** Every PATH_FEATURES column of every candidate row: user users[i] owns rows offsets[i] .. offsets[i+1]-1. */
export function pathFeatureColumns(g: Graph, users: ArrayLike<number>, offsets: Int32Array, cand: Int32Array, counter = new PathCounter(g)): Record<PathFeature, Float32Array> {
  const out = emptyPathColumns(cand.length);
  for (let i = 0; i < users.length; i++) counter.fill(users[i], cand, offsets[i], offsets[i + 1], out);
  return out;
}
