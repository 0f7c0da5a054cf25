/**
 * The one recommend core: candidates (stored list, live 2-hop, ANN) → features in one store call → one
 * scorer batch → business rules → top-K with reasons. The server calls it per request, the pipeline's lists
 * stage for every user and `pymk recommend` from the command line.
 */
export { coreFor, rankUser, rankUsers, recommend, type RecommendDeps, type RecommendOptions, type Recommendation, type RecommendResult, type RankedUser } from './recommend.js';
export { applyRules, emptyTrace, exclusionReason, rulesOf, EXCLUSION_REASONS, type ExclusionReason, type RuleConfig, type RuleOutcome, type RuleTrace } from './rules.js';
export { explain, originOf, MAX_EXPLAINED, type CandidateOrigin, type CardExplanation, type Explanation } from './explain.js';
export { buildReasons, type Reason } from './reasons.js';
export { AnnCandidates, openAnn, closeLater, ANN_CLOSE_GRACE_MS, type AnnCandidateOptions, type UserSearcher } from './ann.js';
