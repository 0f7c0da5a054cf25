/**
 * Scorers turn a user's RankingInputs into one score per candidate, in one batch. Registry by name of the
 * heuristic scorers; the ONNX ranker (src/rank/scorer.ts) is loaded from a bundle that carries a model
 * (src/rank/select.ts picks between them by the `scorer` setting).
 */
import { unknownName } from '../core/errors.js';
import { PAIR_FEATURES, type PairFeature } from '../store/snapshot.js';
import type { RankingInputs } from '../store/types.js';

export interface Scorer {
  readonly name: string;
  /** One score per candidate; a model scorer answers asynchronously (one ONNX Runtime run). */
  score(inputs: RankingInputs): Float32Array | Promise<Float32Array>;
  /** Many users' candidates in one call (the ONNX ranker: one run), aligned with `inputs`; optional. */
  scoreBatch?(inputs: RankingInputs[]): Promise<Float32Array[]>;
  /** Frees native resources once the runs in flight have finished (model scorers). */
  dispose?(): void;
}

/** The score computed when the candidate list was built (2-hop Adamic-Adar by default). */
const stored: Scorer = { name: 'stored', score: (inputs) => inputs.candidates.score };

function byFeature(f: PairFeature): Scorer {
  return { name: f, score: (inputs) => inputs.candidates.features[f] };
}

const SCORERS: Record<string, Scorer> = {
  stored,
  ...Object.fromEntries(PAIR_FEATURES.map((f) => [f, byFeature(f)])),
};

/** Names of the heuristic scorers. */
export function heuristicNames(): string[] {
  return Object.keys(SCORERS);
}

export function heuristicScorer(name: string): Scorer {
  const s = SCORERS[name];
  if (!s) throw unknownName('scorer', name, Object.keys(SCORERS));
  return s;
}

/** Candidate indices sorted by score descending; ties broken by candidate id ascending (deterministic). */
export function rankOrder(scores: Float32Array, ids: Int32Array): Int32Array {
  const order = new Int32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => scores[b] - scores[a] || ids[a] - ids[b]);
  return order;
}
