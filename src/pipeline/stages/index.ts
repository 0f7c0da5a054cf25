/** The default pipeline: ingest → graph → embed → ann → candidates (2-hop) → pair features → rank (model) → static lists. */
import type { BadRowLimit } from '../../data/load.js';
import type { EdgeColumns } from '../../data/readers/edgeList.js';
import type { Source } from '../../data/sources/index.js';
import type { Partition } from '../partition.js';
import type { Stage } from '../stage.js';
import { annStage, type AnnStageParams } from './ann.js';
import { incrementalAnnStage, RECENT_TIER_DEFAULTS, type RecentTierParams } from './annIncremental.js';
import { CANDIDATE_DEFAULTS, candidatesStage, type CandidateParams } from './candidates.js';
import { EMBED_DEFAULTS, embedStage, type EmbedParams } from './embed.js';
import { graphStage } from './graph.js';
import { incrementalCandidatesStage } from './incremental.js';
import { ingestStage } from './ingest.js';
import { keptEmbedStage } from './keptEmbed.js';
import { keptRankStage } from './keptModel.js';
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
  /** An incremental run's ANN recent tier: who goes there, and when to rebuild instead (default RECENT_TIER_DEFAULTS). */
  recentTier?: Partial<RecentTierParams>;
  /** Malformed rows allowed per input file: N or "P%" of its rows (default: see data/readers/accounting.ts). */
  maxBadRows?: BadRowLimit;
  /** Rows naming users absent from a present profile file: 'keep' (flagged) or 'reject' (default: the dataset's, else keep). */
  unknownUsers?: 'keep' | 'reject';
  /** The connection file's 0-based columns (default: from a header, else `src dst [ts]`). */
  columns?: EdgeColumns;
  /** Only events after this time (epoch seconds) are read (`--events-since`); recorded as the ingest watermark. */
  eventsSince?: number;
}

export const PIPELINE_DEFAULTS: PipelineParams = { candidates: CANDIDATE_DEFAULTS, rank: RANK_DEFAULTS, lists: LIST_DEFAULTS };

/** The params with what follows from others: the ranker trains on the lists the candidates stage makes (count and settings). */
export function consistentParams(p: PipelineParams): PipelineParams {
  if (p.rank === false) return p;
  const r = p.rank ?? RANK_DEFAULTS;
  const c = p.candidates;
  const list = { score: c.score, maxFanout: c.maxFanout, hubMode: c.hubMode, exactFeatures: c.exactFeatures };
  return { ...p, rank: { ...r, examples: { ...r.examples, topN: c.topN, list } } };
}

/** The per-user stages, which a partition run computes for its users only (docs/pipeline.md#split-across-machines). */
export const PER_USER_STAGES: readonly string[] = ['candidates', 'pair-features', 'lists'];

/** The shared snapshot's stages: the default pipeline without the per-user stages (run once, read by every partition). */
export function snapshotStages(params: PipelineParams = PIPELINE_DEFAULTS, opts: { source?: Source } = {}): Stage[] {
  return defaultStages(params, opts).filter((s) => !PER_USER_STAGES.includes(s.name));
}

/** The per-user stages for one partition, run over a snapshot (`runPipeline({ base: snapshot })`). */
export function partitionStages(params: PipelineParams, partition: Partition): Stage[] {
  const p = consistentParams(params);
  return [candidatesStage(p.candidates, {}, partition), pairFeaturesStage(partition), listsStage(p.lists, partition)];
}

/**
 * `opts.incrementalFrom`: an earlier bundle whose per-user rows are patched instead of computed for everyone
 * (candidates, pair features and static lists only for the users a change touches, stages/affected.ts),
 * whose encoder is kept frozen to re-embed only the users it would embed differently (stages/keptEmbed.ts),
 * whose ANN index is kept with a recent tier for the moved users (stages/annIncremental.ts), and whose
 * ranking model is kept (stages/keptModel.ts); docs/pipeline.md#incremental-runs.
 * `opts.source`: the dataset source the ingest stage reads (default: the run's `data` input, by path or URL). */
export function defaultStages(params: PipelineParams = PIPELINE_DEFAULTS, opts: { source?: Source; incrementalFrom?: string } = {}): Stage[] {
  const p = consistentParams(params);
  const since = opts.incrementalFrom;
  const rank = p.rank === false || p.rank === undefined ? [] : [since === undefined ? rankStage(p.rank) : keptRankStage(p.rank, since)];
  const embedParams = p.embed === false ? null : (p.embed ?? EMBED_DEFAULTS);
  const embed =
    embedParams === null
      ? []
      : [
          since === undefined ? embedStage(embedParams) : keptEmbedStage(embedParams, since),
          ...(p.ann === false ? [] : [since === undefined ? annStage(p.ann ?? {}) : incrementalAnnStage(p.ann ?? {}, since, { ...RECENT_TIER_DEFAULTS, ...p.recentTier })]),
        ];
  const ingest = ingestStage({ maxBadRows: p.maxBadRows, unknownUsers: p.unknownUsers, columns: p.columns, eventsSince: p.eventsSince }, opts.source);
  const candidates = since === undefined ? candidatesStage(p.candidates) : incrementalCandidatesStage(p.candidates, since);
  return [ingest, graphStage(), ...embed, candidates, pairFeaturesStage(undefined, since), ...rank, listsStage(p.lists, undefined, since)];
}
