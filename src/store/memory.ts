/**
 * The embedded default store: serves a Snapshot held in this process. TTLs (when given) are checked on
 * read against the time the snapshot was loaded, with the same per-kind rules as Redis (ttl.ts); the
 * StoreWriter writes go to a small per-user overlay, so the snapshot itself is never modified.
 */
import { PymkError } from '../core/errors.js';
import { lowerBound } from '../core/sorted.js';
import type { ProfileField } from '../core/tables.js';
import { profileColumns, type ProfileRow } from './codec.js';
import { applyProfileChanges, newUserRow } from './newUser.js';
import { completePairFeatures, EMPTY, PAIR_FEATURES, row, type PairFeature, type RankedLists, type Snapshot } from './snapshot.js';
import { BEHAVIOUR_FEATURES, valueTtls, type TtlConfig, type ValueTtls } from './ttl.js';
import type { CandidateSource, CreatedUser, NewUserProfile, OnlineStore, RankingInputs, SetCandidatesResult, StoredCandidates, UserColumns } from './types.js';

export type LiveCandidates = (
  snap: Snapshot,
  uid: number,
) => { ids: Int32Array; score: Float32Array; features: Record<PairFeature, Float32Array> } | null;

export interface MemoryStoreOptions {
  url?: string;
  /** Computes candidates for a user with no stored (or an expired) list, e.g. live 2-hop; null = none. */
  live?: LiveCandidates | null;
  /** Per-kind TTLs, checked on read from the time the snapshot was loaded; null (default) = never expire. */
  ttl?: TtlConfig | null;
  /** Milliseconds clock (tests). */
  clock?: () => number;
}

type RowKind = 'connections' | 'blocked' | 'dismissed';
type Deadlines = Record<keyof ValueTtls, number>;
interface Overlay {
  rows: Partial<Record<RowKind, { ids: Int32Array; expires: number }>>;
  cand?: { ids: Int32Array; score: Float32Array; features: Record<PairFeature, Float32Array>; expires: number };
}

export class MemoryStore implements OnlineStore {
  readonly url: string;
  private readonly live: LiveCandidates | null;
  private readonly ttls: ValueTtls | null;
  private readonly clock: () => number;
  private deadlines!: Deadlines;
  private overlay = new Map<number, Overlay>();
  /** Flag bits set by addFlags, ORed onto the snapshot's profile flags. */
  private flags = new Map<number, number>();
  /** Profile fields changed by updateProfile (bundle users), over the snapshot's. */
  private profileEdits = new Map<number, Partial<Record<ProfileField | 'seniority', number>>>();
  /** Users created online (createUser): user snap.ids.size + i is created[i]. */
  private created: { ext: string; row: ProfileRow; embedding: Float32Array | null }[] = [];
  private createdIds = new Map<string, number>();

  constructor(
    private snap: Snapshot,
    opts: MemoryStoreOptions = {},
  ) {
    this.url = opts.url ?? 'memory://';
    this.live = opts.live ?? null;
    this.ttls = opts.ttl ? valueTtls(opts.ttl) : null;
    this.clock = opts.clock ?? Date.now;
    this.loaded();
  }

  version(): string {
    return this.snap.version;
  }

