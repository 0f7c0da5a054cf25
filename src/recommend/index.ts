/**
 * The one recommend core: candidates (stored list, live 2-hop, ANN) → features in one store call → one
 * scorer batch → business rules → top-K with reasons. The server calls it per request, the pipeline's lists
 * stage for every user and `pymk recommend` from the command line.
 */
export { coreFor, rankUser, rankUsers, recommend, type RecommendDeps, type Recommendation, type RecommendResult, type RankedUser } from './recommend.js';
export { applyRules, exclusionReason, rulesOf, EXCLUSION_REASONS, type ExclusionReason, type RuleConfig, type RuleOutcome } from './rules.js';
export { buildReasons, type Reason } from './reasons.js';
export { AnnCandidates, openAnn, closeLater, ANN_CLOSE_GRACE_MS, type AnnCandidateOptions, type UserSearcher } from './ann.js';
