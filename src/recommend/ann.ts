/**
 * ANN candidates for users with no stored candidate list and no live 2-hop (cold start: no connections yet,
 * or a list that expired). The user's own embedding (the profile tower's for a user without edges, see
 * docs/embeddings.md) is searched in the bundle's index (usearch i8 re-ranked in f32 from the memory-mapped
 * embeddings, docs/ann.md) on worker threads, so a search never blocks the event loop. The user, their
 * connections, blocks and dismissals are excluded inside the search (over-fetching as needed).
 *
 * The candidates are scored by embedding similarity, not by the ranking model: the model is trained on
 * impressions of stored (2-hop) candidates, where the emb_sim and source_ann columns are constant, so it
 * has learnt nothing about them. The business rules and reasons apply as for any other source.
 *
 * Only users with connections in the bundle are offered, the population the cold-start tower was
 * evaluated on (bench/embedWorld.ts ranks "users active before the cut"): the tower vectors of users without
 * connections sit closer to each other than to connected users' GNN vectors, so unfiltered, new users were
 * mostly offered each other (seen in the demo). The pool's workers hold the unconnected users as a skip set
 * that joins every search's exclusions (the index over-fetches past them); only when a search finds nobody
 * else are the unconnected neighbours offered, rather than nothing.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BUNDLE_ANN_MANIFEST, servingSpec } from '../ann/open.js';
import type { Config } from '../core/config.js';
import { FailureTracker, type FailureReport, type FailureStats } from '../core/failures.js';
import { SearchPool } from '../ann/pool.js';
import type { TierStats } from '../ann/tiered.js';
import type { Graph } from '../graph/csr.js';
import { SOURCE_CODES } from '../rank/schema.js';
import { completePairFeatures, type Snapshot } from '../store/snapshot.js';
import type { OnlineStore, RankingInputs } from '../store/types.js';

export interface AnnCandidateOptions {
  /** Candidates fetched per user. */
  k: number;
  /** Worker threads searching the index. */
  workers: number;
  /** Where the index's recent tier keeps its log (users added online since the build). */
  stateDir: string;
  /** Whether this process writes that log (one process per state folder; default true). */
  logWriter?: boolean;
  /** Users never offered unless nobody else is found: those without connections (unconnectedUsers). */
  skip?: Int32Array;
  /** Where searches starting to fail, and recovering, are reported (once per change; all are counted). */
  report?: FailureReport;
}

/** What the candidates need of the index: a SearchPool's user search (its size and tiers, when it has them, for the status). */
export type UserSearcher = Pick<SearchPool, 'searchUser' | 'metric' | 'close'> & Partial<Pick<SearchPool, 'size' | 'stats' | 'search' | 'insertNew'>>;

/** How often each serving process looks for users created online to insert (store.createdRange). */
export const NEW_USERS_POLL_MS = 250;
/** A created user whose embedding is still absent after this long has none (no tower, or a creation that failed midway). */
const NEW_USER_WAIT_MS = 30_000;

/** The index as the status route shows it. */
export interface AnnIndexStatus {
  version: string;
  /** Vectors searchable (main + recent − masked); null when the searcher cannot tell. */
  size: number | null;
  /** The tiers of a tiered index (main, recent, masked, log bytes, compaction due); null otherwise. */
  tiers: TierStats | null;
  failures: number;
  versionMismatches: number;
  unconnectedOnly: number;
  /** Users created online that this process inserted into its index. */
  newUsers: number;
}

/** Users without connections in the bundle's graph: serving skips them as ANN candidates. */
export function unconnectedUsers(graph: Graph): Int32Array {
  return Int32Array.from({ length: graph.n }, (_, u) => u).filter((u) => graph.degree(u) === 0);
}

export class AnnCandidates {
  /** The searches: failed ones (a worker died, the pool closed) gave their users no ANN candidates. */
  private readonly searches: FailureTracker;
  /** Users skipped because the store serves another bundle version than this index's (ids would not match). */
  versionMismatches = 0;
  /** Users for whom the search found only unconnected users (offered anyway). */
  unconnectedOnly = 0;
  /** Users created online inserted into the index by follow(), and when the last was (epoch ms; 0 = none). */
  newUsers = 0;
  insertedAt = 0;
  /** follow(): the next created id not looked at, the ones waiting for their embedding, the timer. */
  private nextCreated = -1;
  private readonly waiting = new Map<number, number>();
  /**
   * Once following: the first id created online (the bundle's user count) and the created ids whose vector
   * this process checked against the store's. Hits at or past `firstCreated` that are not confirmed (an
   * entry of the tier's log written for another store, or for a user the store no longer has) are dropped.
   */
  private firstCreated: number | null = null;
  private readonly confirmed = new Set<number>();
  private follower: NodeJS.Timeout | null = null;
  private following = false;
  private readonly follows: FailureTracker;

