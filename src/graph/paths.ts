/**
 * Length-3 path features of (u, v) pairs, beyond the common-neighbour heuristics: how many paths
 * u–a–b–v there are (`p3`, an entry of A³: the second term of truncated Katz, Σ βˡ Aˡ) and the same paths
 * weighted by the inverse degrees of their inner nodes (`ra3` = Σ 1/(d_a · d_b): a three-step random walk
 * from u, i.e. resource allocation over three hops, up to the constant 1/d_u). Exact; the cost for one user
 * is the 2-paths from u (Σ_{a ∈ N(u)} d_a) plus the candidates' degrees.
 */
import type { Graph } from './csr.js';

export const PATH_FEATURES = ['p3', 'ra3'] as const;
export type PathFeature = (typeof PATH_FEATURES)[number];

/** Scratch over one graph: dense 2-path counts and weights from the current user. Not shared between threads. */
export class PathCounter {
  private readonly w2: Float64Array;
  private readonly r2: Float64Array;
  private readonly touched: Int32Array;
  private size = 0;

  constructor(private readonly g: Graph) {
    this.w2 = new Float64Array(g.n);
    this.r2 = new Float64Array(g.n);
    this.touched = new Int32Array(g.n);
  }

  /** Writes p3 and ra3 of (u, cand[i]) for i in lo..hi-1 into out.p3[i] / out.ra3[i]. */
  fill(u: number, cand: ArrayLike<number>, lo: number, hi: number, out: Record<PathFeature, Float32Array>): void {
    if (lo >= hi) return;
    const { offsets, targets } = this.g;
    const { w2, r2, touched } = this;
    this.size = 0;
    for (let i = offsets[u]; i < offsets[u + 1]; i++) {
      const a = targets[i];
      const da = offsets[a + 1] - offsets[a];
      const inv = 1 / da;
      for (let j = offsets[a]; j < offsets[a + 1]; j++) {
        const b = targets[j];
        if (w2[b] === 0) touched[this.size++] = b;
        w2[b] += 1;
        r2[b] += inv;
      }
    }
    for (let p = lo; p < hi; p++) {
      const v = cand[p];
      let paths = 0;
      let walk = 0;
      for (let j = offsets[v]; j < offsets[v + 1]; j++) {
        const b = targets[j];
        if (w2[b] === 0) continue;
        paths += w2[b];
        walk += r2[b] / (offsets[b + 1] - offsets[b]);
      }
      out.p3[p] = paths;
      out.ra3[p] = walk;
    }
    for (let k = 0; k < this.size; k++) {
      w2[touched[k]] = 0;
      r2[touched[k]] = 0;
    }
  }
}

/** p3 and ra3 of every candidate row: user users[i] owns rows offsets[i] .. offsets[i+1]-1. */
export function pathFeatureColumns(g: Graph, users: ArrayLike<number>, offsets: Int32Array, cand: Int32Array, counter = new PathCounter(g)): Record<PathFeature, Float32Array> {
  const out = { p3: new Float32Array(cand.length), ra3: new Float32Array(cand.length) };
  for (let i = 0; i < users.length; i++) counter.fill(users[i], cand, offsets[i], offsets[i + 1], out);
  return out;
}
