/**
 * The online store over Redis (one node or a cluster, through the KvClient seam). It serves the
 * generation the pointer key names; it re-reads the pointer every `refreshMs` and each request uses the
 * generation it started with, so a request never mixes two versions (publish.ts keeps an old generation
 * readable for a grace period after switching).
 *
 * fetchRankingInputs is one round: one MGET of the user's own rows, which share the user's slot (candidate
 * list with pair features, behavioural features, the profile pack of the user and its candidates,
 * connections, blocks, dismissals); see docs/store.md for the measurements.
 */
import { PymkError } from '../core/errors.js';
import { FailureTracker, type FailureReport, type FailureStats } from '../core/failures.js';
import type { ProfileField } from '../core/tables.js';
import { CODECS, decodeCandidates, decodeIds, decodeProfileInto, decodeRanked, encodeBehaviour, encodeCandidates, encodeIds, encodeProfile, mergeBehaviour, profileColumns } from './codec.js';
import { decodeProfilePack, editPackUserRow, encodePackColumns, encodeSoloPack } from './codecProfiles.js';
import { decodeEmbedding, encodeEmbedding } from './codecEmbedding.js';
import { applyProfileChanges, newUserRow } from './newUser.js';
import type { GenKeys, KeySpace } from './keys.js';
import type { KvClient } from './kv.js';
import { decodeDicts, decodeMeta, type Dicts, type GenMeta } from './meta.js';
import { completePairFeatures, EMPTY, type RankedLists } from './snapshot.js';
import { BEHAVIOUR_FEATURES, BEHAVIOUR_SET, valueTtls, type ValueTtls } from './ttl.js';
import type { CreatedUser, NewUserProfile, OnlineStore, RankingInputs, SetCandidatesResult, StoredCandidates, UserColumns } from './types.js';

/**
 * How often a store re-reads the pointer by default: a second keeps servers within a second of a publish,
 * far inside the old generation's retire grace (PUBLISH_RETIRE_GRACE_MS), for one small GET per second.
 */
export const STORE_REFRESH_MS = 1000;

export interface KvStoreOptions extends FailureReport {
  url: string;
  /** How often the pointer key is re-read (default STORE_REFRESH_MS; 0 = only on refresh()). */
  refreshMs?: number;
  /** Called when a refresh finds another version published than the one served (not on open). */
  onVersion?: (version: string) => void;
}

interface Current {
  gen: number;
  keys: GenKeys;
  meta: GenMeta;
  /** The meta's bytes as read: an incremental publish (publishChanges.ts) replaces them in the same generation. */
  metaBytes: Buffer;
  dicts: Dicts;
  ttls: ValueTtls;
  /** value → code per field, built on the first createUser of the generation. */
  codes?: Record<ProfileField, Map<string, number>>;
}

export class KvStore implements OnlineStore {
  readonly url: string;
  private cur!: Current;
  private timer: NodeJS.Timeout | null = null;
  /** The last refresh found no pointer, or no meta for the generation it names: the store lost its data. */
  private lostData = false;
  /** The timer's refreshes: a failed one keeps the generation being served (onError/onRecover on each change). */
  private readonly refreshes: FailureTracker;
  private readonly onVersion?: (version: string) => void;

  private constructor(
    readonly kv: KvClient,
    readonly space: KeySpace,
    opts: KvStoreOptions,
  ) {
    this.url = opts.url;
    this.onVersion = opts.onVersion;
    this.refreshes = new FailureTracker(`store refresh of ${opts.url}`, opts);
    const every = opts.refreshMs ?? STORE_REFRESH_MS;
    if (every > 0) {
      this.timer = setInterval(() => void this.timedRefresh(), every);
      this.timer.unref();
    }
  }

