/**
 * The recommend core: candidates → features → score → rules → top-K with reasons. The server calls it per
 * request; the pipeline calls `rankUser` for every user to build the static lists.
 */
import type { Config } from '../core/config.js';
import { PymkError } from '../core/errors.js';
import type { CandidateSource, OnlineStore, RankingInputs } from '../store/types.js';
import type { AnnCandidates } from './ann.js';
import { buildReasons, type Reason } from './reasons.js';
import { applyRules, type RuleConfig, type RuleOutcome } from './rules.js';
import { heuristicScorer, rankOrder, type Scorer } from './scorer.js';

export interface RecommendDeps {
  store: OnlineStore;
  scorer: Scorer;
  rules: RuleConfig;
  /** Candidates from the ANN index for users the store has none for (absent: such users get none). */
  ann?: AnnCandidates | null;
}

/** The recommend dependencies for a store, with the rules and scorer the configuration asks for. */
export function coreFor(store: OnlineStore, config: Config, scorer: Scorer = heuristicScorer('stored'), ann: AnnCandidates | null = null): RecommendDeps {
  return {
    store,
    scorer,
    rules: { maxPerCompany: config.maxPerCompany, maxPerSchool: config.maxPerSchool, backfill: config.diversityBackfill },
    ann,
  };
}

export interface Recommendation {
  id: string;
  score: number;
  reasons: Reason[];
}

export interface RecommendResult {
  user: string;
  version: string;
  source: CandidateSource | 'static' | 'stale-cache';
  recommendations: Recommendation[];
}

export interface RankedUser {
  inputs: RankingInputs;
  scores: Float32Array;
  outcome: RuleOutcome;
}

/** Scores and filters one user's candidates; no id mapping, no reasons (the offline hot path). */
export async function rankUser(deps: RecommendDeps, uid: number, limit: number): Promise<RankedUser> {
  let inputs = await deps.store.fetchRankingInputs(uid);
  if (inputs.source === 'none' && deps.ann) inputs = await deps.ann.fill(deps.store, inputs);
  // ANN candidates keep their similarity as the score (serve/ann.ts says why the model does not rank them).
  const scores = inputs.source === 'ann' ? inputs.candidates.score : await deps.scorer.score(inputs);
  if (scores.length !== inputs.candidates.ids.length) {
    throw new PymkError('PYMK_INTERNAL', `scorer '${deps.scorer.name}' returned ${scores.length} scores for ${inputs.candidates.ids.length} candidates`);
  }
  const outcome = applyRules(inputs, rankOrder(scores, inputs.candidates.ids), deps.rules, limit);
  return { inputs, scores, outcome };
}

/** The full online answer for an external user id. Unknown user → PYMK_USER_NOT_FOUND. */
export async function recommend(deps: RecommendDeps, userId: string, limit: number): Promise<RecommendResult> {
  const uid = await deps.store.resolveUser(userId);
  if (uid === null) throw new PymkError('PYMK_USER_NOT_FOUND', `user '${userId}' not found`);
  const { inputs, scores, outcome } = await rankUser(deps, uid, limit);
  const picked = outcome.picked;
  const [ids, reasons] = await Promise.all([
    deps.store.externalIds(picked.map((i) => inputs.candidates.ids[i])),
    buildReasons(deps.store, inputs, picked),
  ]);
  return {
    user: userId,
    version: deps.store.version(),
    source: inputs.source,
    recommendations: picked.map((i, j) => ({ id: ids[j], score: round(scores[i]), reasons: reasons[j] })),
  };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
