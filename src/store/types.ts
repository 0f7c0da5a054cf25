/**
 * The online store interface. Implementations, opened by URL in index.ts: memory:// (embedded default,
 * memory.ts), redis:// (one node) and redis-cluster:// (kvStore.ts over redis.ts / redisCluster.ts).
 * test/store/contract.ts is the one suite every implementation passes.
 */
import type { PairFeature, RankedLists } from './snapshot.js';
import type { ProfileField } from '../core/tables.js';

/**
 * Profile columns for a batch of users, index-aligned with the ids asked for. Codes, seniority and degree
 * are -1 when missing (unknown user, or the profile row expired); flags are then 0. Degree is as of the
 * published bundle (the StoreWriter writes do not change it, like the other features).
 */
export interface UserColumns {
  company: Int32Array;
  school: Int32Array;
  location: Int32Array;
  industry: Int32Array;
  seniority: Int8Array;
  flags: Uint8Array;
  degree: Int32Array;
}

/**
 * Where a user's candidates came from: the published list, 2-hop computed live, the ANN index
 * (recommend/ann.ts), shared profile values (recommend/coldStart.ts), or nowhere.
 */
export type CandidateSource = 'stored' | 'live-2hop' | 'ann' | 'profile' | 'none';

/** What setCandidates did (see there). */
export type SetCandidatesResult = 'written' | 'outdated' | 'changed';

/** A user's candidate list as stored: ids best first, their scores and every pair feature. */
export interface StoredCandidates {
  ids: Int32Array;
  score: Float32Array;
  features: Record<PairFeature, Float32Array>;
}

/** Everything the ranker and the rules need for one user, fetched in one call. */
export interface RankingInputs {
  uid: number;
  user: UserColumns;
  /** Sorted ids. */
  connections: Int32Array;
  /** Sorted ids, blocks in either direction. */
  blocked: Int32Array;
  /** Sorted ids the user dismissed. */
  dismissed: Int32Array;
  source: CandidateSource;
  candidates: {
    ids: Int32Array;
    score: Float32Array;
    features: Record<PairFeature, Float32Array>;
    users: UserColumns;
  };
}

/**
 * A new user's profile as a user.created event carries it: categorical values by name, seniority 0..10;
 * absent or null = unknown. A store codes the names with the served bundle's dictionaries: a value the
 * bundle has never seen (a new company) is stored as unknown until the next pipeline run adds it.
 */
export interface NewUserProfile {
  company?: string | null;
  school?: string | null;
  location?: string | null;
  industry?: string | null;
  seniority?: number | null;
}

/** What createUser did: the user's dense id, and whether the id was new or already taken. */
export interface CreatedUser {
  uid: number;
  /**
   * 'created': a new id; 'again': the id was created online before (a redelivery: its rows are written
   * again, the same values); 'in bundle': a user of the published bundle, left as it is.
   */
  status: 'created' | 'again' | 'in bundle';
}

/**
 * Writes for graph events (src/events/invalidator.ts applies them). Each is atomic per event where the
 * store can make it so: memory applies it in one synchronous step; one Redis node runs one Lua script over
 * every key the event changes (both users of a pair); a Redis Cluster keeps each user's rows in the user's
 * slot, so it runs one script per user, each atomic, and relies on the caller retrying the whole event
 * (at-least-once delivery) if it stopped between them. Each is idempotent: applying it twice leaves the
 * store as applying it once (rows are sets, flags are bits). Values keep their expiry; a row that did not
 * exist is created with its kind's TTL. Writes apply to the version being served; a later publish
 * replaces them. Removing a connection or a block does not bring the other user back into a candidate
 * list: lists only grow back at the next publish.
 */