  constructor(
    /** The search workers (a SearchPool in serving). */
    private readonly pool: UserSearcher,
    private readonly k: number,
    /** The bundle version the index was built in: dense user ids are only meaningful within it. */
    readonly version: string,
    report: FailureReport = {},
  ) {
    this.searches = new FailureTracker(`ANN search (index of ${version})`, report);
    this.follows = new FailureTracker(`inserting new users into the ANN index of ${version}`, report);
  }

  /**
   * Keeps inserting the users created online (user.created: store.createdRange, their embeddings) into
   * this process's index, every `everyMs`, while the store serves this index's version. Every serving
   * process follows the store, so a new user appears in every process's results within a poll; the
   * process that writes the recent tier's log appends them to it (insertNew leaves held ids alone, so a
   * restart replays the store without growing the log).
   */
  follow(store: OnlineStore, everyMs = NEW_USERS_POLL_MS): void {
    if (this.follower || !this.pool.insertNew) return;
    this.follower = setInterval(() => void this.catchUp(store), everyMs);
    this.follower.unref();
    void this.catchUp(store);
  }

  /** One look at the users created since the last (follow() calls it on its timer; tests call it directly). */
  async catchUp(store: OnlineStore, now = Date.now()): Promise<void> {
    const insert = this.pool.insertNew?.bind(this.pool);
    if (this.following || !insert || store.version() !== this.version) return;
    this.following = true;
    try {
      const [first, end] = await store.createdRange();
      this.firstCreated = first;
      for (let u = Math.max(first, this.nextCreated); u < end; u++) this.waiting.set(u, now);
      this.nextCreated = Math.max(this.nextCreated, end);
      const uids = [...this.waiting.keys()].slice(0, 1000);
      const vectors = uids.length > 0 ? await store.embeddings(uids) : [];
      for (let i = 0; i < uids.length; i++) {
        const v = vectors[i];
        if (v) {
          if (await insert(uids[i], v)) {
            this.newUsers++;
            this.insertedAt = Date.now();
          }
          this.confirmed.add(uids[i]);
          this.waiting.delete(uids[i]);
        } else if (now - this.waiting.get(uids[i])! > NEW_USER_WAIT_MS) this.waiting.delete(uids[i]);
      }
      this.follows.ok();
    } catch (err) {
      this.follows.fail(err, 'retried at the next poll');
    } finally {
      this.following = false;
    }
  }

  /** Searches that failed: those users got no ANN candidates. */
  get failures(): number {
    return this.searches.stats().failures;
  }

  /** The failed searches: how many, how many in a row now, and the last error. */
  searchStats(): FailureStats {
    return this.searches.stats();
  }

  /** Size, tiers and counts of the index (a worker that cannot say gives null there). */
  async status(): Promise<AnnIndexStatus> {
    const [size, tiers] = await Promise.all([
      this.pool.size ? this.pool.size().catch(() => null) : null,
      this.pool.stats ? this.pool.stats().catch(() => null) : null,
    ]);
    return { version: this.version, size, tiers, failures: this.failures, versionMismatches: this.versionMismatches, unconnectedOnly: this.unconnectedOnly, newUsers: this.newUsers };
  }

  /** Starts the search workers over a bundle's index; null when the bundle has no ANN index. */
  static async open(bundleDir: string, version: string, opts: AnnCandidateOptions): Promise<AnnCandidates | null> {
    if (!existsSync(join(bundleDir, BUNDLE_ANN_MANIFEST))) return null;
    const spec = servingSpec(bundleDir, version, opts.stateDir, { writeLog: opts.logWriter });
    const pool = await SearchPool.start({ spec, workers: opts.workers, skip: opts.skip });
    return new AnnCandidates(pool, opts.k, version, opts.report);
  }

