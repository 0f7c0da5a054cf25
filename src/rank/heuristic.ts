/**
 * The heuristic scorers by name (the stored score and each pair feature), and the deterministic ranking
 * order every scorer's output is read in. The ONNX ranker (scorer.ts) is loaded from a bundle that carries
 * a model; select.ts picks between them by the `scorer` setting.
 */
import { unknownName } from '../core/errors.js';
import { tieKey } from '../graph/twoHop.js';
import { PAIR_FEATURES, type PairFeature } from '../store/snapshot.js';
import type { RankingInputs } from '../store/types.js';
import type { Scorer } from './scorer.js';

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

/** Candidate indices sorted by score descending, ties by the tie rule (tieKey of the id, then the id): see twoHop.ts. */
export function rankOrder(scores: Float32Array, ids: Int32Array): Int32Array {
  const order = new Int32Array(scores.length);
  const tie = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) {
    order[i] = i;
    tie[i] = tieKey(ids[i]);
  }
  order.sort((a, b) => scores[b] - scores[a] || tie[a] - tie[b] || ids[a] - ids[b]);
  return order;
}
