/**
 * The recommend core: candidates → features → score → rules → top-K with reasons. The server calls it per
 * request; the pipeline calls `rankUser` for every user to build the static lists.
 */
import type { Config } from '../core/config.js';
import { PymkError } from '../core/errors.js';
import type { CandidateSource, OnlineStore, RankingInputs } from '../store/types.js';
import type { AnnCandidates } from './ann.js';
import type { ColdStart } from './coldStart.js';
import { buildReasons, type Reason } from './reasons.js';
import { applyRules, emptyTrace, rulesOf, type RuleConfig, type RuleOutcome, type RuleTrace } from './rules.js';
import { explain, type CardExplanation, type Explanation } from './explain.js';
import { heuristicScorer, rankOrder } from '../rank/heuristic.js';
import type { Scorer } from '../rank/scorer.js';

export interface RecommendDeps {
  store: OnlineStore;
  scorer: Scorer;
  rules: RuleConfig;
  /** Candidates from the ANN index for users the store has none for (absent: such users get none). */
  ann?: AnnCandidates | null;
  /** Candidates by shared profile values for users no other source found anybody for (absent: none). */
  coldStart?: ColdStart | null;
}

/** The recommend dependencies for a store, with the rules and scorer the configuration asks for. */
export function coreFor(
  store: OnlineStore,
  config: Config,
  scorer: Scorer = heuristicScorer('stored'),
  ann: AnnCandidates | null = null,
  coldStart: ColdStart | null = null,
): RecommendDeps {
  return {
    store,
    scorer,
    rules: rulesOf(config),
    ann,
    coldStart,
  };
}

export interface Recommendation {
  id: string;
  score: number;
  reasons: Reason[];
  /** With the explain option: where the card came from and where it ranked (explain.ts). */
  explain?: CardExplanation;
}

/**
 * Which path served an answer: the full path or one of the server's fallbacks (serve/degrade.ts says when
 * each is taken). `pymk recommend` and the lists stage run the full path only.
 */
export const ANSWER_PATHS = ['full', 'heuristic', 'static', 'local-static', 'local-2hop', 'stale-cache'] as const;
export type AnswerPath = (typeof ANSWER_PATHS)[number];
/** Why an answer is not the full path's. */
export const DEGRADE_REASONS = ['overload', 'store-failed', 'store-timeout', 'store-breaker-open', 'ranker-unavailable'] as const;
export type DegradeReason = (typeof DEGRADE_REASONS)[number];

export interface RecommendResult {
  user: string;
  version: string;
  source: CandidateSource | 'static' | 'stale-cache';
  /** The path that served it (set by the server; absent from the recommend core itself). */
  path?: AnswerPath;
  /** Why it is not the full path's answer (overload, store-failed, …): absent on the full path. */
  degraded?: DegradeReason;
  recommendations: Recommendation[];
  /** With the explain option: the path, the scorer, and what the rules removed or demoted (explain.ts). */
  explain?: Explanation;
}

export interface RankedUser {
  inputs: RankingInputs;
  scores: Float32Array;
  outcome: RuleOutcome;
  /** Candidate indices in scored order, best first (what the rules walked). */
  order: ArrayLike<number>;
}

/**
 * Scores and filters one user's candidates; no id mapping, no reasons (the offline hot path). With `trace`,
 * the rules record their decisions in it (the explain option).
 */