  /** Swaps in a new snapshot (TTLs restart, StoreWriter writes are dropped); requests in flight keep the old one. */
  swap(snap: Snapshot): void {
    this.snap = snap;
    this.overlay = new Map();
    this.flags = new Map();
    this.profileEdits = new Map();
    this.created = [];
    this.createdIds = new Map();
    this.loaded();
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  async resolveUser(externalId: string): Promise<number | null> {
    if (!this.alive('meta')) {
      throw new PymkError('PYMK_STORE_UNAVAILABLE', `${this.url}: version ${this.snap.version} has expired; load a bundle`);
    }
    if (!this.alive('ids')) return null;
    const uid = this.snap.ids.lookup(externalId);
    return uid >= 0 ? uid : (this.createdIds.get(externalId) ?? null);
  }

  async externalIds(uids: ArrayLike<number>): Promise<string[]> {
    const ids = this.snap.ids;
    const ok = this.alive('ids');
    const out: string[] = new Array(uids.length);
    for (let i = 0; i < uids.length; i++) {
      const u = uids[i];
      const ext = u < ids.size ? ids.value(u) : this.created[u - ids.size]?.ext;
      if (!ok || u < 0 || ext === undefined) throw new PymkError('PYMK_STORE_UNAVAILABLE', `no external id for user ${u} (expired or not published)`);
      out[i] = ext;
    }
    return out;
  }

  async fetchRankingInputs(uid: number): Promise<RankingInputs> {
    const s = this.snap;
    let source: CandidateSource = 'stored';
    let list: { ids: Int32Array; score: Float32Array; features: Record<PairFeature, Float32Array> } | null = this.storedCandidates(uid);
    if (list && !this.alive('behaviour')) {
      // Behavioural features expire on their own clock (ttl.ts): read back as 0, like an expired Redis value.
      const features = { ...list.features };
      for (const f of BEHAVIOUR_FEATURES) features[f] = new Float32Array(list.ids.length);
      list = { ...list, features };
    }
    if (!list) {
      const got = this.live?.(s, uid) ?? null;
      source = got && got.ids.length > 0 ? 'live-2hop' : 'none';
      list = got ?? { ids: new Int32Array(0), score: new Float32Array(0), features: completePairFeatures({}, 0) };
    }
    return {
      uid,
      user: this.columns([uid]),
      connections: this.row(uid, 'connections'),
      blocked: this.row(uid, 'blocked'),
      dismissed: this.row(uid, 'dismissed'),
      source,
      candidates: { ids: list.ids, score: list.score, features: list.features, users: this.columns(list.ids) },
    };
  }

  async profiles(uids: ArrayLike<number>): Promise<UserColumns> {
    return this.columns(uids);
  }

  async neighbors(uids: ArrayLike<number>): Promise<Int32Array[]> {
    const out: Int32Array[] = new Array(uids.length);
    for (let i = 0; i < uids.length; i++) out[i] = this.row(uids[i], 'connections');
    return out;
  }

  fieldValue(field: ProfileField, code: number): string | null {
    return code < 0 ? null : this.snap.profiles.dicts[field].value(code);
  }

  async embeddings(uids: ArrayLike<number>): Promise<(Float32Array | null)[]> {
    const e = this.snap.embeddings;
    const out: (Float32Array | null)[] = new Array(uids.length).fill(null);
    if (!this.alive('embedding')) return out;
    const n = e ? e.vectors.length / e.dim : 0;
    const first = this.snap.ids.size;
    for (let i = 0; i < uids.length; i++) {
      const u = uids[i];
      if (e && u >= 0 && u < n) out[i] = e.vectors.subarray(u * e.dim, (u + 1) * e.dim);
      else if (u >= first) out[i] = this.created[u - first]?.embedding ?? null;
    }
    return out;
  }

  async staticList(uid: number): Promise<Pick<RankedLists, 'cand' | 'score'> | null> {
    const l = this.snap.lists;
    if (!l || !this.alive('static') || uid < 0 || uid + 1 >= l.offsets.length || l.offsets[uid + 1] === l.offsets[uid]) return null;
    return { cand: row({ offsets: l.offsets, targets: l.cand }, uid), score: l.score.subarray(l.offsets[uid], l.offsets[uid + 1]) };
  }

  async removeCandidate(uid: number, cand: number): Promise<number> {
    return this.dropCandidate(uid, cand);
  }

  async setCandidates(uid: number, version: string, list: StoredCandidates, basis: Int32Array): Promise<SetCandidatesResult> {
    if (version !== this.snap.version) return 'outdated';
    const now = this.row(uid, 'connections');
    if (now.length !== basis.length || now.some((x, i) => x !== basis[i])) return 'changed';
    const features = {} as Record<PairFeature, Float32Array>;
    for (const f of PAIR_FEATURES) features[f] = Float32Array.from(list.features[f] ?? new Float32Array(list.ids.length));
    const expires = this.ttls && this.ttls.candidates > 0 ? this.clock() + this.ttls.candidates : Infinity;
    this.userOverlay(uid).cand = { ids: Int32Array.from(list.ids), score: Float32Array.from(list.score), features, expires };
    return 'written';
  }

  async addConnection(a: number, b: number): Promise<void> {
    this.addExclusion(a, 'connections', b);
    this.addExclusion(b, 'connections', a);
  }

  async removeConnection(a: number, b: number): Promise<void> {
    this.removeExclusion(a, 'connections', b);
    this.removeExclusion(b, 'connections', a);
  }

  async addBlock(a: number, b: number): Promise<void> {
    this.addExclusion(a, 'blocked', b);
    this.addExclusion(b, 'blocked', a);
  }

  async removeBlock(a: number, b: number): Promise<void> {
    this.removeExclusion(a, 'blocked', b);
    this.removeExclusion(b, 'blocked', a);
  }

  async addDismissal(actor: number, target: number): Promise<void> {
    this.addExclusion(actor, 'dismissed', target);
  }

  async updateProfile(uid: number, changes: NewUserProfile, embedding: Float32Array | null): Promise<void> {
    const first = this.snap.ids.size;
    const made = uid >= first ? this.created[uid - first] : undefined;
    const code = (f: ProfileField, v: string): number => this.snap.profiles.dicts[f].lookup(v);
    if (made) {
      const row = made.row;
      applyProfileChanges((f, c) => (row[f] = c), changes, code);
      if (embedding) made.embedding = embedding.slice();
      return;
    }
    if (uid < 0 || uid >= this.snap.profiles.n) return; // no profile row (Redis: the value is absent)
    const edit = this.profileEdits.get(uid) ?? {};
    applyProfileChanges((f, c) => (edit[f] = c), changes, code);
    this.profileEdits.set(uid, edit);
    // The bundle's embedding stays: it is the GNN's, which a profile change does not make stale at once.
  }

  async addFlags(uid: number, flags: number): Promise<void> {
    const made = uid >= this.snap.ids.size ? this.created[uid - this.snap.ids.size] : undefined;
    if (made) made.row.flags |= flags;
    else if (uid >= 0 && uid < this.snap.profiles.n) this.flags.set(uid, (this.flags.get(uid) ?? 0) | flags);
    // else no profile row: nothing to flag (Redis: the value is absent)
  }

  async createUser(externalId: string, profile: NewUserProfile, embedding: Float32Array | null): Promise<CreatedUser> {
    const first = this.snap.ids.size;
    const known = this.snap.ids.lookup(externalId);
    if (known >= 0) return { uid: known, status: 'in bundle' };
    const row = newUserRow(profile, (f, v) => this.snap.profiles.dicts[f].lookup(v));
    const dim = this.snap.embeddings?.dim;
    if (embedding && dim !== undefined && embedding.length !== dim) {
      throw new PymkError('PYMK_BAD_PARAM', `embedding of ${embedding.length} dimensions for user '${externalId}'; version ${this.snap.version} stores ${dim}`);
    }
    const user = { ext: externalId, row, embedding: embedding ? embedding.slice() : null };
    const had = this.createdIds.get(externalId);
    if (had !== undefined) {
      this.created[had - first] = { ...user, row: { ...row, flags: this.created[had - first].row.flags } };
      return { uid: had, status: 'again' };
    }
    this.created.push(user);
    this.createdIds.set(externalId, first + this.created.length - 1);
    return { uid: first + this.created.length - 1, status: 'created' };
  }

  async createdRange(): Promise<[number, number]> {
    const first = this.snap.ids.size;
    return [first, first + this.created.length];
  }

  async close(): Promise<void> {}

  // ---- internals ----------------------------------------------------------------------------------------

  private loaded(): void {
    const now = this.clock();
    const at = (ms: number): number => (ms > 0 ? now + ms : Infinity);
    const t = this.ttls;
    this.deadlines = {
      candidates: t ? at(t.candidates) : Infinity,
      behaviour: t ? at(t.behaviour) : Infinity,
      profile: t ? at(t.profile) : Infinity,
      embedding: t ? at(t.embedding) : Infinity,
      graph: t ? at(t.graph) : Infinity,
      ids: t ? at(t.ids) : Infinity,
      static: t ? at(t.static) : Infinity,
      meta: t ? at(t.meta) : Infinity,
    };
  }

  private alive(kind: keyof ValueTtls): boolean {
    return this.deadlines[kind] > this.clock();
  }

  private userOverlay(uid: number): Overlay {
    let o = this.overlay.get(uid);
    if (!o) this.overlay.set(uid, (o = { rows: {} }));
    return o;
  }

  /** The user's stored list (after StoreWriter writes) with its deadline, or null when absent or expired. */
  private storedCandidates(uid: number): (NonNullable<Overlay['cand']>) | null {
    const o = this.overlay.get(uid)?.cand;
    // An emptied list reads as none, as on Redis: the user falls to live 2-hop, ANN or cold start.
    if (o) return o.expires > this.clock() && o.ids.length > 0 ? o : null;
    const c = this.snap.candidates;
    if (!this.alive('candidates') || uid < 0 || uid + 1 >= c.offsets.length) return null;
    const lo = c.offsets[uid];
    const hi = c.offsets[uid + 1];
    if (hi === lo) return null;
    const features = {} as Record<PairFeature, Float32Array>;
    for (const f of PAIR_FEATURES) features[f] = c.features[f].subarray(lo, hi);
    return { ids: c.cand.subarray(lo, hi), score: c.score.subarray(lo, hi), features, expires: this.deadlines.candidates };
  }

  private row(uid: number, kind: RowKind): Int32Array {
    const o = this.overlay.get(uid)?.rows[kind];
    if (o) return o.expires > this.clock() ? o.ids : EMPTY;
    if (!this.alive('graph') || uid < 0) return EMPTY;
    const s = this.snap;
    if (kind === 'connections') return uid < s.graph.n ? s.graph.neighbors(uid) : EMPTY;
    return row(kind === 'blocked' ? s.blocked : s.dismissed, uid);
  }

  /** Inserts `other` into a row (sorted) and drops it from the candidate list, like edit_exclusions.lua. */
  private addExclusion(uid: number, kind: RowKind, other: number): void {
    const cur = this.row(uid, kind);
    // A row that exists keeps its deadline; one created now gets a fresh TTL (Redis: KEEPTTL vs PX).
    const expires = cur.length > 0 ? (this.overlay.get(uid)?.rows[kind]?.expires ?? this.deadlines.graph) : this.ttls && this.ttls.graph > 0 ? this.clock() + this.ttls.graph : Infinity;
    const lo = lowerBound(cur, other);
    if (lo >= cur.length || cur[lo] !== other) {
      const ids = new Int32Array(cur.length + 1);
      ids.set(cur.subarray(0, lo));
      ids[lo] = other;
      ids.set(cur.subarray(lo), lo + 1);
      this.userOverlay(uid).rows[kind] = { ids, expires };
    }
    this.dropCandidate(uid, other);
  }

  /** Deletes `other` from a row (like edit_exclusions.lua 'del'); the candidate list is left as it is. */
  private removeExclusion(uid: number, kind: RowKind, other: number): void {
    const cur = this.row(uid, kind);
    const at = cur.indexOf(other);
    if (at < 0) return;
    const expires = this.overlay.get(uid)?.rows[kind]?.expires ?? this.deadlines.graph;
    const ids = new Int32Array(cur.length - 1);
    ids.set(cur.subarray(0, at));
    ids.set(cur.subarray(at + 1), at);
    this.userOverlay(uid).rows[kind] = { ids, expires };
  }

  /** Removes every row of `cand` from the user's stored list (like remove_candidate.lua); returns the count. */
  private dropCandidate(uid: number, cand: number): number {
    const list = this.storedCandidates(uid);
    if (!list) return 0;
    const keep = list.ids.map((id) => (id === cand ? 0 : 1));
    const removed = list.ids.length - keep.reduce((a, b) => a + b, 0);
    if (removed === 0) return 0;
    const pick = <T extends Int32Array | Float32Array>(a: T): T => a.filter((_, i) => keep[i] === 1) as T;
    const features = {} as Record<PairFeature, Float32Array>;
    for (const f of PAIR_FEATURES) features[f] = pick(list.features[f]);
    this.userOverlay(uid).cand = { ids: pick(list.ids), score: pick(list.score), features, expires: list.expires };
    return removed;
  }

  private columns(ids: ArrayLike<number>): UserColumns {
    const p = this.snap.profiles;
    const g = this.snap.graph;
    const ok = this.alive('profile');
    const n = ids.length;
    const out = profileColumns(n);
    for (let i = 0; i < n; i++) {
      const u = ids[i];
      const made = u >= this.snap.ids.size ? this.created[u - this.snap.ids.size] : undefined;
      if (made) {
        this.createdColumns(out, i, made.row, ok);
        continue;
      }
      const has = ok && u >= 0 && u < p.n;
      const e = has ? this.profileEdits.get(u) : undefined;
      out.company[i] = has ? (e?.company ?? p.codes.company[u]) : -1;
      out.school[i] = has ? (e?.school ?? p.codes.school[u]) : -1;
      out.location[i] = has ? (e?.location ?? p.codes.location[u]) : -1;
      out.industry[i] = has ? (e?.industry ?? p.codes.industry[u]) : -1;
      out.seniority[i] = has ? (e?.seniority ?? p.seniority[u]) : -1;
      out.flags[i] = has ? p.flags[u] | (this.flags.get(u) ?? 0) : 0;
      out.degree[i] = has && u < g.n ? g.degree(u) : -1;
    }
    return out;
  }

  /** Row i of `out` from a user created online (missing when profiles expired, like the snapshot's). */
  private createdColumns(out: UserColumns, i: number, r: ProfileRow, alive: boolean): void {
    out.company[i] = alive ? r.company : -1;
    out.school[i] = alive ? r.school : -1;
    out.location[i] = alive ? r.location : -1;
    out.industry[i] = alive ? r.industry : -1;
    out.seniority[i] = alive ? r.seniority : -1;
    out.flags[i] = alive ? r.flags : 0;
    out.degree[i] = alive ? r.degree : -1;
  }
}
