/**
 * A serving snapshot: everything one bundle version gives the online side, in columnar form. The memory store
 * serves straight from it; `pymk publish` (Redis) writes it out key by key.
 */
import type { Dictionary } from '../core/dictionary.js';
import type { ProfileTable } from '../core/tables.js';
import type { Adjacency, Graph } from '../graph/csr.js';
import { HEURISTIC_NAMES, type HeuristicName } from '../graph/heuristics.js';
import { PATH_FEATURES } from '../graph/paths.js';

export type { Adjacency };
/**
 * Pair features from the activity log and reserved slots, stored after the heuristics: profile views each
 * way, impressions, rejections (dismissals and ignored invites, either way), embedding similarity, and the
 * candidate source code (0 = 2-hop, 1 = ANN, 2 = both), and the path features (graph/paths.ts: p3, ra3, p4, ra4, ch2, cn_links, ra_ch)
 * (src/graph/paths.ts). 0 where not computed. Defined in src/rank/schema.ts.
 */
export const EXTRA_PAIR_FEATURES = ['views_out', 'views_in', 'impressions', 'rejections', 'emb_sim', 'source', ...PATH_FEATURES] as const;
/** Pair features stored with each candidate, in this order everywhere: the graph heuristics, then the extras. */
export const PAIR_FEATURES = [...HEURISTIC_NAMES, ...EXTRA_PAIR_FEATURES] as const;
export type PairFeature = HeuristicName | (typeof EXTRA_PAIR_FEATURES)[number];

/** Pair-feature columns with every column present: missing ones (e.g. heuristics only) are zero-filled. */
export function completePairFeatures(cols: Partial<Record<PairFeature, Float32Array>>, length: number): Record<PairFeature, Float32Array> {
  const out = {} as Record<PairFeature, Float32Array>;
  for (const f of PAIR_FEATURES) out[f] = cols[f] ?? new Float32Array(length);
  return out;
}

/** Per-user candidate lists, rows sorted by score descending, with pair features per entry. */
export interface CandidateLists {
  offsets: Int32Array;
  cand: Int32Array;
  score: Float32Array;
  features: Record<PairFeature, Float32Array>;
}

/** Per-user precomputed final rankings (after rules): the static fallback. */
export interface RankedLists {
  offsets: Int32Array;
  cand: Int32Array;
  score: Float32Array;
}

/** Per-user vectors, row-major (n × dim); a store may keep them compressed (f16 or i8). */
export interface Embeddings {
  dim: number;
  vectors: Float32Array;
}

export interface Snapshot {
  version: string;
  ids: Dictionary;
  profiles: ProfileTable;
  graph: Graph;
  /** Blocks in either direction, symmetric. */
  blocked: Adjacency;
  /** actor → users the actor dismissed. */
  dismissed: Adjacency;
  candidates: CandidateLists;
  lists: RankedLists | null;
  /** Optional user embeddings (from the embedding stage when a bundle has one). */
  embeddings?: Embeddings | null;
}

export function row(adj: { offsets: Int32Array; targets: Int32Array }, u: number): Int32Array {
  if (u + 1 >= adj.offsets.length) return EMPTY;
  return adj.targets.subarray(adj.offsets[u], adj.offsets[u + 1]);
}

export const EMPTY = new Int32Array(0);
