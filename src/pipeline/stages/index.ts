/** The default pipeline: ingest → graph → embed → ann → candidates (2-hop) → pair features → rank (model) → static lists. */
import type { Stage } from '../stage.js';
import { annStage, type AnnStageParams } from './ann.js';
import { CANDIDATE_DEFAULTS, candidatesStage, type CandidateParams } from './candidates.js';
import { EMBED_DEFAULTS, embedStage, type EmbedParams } from './embed.js';
import { graphStage } from './graph.js';
import { ingestStage } from './ingest.js';
import { LIST_DEFAULTS, listsStage, type ListParams } from './lists.js';
import { RANK_DEFAULTS, pairFeaturesStage, rankStage, type RankParams } from './rank.js';

export interface PipelineParams {
  candidates: CandidateParams;
  lists: ListParams;
  /** The ranking model (false: no model; the lists and the server use the stored heuristic score). */
  rank?: RankParams | false;
  /** User embeddings (false: none, and then no ANN index either). */
  embed?: EmbedParams | false;
  /** The ANN index over the embeddings (false: none; serving then has no ANN candidates). */
  ann?: Partial<AnnStageParams> | false;
  maxBadRows?: number;
}

export const PIPELINE_DEFAULTS: PipelineParams = { candidates: CANDIDATE_DEFAULTS, rank: RANK_DEFAULTS, lists: LIST_DEFAULTS };

export function defaultStages(p: PipelineParams = PIPELINE_DEFAULTS): Stage[] {
  // The ranker trains on the lists the candidates stage serves: the same count, whatever the params say.
  const r = p.rank === false ? null : (p.rank ?? RANK_DEFAULTS);
  const rank = r ? [rankStage({ ...r, examples: { ...r.examples, topN: p.candidates.topN } })] : [];
  const embed = p.embed === false ? [] : [embedStage(p.embed ?? EMBED_DEFAULTS), ...(p.ann === false ? [] : [annStage(p.ann ?? {})])];
  return [ingestStage({ maxBadRows: p.maxBadRows }), graphStage(), ...embed, candidatesStage(p.candidates), pairFeaturesStage(), ...rank, listsStage(p.lists)];
}
