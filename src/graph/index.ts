/** Public surface of the graph component: CSR graph, pair heuristics, 2-hop candidates, edge splits. */
export { Graph, buildGraph, type Adjacency, type BuildOptions } from './csr.js';
export {
  HEURISTIC_NAMES,
  HEURISTICS,
  adamicAdar,
  commonNeighbors,
  emptyPairFeatures,
  heuristicName,
  jaccard,
  jaccardFrom,
  pairFeatures,
  preferentialAttachment,
  resourceAllocation,
  type HeuristicName,
  type PairFeatures,
} from './heuristics.js';
export {
  TwoHopGenerator,
  TwoHopScratch,
  twoHop,
  twoHopAll,
  type PackedCandidates,
  type TwoHopOptions,
} from './twoHop.js';
export {
  TEST,
  TRAIN,
  VALID,
  argsortU32,
  graphEdges,
  randomEdgeSplit,
  sampleNonEdges,
  selectPart,
  temporalSplit,
  uniquePairs,
  type EdgeSplit,
  type RandomSplitOptions,
  type TemporalSplitOptions,
} from './splits.js';
