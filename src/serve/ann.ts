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
 * mostly offered each other (seen in the demo). Users added to the index online (its recent tier) have no
 * bundle degree either and are left out the same way. When nobody connected is found, the unfiltered
 * neighbours are offered rather than nothing.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BUNDLE_ANN_MANIFEST, servingSpec } from '../ann/open.js';
import type { Config } from '../core/config.js';
import { SearchPool } from '../ann/pool.js';
import { SOURCE_CODES } from '../rank/schema.js';
import { selectProfileRows } from '../store/codec.js';
import { completePairFeatures } from '../store/snapshot.js';
import type { OnlineStore, RankingInputs, UserColumns } from '../store/types.js';

export interface AnnCandidateOptions {
  /** Candidates fetched per user. */
  k: number;
  /** Worker threads searching the index. */
  workers: number;
  /** Where the index's recent tier keeps its log (users added online since the build). */
  stateDir: string;
  /** Whether this process writes that log (one process per state folder; default true). */
  logWriter?: boolean;
}

/** Searches per user for neighbours with connections before settling for unconnected ones. */
const ACTIVE_ROUNDS = 3;

/** What the candidates need of the index: a SearchPool's user search. */
export type UserSearcher = Pick<SearchPool, 'searchUser' | 'metric' | 'close'>;

interface Found {
  ids: Int32Array;
  distances: Float32Array;
  users: UserColumns;
}

export class AnnCandidates {
  /** Searches that failed (a worker died, the pool closed): those users got no ANN candidates. */
  failures = 0;
  /** Users skipped because the store serves another bundle version than this index's (ids would not match). */
  versionMismatches = 0;
  /** Users whose nearest neighbours within ACTIVE_ROUNDS searches had no connections at all (offered anyway). */
  unconnectedOnly = 0;

  constructor(
    /** The search workers (a SearchPool in serving). */
    private readonly pool: UserSearcher,
    private readonly k: number,
    /** The bundle version the index was built in: dense user ids are only meaningful within it. */
    readonly version: string,
  ) {}

  /** Starts the search workers over a bundle's index; null when the bundle has no ANN index. */
  static async open(bundleDir: string, version: string, opts: AnnCandidateOptions): Promise<AnnCandidates | null> {
    if (!existsSync(join(bundleDir, BUNDLE_ANN_MANIFEST))) return null;
    const pool = await SearchPool.start({ spec: servingSpec(bundleDir, version, opts.stateDir), workers: opts.workers, logWriter: opts.logWriter });
    return new AnnCandidates(pool, opts.k, version);
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
    const exclude = new Set<number>([inputs.uid]);
    for (const row of [inputs.connections, inputs.blocked, inputs.dismissed]) for (const id of row) exclude.add(id);
    let fallback: Found | null = null;
    // Each round excludes the unconnected users the last one found, so the next reaches further out.
    for (let round = 0; round < ACTIVE_ROUNDS; round++) {
      const found = await this.search(store, inputs.uid, exclude);
      if (!found) break;
      fallback ??= found;
      if (found.users.degree.some((d) => d > 0)) return withCandidates(inputs, this.pool.metric, pick(found, (i) => found.users.degree[i] > 0));
      for (const id of found.ids) exclude.add(id);
    }
    this.unconnectedOnly += fallback ? 1 : 0;
    return fallback ? withCandidates(inputs, this.pool.metric, fallback) : inputs;
  }

  /** The k nearest users not excluded, with their profiles; null when the search failed or found nobody. */
  private async search(store: OnlineStore, uid: number, exclude: Set<number>): Promise<Found | null> {
    const hits = await this.pool.searchUser(uid, { k: this.k, exclude }).catch(() => {
      this.failures++;
      return null;
    });
    if (!hits || hits.ids.length === 0) return null;
    return { ids: hits.ids, distances: hits.distances, users: await store.profiles(hits.ids) };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * The bundle's ANN index on worker threads, when it has one and the configuration asks for ANN candidates.
 * The index is an extra candidate source: when it cannot be opened (a read-only state folder, a broken
 * index, the addon missing) the caller is told why and serves without it.
 */
export async function openAnn(config: Config, bundleDir: string, version: string, onError: (err: unknown) => void): Promise<AnnCandidates | null> {
  if (config.annCandidates === 0) return null;
  try {
    const stateDir = config.annStateDir ?? `${resolve(bundleDir)}.ann-state`;
    return await AnnCandidates.open(bundleDir, version, { k: config.annCandidates, workers: config.annWorkers, stateDir, logWriter: config.annLogWriter });
  } catch (err) {
    onError(err);
    return null;
  }
}

/** Closes an index still serving searches after a swap, once those have had `graceMs` to finish. */
export function closeLater(ann: AnnCandidates | null | undefined, graceMs = 10_000): void {
  if (ann) setTimeout(() => void ann.close(), graceMs).unref();
}

/** The found users at the positions `keep` accepts, profiles included. */
function pick(f: Found, keep: (i: number) => boolean): Found {
  const at = Array.from({ length: f.ids.length }, (_, i) => i).filter(keep);
  return { ids: Int32Array.from(at, (i) => f.ids[i]), distances: Float32Array.from(at, (i) => f.distances[i]), users: selectProfileRows(f.users, at) };
}

/** The inputs with `found` as ANN candidates, scored by similarity (larger = closer for either metric). */
function withCandidates(inputs: RankingInputs, metric: string, found: Found): RankingInputs {
  const n = found.ids.length;
  // Distances are 1 − cosine for 'cos' (the pipeline's metric), squared L2 otherwise.
  const similarity = metric === 'cos' ? found.distances.map((d) => 1 - d) : found.distances.map((d) => -d);
  const features = completePairFeatures({ emb_sim: similarity, source: new Float32Array(n).fill(SOURCE_CODES.ann) }, n);
  return { ...inputs, source: 'ann', candidates: { ids: found.ids, score: similarity, features, users: found.users } };
}
