/**
 * Profile cold start: candidates for a user the other sources found nobody for — no stored list, no live
 * 2-hop, no ANN neighbours (a user created online whose bundle has no profile tower, a server without an
 * ANN index, or ANN turned off). They are the most connected users of the bundle who share the user's
 * company, school, location or industry, scored by what they share (weights below) with a small degree
 * term that breaks ties towards better-connected users. The reasons (shared company, school, location) come
 * from the profiles as for any other source; the ranking model does not score them (its features are graph
 * features, all zero here).
 *
 * Built once per bundle from its snapshot: for every field value, the `perValue` users with it of highest
 * degree (a counting sort by degree, O(users)); a lookup touches at most 4 × perValue users.
 */
import { PROFILE_FIELDS, type ProfileField } from '../core/tables.js';
import type { Graph } from '../graph/csr.js';
import { completePairFeatures } from '../store/snapshot.js';
import type { OnlineStore, RankingInputs } from '../store/types.js';

/** What sharing each field is worth (a shared company says most about knowing someone; industry least). */
export const COLD_START_WEIGHTS: Readonly<Record<ProfileField, number>> = Object.freeze({ company: 1, school: 0.8, location: 0.4, industry: 0.2 });
/** Users kept per field value. */
export const COLD_START_PER_VALUE = 50;

/** What the index is built from: a snapshot's profile codes and graph. */
export interface ColdStartSource {
  profiles: { n: number; codes: Record<ProfileField, Int32Array> };
  graph: Pick<Graph, 'n' | 'degree'>;
}

export class ColdStart {
  private constructor(
    /** Per field: code → users with that value, highest degree first. */
    private readonly byValue: Record<ProfileField, Map<number, Int32Array>>,
    private readonly degree: (u: number) => number,
    private readonly maxDegree: number,
    /** Candidates kept per answer. */
    private readonly k: number,
  ) {}

  /** The index of a bundle's users (those with at least one connection; others are not offered). */
  static build(src: ColdStartSource, k: number, perValue = COLD_START_PER_VALUE): ColdStart {
    const n = Math.min(src.profiles.n, src.graph.n);
    const deg = (u: number): number => (u < src.graph.n ? src.graph.degree(u) : 0);
    let maxDegree = 0;
    for (let u = 0; u < n; u++) maxDegree = Math.max(maxDegree, deg(u));
    // Users by degree, highest first (counting sort), skipping the unconnected.
    const count = new Int32Array(maxDegree + 2);
    for (let u = 0; u < n; u++) count[maxDegree - deg(u)]++;
    for (let d = 1; d < count.length; d++) count[d] += count[d - 1];
    const order = new Int32Array(n);
    for (let u = n - 1; u >= 0; u--) order[--count[maxDegree - deg(u)]] = u;
    const byValue = {} as Record<ProfileField, Map<number, Int32Array>>;
    for (const f of PROFILE_FIELDS) {
      const codes = src.profiles.codes[f];
      const lists = new Map<number, number[]>();
      for (const u of order) {
        const c = codes[u];
        if (c < 0 || deg(u) === 0) continue;
        let l = lists.get(c);
        if (!l) lists.set(c, (l = []));
        if (l.length < perValue) l.push(u);
      }
      byValue[f] = new Map([...lists].map(([c, l]) => [c, Int32Array.from(l)]));
    }
    return new ColdStart(byValue, deg, maxDegree, k);
  }

  /** The inputs with profile candidates (source 'profile'), or unchanged when the user's profile matches nobody. */
  async fill(store: OnlineStore, inputs: RankingInputs): Promise<RankingInputs> {
    const score = new Map<number, number>();
    for (const f of PROFILE_FIELDS) {
      const code = inputs.user[f][0];
      const users = code >= 0 ? this.byValue[f].get(code) : undefined;
      if (users) for (const v of users) score.set(v, (score.get(v) ?? 0) + COLD_START_WEIGHTS[f]);
    }
    score.delete(inputs.uid);
    if (score.size === 0) return inputs;
    const norm = Math.log1p(Math.max(1, this.maxDegree));
    // The degree term stays below the smallest weight difference (0.2), so it only orders equal sharers.
    const scored = [...score].map(([v, s]) => [v, s + (0.1 * Math.log1p(this.degree(v))) / norm] as const);
    scored.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const top = scored.slice(0, this.k);
    const ids = Int32Array.from(top, (t) => t[0]);
    return {
      ...inputs,
      source: 'profile',
      candidates: { ids, score: Float32Array.from(top, (t) => t[1]), features: completePairFeatures({}, ids.length), users: await store.profiles(ids) },
    };
  }
}
