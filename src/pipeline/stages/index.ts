/** The default pipeline: ingest → graph → candidates (2-hop) → static lists. */
import type { Stage } from '../stage.js';
import { CANDIDATE_DEFAULTS, candidatesStage, type CandidateParams } from './candidates.js';
import { graphStage } from './graph.js';
import { ingestStage } from './ingest.js';
import { LIST_DEFAULTS, listsStage, type ListParams } from './lists.js';

export interface PipelineParams {
  candidates: CandidateParams;
  lists: ListParams;
  maxBadRows?: number;
}

export const PIPELINE_DEFAULTS: PipelineParams = { candidates: CANDIDATE_DEFAULTS, lists: LIST_DEFAULTS };

export function defaultStages(p: PipelineParams = PIPELINE_DEFAULTS): Stage[] {
  return [ingestStage({ maxBadRows: p.maxBadRows }), graphStage(), candidatesStage(p.candidates), listsStage(p.lists)];
}
