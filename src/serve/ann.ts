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
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_ANN_MANIFEST, servingSpec } from '../ann/open.js';
import type { Config } from '../core/config.js';
import { SearchPool } from '../ann/pool.js';
import { SOURCE_CODES } from '../rank/schema.js';
import { completePairFeatures } from '../store/snapshot.js';
import type { OnlineStore, RankingInputs } from '../store/types.js';

export interface AnnCandidateOptions {
  /** Candidates fetched per user. */
  k: number;
  /** Worker threads searching the index. */
  workers: number;
  /** Where the index's recent tier keeps its log (users added online since the build). */
  stateDir: string;
}

export class AnnCandidates {
  /** Searches that failed (a worker died, the pool closed): those users got no ANN candidates. */
  failures = 0;

  private constructor(
    private readonly pool: SearchPool,
    private readonly k: number,
  ) {}

  /** Starts the search workers over a bundle's index; null when the bundle has no ANN index. */
  static async open(bundleDir: string, version: string, opts: AnnCandidateOptions): Promise<AnnCandidates | null> {
    if (!existsSync(join(bundleDir, BUNDLE_ANN_MANIFEST))) return null;
    const pool = await SearchPool.start({ spec: servingSpec(bundleDir, version, opts.stateDir), workers: opts.workers });
    return new AnnCandidates(pool, opts.k);
  }

  /**
   * The inputs with the user's nearest neighbours as candidates (source 'ann', score = similarity), or the
   * inputs unchanged when the user has no embedding, nothing is left after the exclusions, or the search
   * failed (counted in `failures`): the index is an extra source, so its failure degrades to "no candidates"
   * rather than failing the request.
   */
  async fill(store: OnlineStore, inputs: RankingInputs): Promise<RankingInputs> {
    const exclude = new Set<number>([inputs.uid]);
    for (const row of [inputs.connections, inputs.blocked, inputs.dismissed]) for (const id of row) exclude.add(id);
    const hits = await this.pool.searchUser(inputs.uid, { k: this.k, exclude }).catch(() => {
      this.failures++;
      return null;
    });
    if (!hits || hits.ids.length === 0) return inputs;
    const n = hits.ids.length;
    // Distances are 1 − cosine for 'cos' (the pipeline's metric), squared L2 otherwise: larger = closer either way.
    const similarity = Float32Array.from(hits.distances, (d) => (this.pool.metric === 'cos' ? 1 - d : -d));
    const features = completePairFeatures({ emb_sim: similarity, source: new Float32Array(n).fill(SOURCE_CODES.ann) }, n);
    return { ...inputs, source: 'ann', candidates: { ids: hits.ids, score: similarity, features, users: await store.profiles(hits.ids) } };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** The bundle's ANN index on worker threads, when it has one and the configuration asks for ANN candidates. */
export function openAnn(config: Config, bundleDir: string, version: string): Promise<AnnCandidates | null> {
  if (config.annCandidates === 0) return Promise.resolve(null);
  return AnnCandidates.open(bundleDir, version, { k: config.annCandidates, workers: config.annWorkers, stateDir: config.annStateDir ?? `${bundleDir}.ann-state` });
}
