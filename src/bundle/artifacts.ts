/**
 * The bundle's artifacts: one name and one column spec each, used by the stage that writes them and by
 * every reader, so writer and reader can never disagree.
 */
import type { ColumnSpec } from './binary.js';

export const ARTIFACTS = {
  /** External user ids, index = dense id (JSON string array). */
  ids: 'users/ids.json',
  /** Dictionaries of the categorical profile fields (JSON: field → string array). */
  dicts: 'users/dicts.json',
  profiles: 'users/profiles.bin',
  connections: 'data/connections.bin',
  events: 'data/events.bin',
  importReport: 'data/import-report.json',
  /** Every rejected input row, one JSON object per line: {file, line, reason, message, text}. */
  rejects: 'data/rejects.jsonl',
  graph: 'graph/graph.bin',
  exclusions: 'graph/exclusions.bin',
  candidates: 'candidates/two-hop.bin',
  /** Log-derived and path pair features of the stored candidates, row-aligned with `candidates` (EXTRA_PAIR_FEATURES). */
  pairExtra: 'candidates/pair-extra.bin',
  lists: 'lists/static.bin',
  /** Incremental runs only (JSON {since, users}): the users whose rows each per-user stage recomputed against bundle `since`. */
  recomputedCandidates: 'candidates/recomputed.json',
  recomputedPairExtra: 'candidates/pair-extra-recomputed.json',
  recomputedLists: 'lists/recomputed.json',
} as const;

export const PROFILE_COLUMNS = {
  company: 'int32',
  school: 'int32',
  location: 'int32',
  industry: 'int32',
  seniority: 'int8',
  joinedAt: 'uint32',
  flags: 'uint8',
} as const satisfies ColumnSpec;

export const EDGE_COLUMNS = { src: 'int32', dst: 'int32', ts: 'uint32' } as const satisfies ColumnSpec;
export const EVENT_COLUMNS = { type: 'uint8', actor: 'int32', target: 'int32', ts: 'uint32' } as const satisfies ColumnSpec;
export const GRAPH_COLUMNS = { offsets: 'int32', targets: 'int32', times: 'uint32' } as const satisfies ColumnSpec;
export const EXCLUSION_COLUMNS = {
  blockedOffsets: 'int32',
  blockedTargets: 'int32',
  dismissedOffsets: 'int32',
  dismissedTargets: 'int32',
} as const satisfies ColumnSpec;
export const CANDIDATE_COLUMNS = {
  offsets: 'int32',
  cand: 'int32',
  score: 'float32',
  cn: 'float32',
  aa: 'float32',
  ra: 'float32',
  jaccard: 'float32',
  pa: 'float32',
} as const satisfies ColumnSpec;
export const LIST_COLUMNS = { offsets: 'int32', cand: 'int32', score: 'float32' } as const satisfies ColumnSpec;
export const PAIR_EXTRA_COLUMNS = {
  views_out: 'float32',
  views_in: 'float32',
  impressions: 'float32',
  rejections: 'float32',
  emb_sim: 'float32',
  source: 'float32',
  p3: 'float32',
  ra3: 'float32',
  p4: 'float32',
  ra4: 'float32',
  ch2: 'float32',
  cn_links: 'float32',
  ra_ch: 'float32',
} as const satisfies ColumnSpec;