export interface StoreWriter {
  /** Removes a candidate, with its pair features, from a user's stored list; returns the rows removed. */
  removeCandidate(uid: number, cand: number): Promise<number>;
  /** a and b connected: each joins the other's connections and leaves the other's candidate list. */
  addConnection(a: number, b: number): Promise<void>;
  /** a and b disconnected: each leaves the other's connections (both rows). */
  removeConnection(a: number, b: number): Promise<void>;
  /** a blocked b: blocks apply in both directions, so both rows change and both lists lose the other. */
  addBlock(a: number, b: number): Promise<void>;
  /**
   * a unblocked b: the pair leaves both users' block rows. The rows hold blocks in either direction without
   * who blocked whom, so this also lifts a block b had placed on a.
   */
  removeBlock(a: number, b: number): Promise<void>;
  /** actor dismissed target: only the actor's exclusions and list change. */
  addDismissal(actor: number, target: number): Promise<void>;
  /**
   * Sets profile flag bits (FLAG_DEACTIVATED, FLAG_BANNED) on a user: its profile row and its own row in
   * its profile pack. Other users' profile packs (which copy the user's row for their candidate lists)
   * keep the published flags until the next publish on Redis; the memory store reads one profile table,
   * so there they change at once.
   */
  addFlags(uid: number, flags: number): Promise<void>;
  /**
   * A user who joined after the bundle was built (user.created): a dense id after the bundle's (ids
   * bundle.users, bundle.users + 1, … in creation order, never reused within a version), the external id
   * both ways, a profile row (degree 0), and the embedding when given and the version stores embeddings.
   * Idempotent by external id: a redelivery gets the same id. Readers never see the user half-made: the
   * rows are written before the external id resolves to them. The user has no candidate list; serving
   * finds candidates by ANN (the embedding) or by profile (recommend/coldStart.ts).
   */
  createUser(externalId: string, profile: NewUserProfile, embedding: Float32Array | null): Promise<CreatedUser>;
  /**
   * Replaces a user's stored candidate list with one recomputed online (recommend/refresh.ts) from the
   * connection row `basis`, for the version `version`. Nothing is written when the store serves another
   * version ('outdated': the ids would not match) or the user's connections are no longer `basis`
   * ('changed': an event or another process's refresh came in between; recompute). The candidates' profile
   * rows are copied in as a publish copies them (the Redis profile pack, the user's own row kept as it
   * is); list, behavioural features and pack are written in one atomic step, with fresh TTLs. An empty
   * list reads back as no list (source 'none').
   */
  setCandidates(uid: number, version: string, list: StoredCandidates, basis: Int32Array): Promise<SetCandidatesResult>;
  /**
   * A user's profile changed (user.updated): the fields present in `changes` replace theirs (null =
   * unknown; names coded with the served version's dictionaries, an unseen name is unknown), in the
   * profile row and the user's own row of its profile pack (one atomic step on one Redis node). Like
   * addFlags, other users' packs keep the published copy until the next publish (the memory store reads
   * one table, so there it changes everywhere). `embedding`, when given, replaces the stored one (users
   * created online, re-embedded by the profile tower). A user without a profile row is left alone.
   */
  updateProfile(uid: number, changes: NewUserProfile, embedding: Float32Array | null): Promise<void>;
}

export interface OnlineStore extends StoreWriter {
  readonly url: string;
  /** The bundle version being served. */
  version(): string;
  /** Dense id for an external user id, or null when unknown. */
  resolveUser(externalId: string): Promise<number | null>;
  externalIds(uids: ArrayLike<number>): Promise<string[]>;
  fetchRankingInputs(uid: number): Promise<RankingInputs>;
  /** Sorted neighbour rows, aligned with uids. */
  neighbors(uids: ArrayLike<number>): Promise<Int32Array[]>;
  /** Profile columns of any users (e.g. candidates found outside the stored list), index-aligned with uids. */
  profiles(uids: ArrayLike<number>): Promise<UserColumns>;
  /** The decoded value of a categorical profile code. */
  fieldValue(field: ProfileField, code: number): string | null;
  /** Users' embeddings (decoded; f16/i8 in Redis), aligned with uids; null where none or expired. */
  embeddings(uids: ArrayLike<number>): Promise<(Float32Array | null)[]>;
  /**
   * The dense ids users created online may hold in the version served: [first, end). Ids in the range
   * whose creation failed midway resolve to nothing (their embeddings read as null). Followers (the ANN
   * index of each serving process) poll it to insert new users.
   */
  createdRange(): Promise<[number, number]>;
  /** Why the store may not be serving fully now (e.g. its pointer refresh keeps failing), or null. */
  health?(): string | null;
  /** The precomputed static ranking for a user (degradation fallback), or null. */
  staticList(uid: number): Promise<Pick<RankedLists, 'cand' | 'score'> | null>;
  close(): Promise<void>;
}
