/**
 * The recommend core: candidates → features → score → rules → top-K with reasons. The server calls it per
 * request; the pipeline calls `rankUser` for every user to build the static lists.
 */
import type { Config } from '../core/config.js';
import { PymkError } from '../core/errors.js';
import type { CandidateSource, OnlineStore, RankingInputs } from '../store/types.js';
import type { AnnCandidates } from './ann.js';
import { buildReasons, type Reason } from './reasons.js';
import { applyRules, rulesOf, type RuleConfig, type RuleOutcome } from './rules.js';
import { heuristicScorer, rankOrder } from '../rank/heuristic.js';
import type { Scorer } from '../rank/scorer.js';

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
    rules: rulesOf(config),
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
  const inputs = await inputsFor(deps, uid);
  return ranked(deps, inputs, byModel(inputs) ? await deps.scorer.score(inputs) : inputs.candidates.score, limit);
}

/**
 * rankUser for many users at once (the static lists): the same answers, but a scorer that scores a batch
 * (the ONNX ranker) runs once for all of them instead of once per user.
 */
export async function rankUsers(deps: RecommendDeps, uids: ArrayLike<number>, limit: number): Promise<RankedUser[]> {
  const inputs = await Promise.all(Array.from(uids, (u) => inputsFor(deps, u)));
  const scorer = deps.scorer;
  const modelled = inputs.filter(byModel);
  const scores = scorer.scoreBatch ? await scorer.scoreBatch(modelled) : await Promise.all(modelled.map((i) => scorer.score(i)));
  let m = 0;
  return inputs.map((i) => ranked(deps, i, byModel(i) ? scores[m++] : i.candidates.score, limit));
}

/** The store's inputs; for a user it has no candidates for, the ANN index's when there is one. */
async function inputsFor(deps: RecommendDeps, uid: number): Promise<RankingInputs> {
  const inputs = await deps.store.fetchRankingInputs(uid);
  return inputs.source === 'none' && deps.ann ? deps.ann.fill(deps.store, inputs) : inputs;
}

/** ANN candidates keep their similarity as the score (recommend/ann.ts says why the model does not rank them). */
function byModel(inputs: RankingInputs): boolean {
  return inputs.source !== 'ann';
}

function ranked(deps: RecommendDeps, inputs: RankingInputs, scores: Float32Array, limit: number): RankedUser {
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
