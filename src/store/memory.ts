/** The embedded default store: serves a Snapshot held in this process. */
import type { ProfileField } from '../core/tables.js';
import { PAIR_FEATURES, row, type PairFeature, type RankedLists, type Snapshot } from './snapshot.js';
import type { CandidateSource, OnlineStore, RankingInputs, UserColumns } from './types.js';

export class MemoryStore implements OnlineStore {
  readonly url: string;
  constructor(
    private snap: Snapshot,
    url = 'memory://',
    /** Computes candidates for a user with no stored list (e.g. live 2-hop); null = none. */
    private readonly live: LiveCandidates | null = null,
  ) {
    this.url = url;
  }

  version(): string {
    return this.snap.version;
  }

  /** Swaps in a new snapshot; requests in flight keep the one they started with. */
  swap(snap: Snapshot): void {
    this.snap = snap;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  async resolveUser(externalId: string): Promise<number | null> {
    const uid = this.snap.ids.lookup(externalId);
    return uid < 0 ? null : uid;
  }

  async externalIds(uids: ArrayLike<number>): Promise<string[]> {
    const out: string[] = new Array(uids.length);
    for (let i = 0; i < uids.length; i++) out[i] = this.snap.ids.value(uids[i]);
    return out;
  }

  async fetchRankingInputs(uid: number): Promise<RankingInputs> {
    const s = this.snap;
    const c = s.candidates;
    let source: CandidateSource = 'stored';
    let ids: Int32Array;
    let score: Float32Array;
    let features = {} as Record<PairFeature, Float32Array>;
    const lo = uid + 1 < c.offsets.length ? c.offsets[uid] : 0;
    const hi = uid + 1 < c.offsets.length ? c.offsets[uid + 1] : 0;
    if (hi > lo) {
      ids = c.cand.subarray(lo, hi);
      score = c.score.subarray(lo, hi);
      for (const f of PAIR_FEATURES) features[f] = c.features[f].subarray(lo, hi);
    } else {
      const got = this.live?.(s, uid) ?? null;
      source = got && got.ids.length > 0 ? 'live-2hop' : 'none';
      ids = got?.ids ?? new Int32Array(0);
      score = got?.score ?? new Float32Array(0);
      features = got?.features ?? emptyFeatures();
    }
    return {
      uid,
      user: this.columns([uid]),
      connections: s.graph.neighbors(uid),
      blocked: row(s.blocked, uid),
      dismissed: row(s.dismissed, uid),
      source,
      candidates: { ids, score, features, users: this.columns(ids) },
    };
  }

  async neighbors(uids: ArrayLike<number>): Promise<Int32Array[]> {
    const out: Int32Array[] = new Array(uids.length);
    for (let i = 0; i < uids.length; i++) out[i] = this.snap.graph.neighbors(uids[i]);
    return out;
  }

  fieldValue(field: ProfileField, code: number): string | null {
    return code < 0 ? null : this.snap.profiles.dicts[field].value(code);
  }

  async staticList(uid: number): Promise<Pick<RankedLists, 'cand' | 'score'> | null> {
    const l = this.snap.lists;
    if (!l || uid + 1 >= l.offsets.length || l.offsets[uid + 1] === l.offsets[uid]) return null;
    return { cand: row({ offsets: l.offsets, targets: l.cand }, uid), score: l.score.subarray(l.offsets[uid], l.offsets[uid + 1]) };
  }

  async close(): Promise<void> {}

  private columns(ids: ArrayLike<number>): UserColumns {
    const p = this.snap.profiles;
    const g = this.snap.graph;
    const n = ids.length;
    const out: UserColumns = {
      company: new Int32Array(n),
      school: new Int32Array(n),
      location: new Int32Array(n),
      industry: new Int32Array(n),
      seniority: new Int8Array(n),
      flags: new Uint8Array(n),
      degree: new Int32Array(n),
    };
    for (let i = 0; i < n; i++) {
      const u = ids[i];
      const has = u < p.n;
      out.company[i] = has ? p.codes.company[u] : -1;
      out.school[i] = has ? p.codes.school[u] : -1;
      out.location[i] = has ? p.codes.location[u] : -1;
      out.industry[i] = has ? p.codes.industry[u] : -1;
      out.seniority[i] = has ? p.seniority[u] : -1;
      out.flags[i] = has ? p.flags[u] : 0;
      out.degree[i] = g.degree(u);
    }
    return out;
  }
}

export type LiveCandidates = (
  snap: Snapshot,
  uid: number,
) => { ids: Int32Array; score: Float32Array; features: Record<PairFeature, Float32Array> } | null;

function emptyFeatures(): Record<PairFeature, Float32Array> {
  const f = {} as Record<PairFeature, Float32Array>;
  for (const k of PAIR_FEATURES) f[k] = new Float32Array(0);
  return f;
}