  /** Opens the store on what the pointer names; fails (PYMK_STORE_UNAVAILABLE) when nothing is published. */
  static async open(kv: KvClient, space: KeySpace, opts: KvStoreOptions): Promise<KvStore> {
    const s = new KvStore(kv, space, opts);
    try {
      await s.refresh();
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  version(): string {
    return this.cur.meta.version;
  }

  /** The generation being served and its meta. */
  current(): { gen: number; meta: GenMeta } {
    return { gen: this.cur.gen, meta: this.cur.meta };
  }

  /** The timer's refresh failures (explicit refresh() calls throw to their caller instead). */
  refreshStats(): FailureStats {
    return this.refreshes.stats();
  }

  /**
   * True when the last pointer refresh found nothing published (no pointer, or no meta for the generation
   * it names): a store that lost its data, as opposed to one that cannot be reached.
   */
  lost(): boolean {
    return this.lostData;
  }

  health(): string | null {
    const s = this.refreshes.stats();
    if (s.consecutive === 0) return null;
    const msg = s.lastError instanceof Error ? s.lastError.message : String(s.lastError);
    return `store refresh failing ${s.consecutive}× (${msg})`;
  }

  /** One timer tick: refreshes, and counts and reports a failure instead of throwing it. */
  private async timedRefresh(): Promise<void> {
    try {
      await this.refresh();
      this.refreshes.ok();
    } catch (e) {
      this.refreshes.fail(e, `still serving version ${this.cur.meta.version} (generation ${this.cur.gen})`);
    }
  }

  /** Re-reads the pointer; loads the new generation's meta when it moved, or when its meta's bytes changed (an incremental publish). Returns the version served. */
  async refresh(): Promise<string> {
    const ptr = await this.kv.get(this.space.pointer());
    this.lostData = ptr === null;
    if (ptr === null) throw new PymkError('PYMK_STORE_UNAVAILABLE', `${this.url}: nothing published under '${this.space.prefix}' (run pymk publish)`);
    const gen = Number(ptr.toString());
    if (this.cur && this.cur.gen === gen) {
      // Same generation: still there? (its keys can expire or be evicted while the pointer stays)
      const metaBytes = await this.kv.get(this.cur.keys.meta());
      this.lostData = metaBytes === null;
      if (metaBytes === null) throw new PymkError('PYMK_STORE_UNAVAILABLE', `${this.url}: generation ${gen} (version ${this.cur.meta.version}) has no meta (expired or evicted)`);
      // Patched in place (an incremental publish): the new meta and dictionaries, below.
      if (metaBytes.equals(this.cur.metaBytes)) return this.cur.meta.version;
    }
    const probe = this.space.gen(gen, 1);
    const [metaBuf, dictBuf] = await this.kv.mget([probe.meta(), probe.dicts()]);
    this.lostData = metaBuf === null;
    if (metaBuf === null) throw new PymkError('PYMK_STORE_UNAVAILABLE', `${this.url}: generation ${gen} has no meta (expired?)`);
    const meta = decodeMeta(metaBuf, probe.meta());
    const dicts = decodeDicts(dictBuf, probe.dicts());
    const before = this.cur?.meta.version;
    this.cur = { gen, keys: this.space.gen(gen, meta.buckets), meta, metaBytes: metaBuf, dicts, ttls: valueTtls(meta.ttl) };
    if (before !== undefined && before !== meta.version) this.onVersion?.(meta.version);
    return meta.version;
  }

  async resolveUser(externalId: string): Promise<number | null> {
    const c = this.cur;
    const v = await this.kv.get(c.keys.id(externalId));
    if (v === null) {
      await this.assertAlive(c);
      return null;
    }
    return this.parseUid(v, c.keys.id(externalId));
  }

  async externalIds(uids: ArrayLike<number>): Promise<string[]> {
    const k = this.cur.keys;
    const vals = await this.kv.mget(Array.from(uids, (u) => k.ext(u)));
    return vals.map((v, i) => {
      if (v === null) throw new PymkError('PYMK_STORE_UNAVAILABLE', `no external id for user ${uids[i]} (expired or not published)`);
      return v.toString('utf8');
    });
  }

  async fetchRankingInputs(uid: number): Promise<RankingInputs> {
    const keys = this.cur.keys.rankingInputs(uid);
    const [candBuf, behBuf, profBuf, connBuf, blockedBuf, dismissedBuf] = await this.kv.mget(keys);
    const list = decodeCandidates(candBuf, keys[0]);
    if (list) mergeBehaviour(list, decodeCandidates(behBuf, keys[1], 'behaviour'), BEHAVIOUR_FEATURES);
    const ids = list?.ids ?? EMPTY;
    const { user, users } = decodeProfilePack(profBuf, uid, ids, keys[2]);
    return {
      uid,
      user,
      connections: decodeIds(connBuf, keys[3]),
      blocked: decodeIds(blockedBuf, keys[4]),
      dismissed: decodeIds(dismissedBuf, keys[5]),
      // An empty list (every candidate removed, or a refresh that found none) leaves the user to ANN / cold start.
      source: list && list.ids.length > 0 ? 'stored' : 'none',
      candidates: {
        ids,
        score: list?.score ?? new Float32Array(0),
        features: list?.features ?? completePairFeatures({}, 0),
        users,
      },
    };
  }

  async profiles(uids: ArrayLike<number>): Promise<UserColumns> {
    const k = this.cur.keys;
    const keys = Array.from(uids, (u) => k.profile(u));
    const rows = await this.kv.mget(keys);
    const out = profileColumns(keys.length);
    for (let i = 0; i < keys.length; i++) decodeProfileInto(rows[i], out, i, keys[i]);
    return out;
  }

  async neighbors(uids: ArrayLike<number>): Promise<Int32Array[]> {
    const k = this.cur.keys;
    const keys = Array.from(uids, (u) => k.connections(u));
    const vals = await this.kv.mget(keys);
    return vals.map((v, i) => decodeIds(v, keys[i]));
  }

  fieldValue(field: ProfileField, code: number): string | null {
    return code < 0 ? null : (this.cur.dicts[field][code] ?? null);
  }

  async embeddings(uids: ArrayLike<number>): Promise<(Float32Array | null)[]> {
    const c = this.cur;
    // Without published embeddings only users created online have one (createUser stores it).
    const want = (u: number): boolean => c.meta.embedding !== null || u >= c.meta.users;
    const out: (Float32Array | null)[] = new Array(uids.length).fill(null);
    const at = Array.from(uids, (_, i) => i).filter((i) => want(uids[i]));
    if (at.length === 0) return out;
    const keys = at.map((i) => c.keys.embedding(uids[i]));
    const vals = await this.kv.mget(keys);
    at.forEach((i, j) => (out[i] = decodeEmbedding(vals[j], keys[j])));
    return out;
  }

  async staticList(uid: number): Promise<Pick<RankedLists, 'cand' | 'score'> | null> {
    const key = this.cur.keys.staticList(uid);
    const l = decodeRanked(await this.kv.get(key), key);
    return l && l.cand.length > 0 ? l : null;
  }

  async removeCandidate(uid: number, cand: number): Promise<number> {
    const { candidates: c, behaviour: b } = CODECS;
    const k = this.cur.keys;
    return Number(await this.kv.script('removeCandidate', [k.candidates(uid), k.behaviour(uid)], [cand, c.tag, c.version, b.tag, b.version]));
  }

  async setCandidates(uid: number, version: string, list: StoredCandidates, basis: Int32Array): Promise<SetCandidatesResult> {
    const n = list.ids.length;
    const ids = new Int32Array(n + 1);
    ids[0] = uid;
    ids.set(list.ids, 1);
    const features = completePairFeatures(list.features, n);
    const listValue = encodeCandidates(list.ids, list.score, features, 0, n, BEHAVIOUR_SET);
    const behaviour = encodeBehaviour(list.ids, features, 0, n, BEHAVIOUR_FEATURES) ?? '';
    // The pack's row 0 is the user's own profile as the pack holds it (flags and profile edits change it in
    // place): compare-and-set on the pack read, again when it changed in between.
    for (let attempt = 1; ; attempt++) {
      const c = this.cur;
      if (c.meta.version !== version) return 'outdated';
      const k = c.keys;
      const [rows, pack] = await Promise.all([this.profiles(ids), this.kv.get(k.profiles(uid))]);
      if (pack) {
        const own = decodeProfilePack(pack, uid, EMPTY, k.profiles(uid)).user;
        for (const col of Object.keys(own) as (keyof UserColumns)[]) rows[col][0] = own[col][0];
      }
      const args = [listValue, behaviour, encodePackColumns(ids, rows), c.ttls.candidates, c.ttls.behaviour, c.ttls.profile, encodeIds(basis), pack ?? ''];
      const r = Number(await this.kv.script('setCandidates', [k.candidates(uid), k.behaviour(uid), k.profiles(uid), k.connections(uid)], args));
      if (r === 1) return 'written';
      if (r === 0) return 'changed';
      if (attempt === 3) return 'changed'; // the pack keeps changing: let the caller recompute later
    }
  }

  async addConnection(a: number, b: number): Promise<void> {
    await this.editExclusions('connections', 'add', [a, b], [b, a]);
  }

  async removeConnection(a: number, b: number): Promise<void> {
    await this.editExclusions('connections', 'del', [a, b], [b, a]);
  }

  async addBlock(a: number, b: number): Promise<void> {
    await this.editExclusions('blocked', 'add', [a, b], [b, a]);
  }

  async removeBlock(a: number, b: number): Promise<void> {
    await this.editExclusions('blocked', 'del', [a, b], [b, a]);
  }

  async addDismissal(actor: number, target: number): Promise<void> {
    await this.editExclusions('dismissed', 'add', [actor], [target]);
  }

  async updateProfile(uid: number, changes: NewUserProfile, embedding: Float32Array | null): Promise<void> {
    const c = this.cur;
    const k = c.keys;
    const keys = [k.profile(uid), k.profiles(uid)];
    const code = (f: ProfileField, v: string): number => this.codes(c)[f].get(v) ?? -1;
    // Read, compute in TypeScript, compare-and-set (replace_values.lua); another write in between: again.
    for (let attempt = 1; ; attempt++) {
      const [rowBuf, packBuf] = await this.kv.mget(keys);
      if (rowBuf === null && packBuf === null) return; // no profile (expired, or not this version's user): left alone
      const edits: [string, Buffer, Buffer][] = [];
      if (rowBuf) {
        const row = profileColumns(1);
        decodeProfileInto(rowBuf, row, 0, keys[0]);
        applyProfileChanges((f, v) => (row[f][0] = v), changes, code);
        const r = { company: row.company[0], school: row.school[0], location: row.location[0], industry: row.industry[0], seniority: row.seniority[0], flags: row.flags[0], degree: row.degree[0] };
        edits.push([keys[0], rowBuf, encodeProfile(r)]);
      }
      if (packBuf) edits.push([keys[1], packBuf, editPackUserRow(packBuf, uid, keys[1], (cols, i) => applyProfileChanges((f, v) => (cols[f][i] = v), changes, code))]);
      const calls = this.kv.slotRouter() === null ? [edits] : edits.map((e) => [e]);
      const done = await Promise.all(calls.map((es) => this.kv.script('replaceValues', es.map((e) => e[0]), es.flatMap((e) => [e[1], e[2]]))));
      if (done.every((d) => Number(d) === 1)) break;
      if (attempt === 5) throw new PymkError('PYMK_STORE_UNAVAILABLE', `user ${uid}'s profile kept changing during 5 attempts to update it`);
    }
    if (embedding) {
      if (c.meta.embedding && embedding.length !== c.meta.embedding.dim) {
        throw new PymkError('PYMK_BAD_PARAM', `embedding of ${embedding.length} dimensions for user ${uid}; version ${c.meta.version} stores ${c.meta.embedding.dim}`);
      }
      await this.kv.set([{ key: k.embedding(uid), value: encodeEmbedding(embedding, c.meta.embedding?.dtype ?? 'f16'), px: c.ttls.embedding }]);
    }
  }

  async addFlags(uid: number, flags: number): Promise<void> {
    const { profile, profiles } = CODECS;
    const k = this.cur.keys;
    const args = [flags, profile.tag, profile.version, profiles.tag, profiles.version, uid];
    await Promise.all(this.perCall([[k.profile(uid)], [k.profiles(uid)]]).map((keys) => this.kv.script('setFlags', keys, args)));
  }

  async createUser(externalId: string, profile: NewUserProfile, embedding: Float32Array | null): Promise<CreatedUser> {
    const c = this.cur;
    const k = c.keys;
    const had = await this.kv.get(k.id(externalId));
    let uid = had === null ? c.meta.users - 1 + (await this.kv.incr(k.createdCounter())) : this.parseUid(had, k.id(externalId));
    if (uid < c.meta.users) return { uid, status: 'in bundle' };
    // The rows first, then the id claim: a reader that resolves the user finds them all. A claim lost to a
    // concurrent delivery leaves this id's rows unreachable (nothing maps to it), and the winner's id is used.
    await this.writeNewUser(c, uid, externalId, profile, embedding);
    if (had !== null) return { uid, status: 'again' };
    const claimed = this.parseUid(Buffer.from(String(await this.kv.script('claimId', [k.id(externalId)], [uid, c.ttls.ids]))), k.id(externalId));
    if (claimed === uid) return { uid, status: 'created' };
    uid = claimed;
    if (uid < c.meta.users) return { uid, status: 'in bundle' };
    await this.writeNewUser(c, uid, externalId, profile, embedding);
    return { uid, status: 'again' };
  }

  async createdRange(): Promise<[number, number]> {
    const c = this.cur;
    const v = await this.kv.get(c.keys.createdCounter());
    return [c.meta.users, c.meta.users + (v === null ? 0 : Number(v.toString()))];
  }

  private async writeNewUser(c: Current, uid: number, externalId: string, profile: NewUserProfile, embedding: Float32Array | null): Promise<void> {
    const k = c.keys;
    const row = newUserRow(profile, (f, v) => this.codes(c)[f].get(v) ?? -1);
    const ops = [
      { key: k.ext(uid), value: externalId, px: c.ttls.ids },
      { key: k.profile(uid), value: encodeProfile(row), px: c.ttls.profile },
      { key: k.profiles(uid), value: encodeSoloPack(uid, row), px: c.ttls.profile },
    ];
    if (embedding) {
      // Stored even when the publish left the bundle's embeddings out (they are in its ANN index): serving
      // processes read new users' vectors from here.
      if (c.meta.embedding && embedding.length !== c.meta.embedding.dim) {
        throw new PymkError('PYMK_BAD_PARAM', `embedding of ${embedding.length} dimensions for user '${externalId}'; version ${c.meta.version} stores ${c.meta.embedding.dim}`);
      }
      ops.push({ key: k.embedding(uid), value: encodeEmbedding(embedding, c.meta.embedding?.dtype ?? 'f16'), px: c.ttls.embedding });
    }
    await this.kv.set(ops);
  }

  private codes(c: Current): Record<ProfileField, Map<string, number>> {
    c.codes ??= Object.fromEntries(Object.entries(c.dicts).map(([f, values]) => [f, new Map(values.map((v, i) => [v, i]))])) as Record<ProfileField, Map<string, number>>;
    return c.codes;
  }

  private parseUid(v: Buffer, key: string): number {
    const uid = Number(v.toString());
    if (!Number.isInteger(uid) || uid < 0) throw new PymkError('PYMK_STORE_INVALID', `stored value ${key}: '${v.toString()}' is not a user id`);
    return uid;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.kv.close();
  }

  /**
   * One edit_exclusions.lua call over every user of the event on one node (atomic); on a cluster, where each
   * user's rows sit in the user's slot, one call per user (each atomic; the event is retried whole).
   */
  private async editExclusions(row: 'connections' | 'blocked' | 'dismissed', op: 'add' | 'del', users: number[], others: number[]): Promise<void> {
    const c = this.cur;
    const { ids, candidates: cand, behaviour: beh } = CODECS;
    const k = c.keys;
    const head = [ids.tag, ids.version, cand.tag, cand.version, beh.tag, beh.version, c.ttls.graph, op];
    const groups = users.map((u, i) => ({ keys: [k[row](u), k.candidates(u), k.behaviour(u)], other: others[i] }));
    const calls = this.kv.slotRouter() === null ? [groups] : groups.map((g) => [g]);
    await Promise.all(calls.map((gs) => this.kv.script('editExclusions', gs.flatMap((g) => g.keys), [...head, ...gs.map((g) => g.other)])));
  }

  /** Key groups in one call on a single node; one call per group on a cluster (groups may sit in different slots). */
  private perCall(groups: string[][]): string[][] {
    return this.kv.slotRouter() === null ? [groups.flat()] : groups;
  }

  /** A miss on a key that every live generation has: tell "unknown" from "the whole version expired". */
  private async assertAlive(c: Current): Promise<void> {
    if ((await this.kv.get(c.keys.meta())) === null) {
      throw new PymkError('PYMK_STORE_UNAVAILABLE', `${this.url}: version ${c.meta.version} (generation ${c.gen}) has expired; publish a bundle`);
    }
  }
}