export async function rankUser(deps: RecommendDeps, uid: number, limit: number, trace?: RuleTrace, onStage?: StageClock): Promise<RankedUser> {
  if (!onStage) {
    const inputs = await inputsFor(deps, uid);
    return ranked(deps, inputs, byModel(inputs) ? await deps.scorer.score(inputs) : inputs.candidates.score, limit, trace);
  }
  let t = performance.now();
  const lap = (stage: Stage): void => {
    const now = performance.now();
    onStage(stage, (now - t) / 1000);
    t = now;
  };
  let inputs = await deps.store.fetchRankingInputs(uid);
  lap('inputs');
  if (inputs.source === 'none' && (deps.ann || deps.coldStart)) {
    inputs = await coldSources(deps, inputs);
    lap('ann');
  }
  const scores = byModel(inputs) ? await deps.scorer.score(inputs) : inputs.candidates.score;
  lap('score');
  const r = ranked(deps, inputs, scores, limit, trace);
  lap('rules');
  return r;
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

/** The store's inputs; for a user it has no candidates for, the ANN index's or the profile cold start's. */
async function inputsFor(deps: RecommendDeps, uid: number): Promise<RankingInputs> {
  const inputs = await deps.store.fetchRankingInputs(uid);
  return inputs.source === 'none' ? coldSources(deps, inputs) : inputs;
}

/** For a user without candidates: the ANN index's neighbours, else users sharing profile values. */
async function coldSources(deps: RecommendDeps, inputs: RankingInputs): Promise<RankingInputs> {
  const viaAnn = deps.ann ? await deps.ann.fill(deps.store, inputs) : inputs;
  return viaAnn.source === 'none' && deps.coldStart ? deps.coldStart.fill(deps.store, viaAnn) : viaAnn;
}

/**
 * ANN and profile candidates keep their own score (similarity, shared values): the model is trained on
 * graph candidates and has learnt nothing about them (recommend/ann.ts says why).
 */
function byModel(inputs: RankingInputs): boolean {
  return inputs.source !== 'ann' && inputs.source !== 'profile';
}

function ranked(deps: RecommendDeps, inputs: RankingInputs, scores: Float32Array, limit: number, trace?: RuleTrace): RankedUser {
  if (scores.length !== inputs.candidates.ids.length) {
    throw new PymkError('PYMK_INTERNAL', `scorer '${deps.scorer.name}' returned ${scores.length} scores for ${inputs.candidates.ids.length} candidates`);
  }
  const order = rankOrder(scores, inputs.candidates.ids);
  const outcome = applyRules(inputs, order, deps.rules, limit, trace);
  return { inputs, scores, outcome, order };
}

/** The stages of the recommend path, as timed by `RecommendOptions.onStage` (pymk_stage_duration_seconds). */
export const STAGES = ['resolve', 'inputs', 'ann', 'score', 'rules', 'reasons'] as const;
export type Stage = (typeof STAGES)[number];
/** Told how long each stage took, in seconds (the ANN stage only when it ran). */
export type StageClock = (stage: Stage, seconds: number) => void;

export interface RecommendOptions {
  /** Record the rules' decisions and explain the answer (explain.ts); the answer itself is the same. */
  explain?: boolean;
  /** Time the stages (the serving metrics); absent, nothing is timed. */
  onStage?: StageClock;
  /** The user's dense id, already being read (the server starts it beside its L2 lookup); absent, read here. */
  resolved?: Promise<number | null>;
}

/** The full online answer for an external user id. Unknown user → PYMK_USER_NOT_FOUND. */
export async function recommend(deps: RecommendDeps, userId: string, limit: number, opts: RecommendOptions = {}): Promise<RecommendResult> {
  const t0 = opts.onStage ? performance.now() : 0;
  const uid = await (opts.resolved ?? deps.store.resolveUser(userId));
  if (uid === null) throw new PymkError('PYMK_USER_NOT_FOUND', `user '${userId}' not found`);
  const t1 = opts.onStage ? performance.now() : 0;
  opts.onStage?.('resolve', (t1 - t0) / 1000);
  const trace = opts.explain ? emptyTrace() : undefined;
  const { inputs, scores, outcome, order } = await rankUser(deps, uid, limit, trace, opts.onStage);
  const t2 = opts.onStage ? performance.now() : 0;
  const picked = outcome.picked;
  const [ids, reasons, why] = await Promise.all([
    deps.store.externalIds(picked.map((i) => inputs.candidates.ids[i])),
    buildReasons(deps.store, inputs, picked),
    trace ? explain(deps.store, { inputs, order, outcome, trace, scorer: byModel(inputs) ? deps.scorer.name : 'similarity', rules: deps.rules }) : null,
  ]);
  const result: RecommendResult = {
    user: userId,
    version: deps.store.version(),
    source: inputs.source,
    recommendations: picked.map((i, j) => ({ id: ids[j], score: round(scores[i]), reasons: reasons[j], ...(why ? { explain: why.cards[j] } : {}) })),
  };
  if (why) result.explain = why.explanation;
  opts.onStage?.('reasons', (performance.now() - t2) / 1000);
  return result;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