  /**
   * The inputs with the user's nearest neighbours as candidates (source 'ann', score = similarity), or the
   * inputs unchanged when the user has no embedding, nothing is left after the exclusions, or the search
   * failed (counted in `failures`): the index is an extra source, so its failure degrades to "no candidates"
   * rather than failing the request.
   */
  async fill(store: OnlineStore, inputs: RankingInputs): Promise<RankingInputs> {
    if (store.version() !== this.version) {
      // e.g. a Redis store switched to a newer publish: its ids are not this index's ids.
      this.versionMismatches++;
      return inputs;
    }
    // The user itself is excluded by the search.
    const exclude = new Set<number>();
    for (const row of [inputs.connections, inputs.blocked, inputs.dismissed]) for (const id of row) exclude.add(id);
    let hits = await this.search(store, inputs.uid, exclude, false);
    if (hits?.ids.length === 0) {
      hits = await this.search(store, inputs.uid, exclude, true);
      if (hits && hits.ids.length > 0) this.unconnectedOnly++;
    }
    if (hits) hits = this.knownOnly(hits);
    if (!hits || hits.ids.length === 0) return inputs;
    const n = hits.ids.length;
    // Distances are 1 − cosine for 'cos' (the pipeline's metric), squared L2 otherwise: larger = closer either way.
    const similarity = this.pool.metric === 'cos' ? hits.distances.map((d) => 1 - d) : hits.distances.map((d) => -d);
    const features = completePairFeatures({ emb_sim: similarity, source: new Float32Array(n).fill(SOURCE_CODES.ann) }, n);
    return { ...inputs, source: 'ann', candidates: { ids: hits.ids, score: similarity, features, users: await store.profiles(hits.ids) } };
  }

  /** The hits without created ids this process has not confirmed against the store (see `confirmed`). */
  private knownOnly<H extends { ids: Int32Array; distances: Float32Array }>(hits: H): H {
    const first = this.firstCreated;
    if (first === null || hits.ids.every((id) => id < first || this.confirmed.has(id))) return hits;
    const keep = Array.from(hits.ids, (id) => id < first || this.confirmed.has(id));
    return { ...hits, ids: hits.ids.filter((_, i) => keep[i]), distances: hits.distances.filter((_, i) => keep[i]) };
  }

  /**
   * The k nearest users not excluded (skipped users included or not); null when the search failed or the
   * user has no vector. A user the index does not hold yet (created online since this process last
   * followed the store) is searched with the vector the store holds for them.
   */
  private async search(store: OnlineStore, uid: number, exclude: Set<number>, includeSkipped: boolean) {
    try {
      let hits = await this.pool.searchUser(uid, { k: this.k, exclude, includeSkipped });
      if (hits === null && this.pool.search) {
        const [v] = await store.embeddings([uid]);
        if (v) hits = await this.pool.search(v, { k: this.k, exclude: new Set([...exclude, uid]), includeSkipped });
      }
      this.searches.ok();
      return hits;
    } catch (err) {
      this.searches.fail(err, 'the users searched for meanwhile get no ANN candidates');
      return null;
    }
  }

  close(): Promise<void> {
    if (this.follower) clearInterval(this.follower);
    this.follower = null;
    return this.pool.close();
  }
}

/**
 * The bundle's ANN index on worker threads, when it has one and the configuration asks for ANN candidates.
 * The index is an extra candidate source: when it cannot be opened (a read-only state folder, a broken
 * index, the addon missing) `onError` is told why and the caller serves without it; searches that fail
 * later are counted and reported to `searches`.
 */
export async function openAnn(
  config: Config,
  bundleDir: string,
  snap: Snapshot,
  onError: (err: unknown) => void,
  searches: FailureReport = {},
): Promise<AnnCandidates | null> {
  if (config.annCandidates === 0) return null;
  try {
    const stateDir = config.annStateDir ?? `${resolve(bundleDir)}.ann-state`;
    const opts = { k: config.annCandidates, workers: config.annWorkers, stateDir, logWriter: config.annLogWriter, skip: unconnectedUsers(snap.graph), report: searches };
    return await AnnCandidates.open(bundleDir, snap.version, opts);
  } catch (err) {
    onError(err);
    return null;
  }
}

/**
 * How long an index replaced by a bundle swap keeps serving the searches already sent to it: a search takes
 * milliseconds, so 10 s covers any in flight (even queued behind a slow worker) before its workers stop.
 */
export const ANN_CLOSE_GRACE_MS = 10_000;

/** Closes an index still serving searches after a swap, once those have had `graceMs` to finish. */
export function closeLater(ann: AnnCandidates | null | undefined, graceMs = ANN_CLOSE_GRACE_MS): void {
  if (ann) setTimeout(() => void ann.close(), graceMs).unref();
}
