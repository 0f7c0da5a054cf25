/**
 * Which users' embeddings can change when the graph and profiles change but the model does not: the rule
 * the incremental embed stage (pipeline/stages/keptEmbed.ts) re-embeds by.
 *
 * A user's vector (infer.ts embedAll) is a function of its layer-2 sample S2(u) of neighbours, h1 of u and
 * of S2(u), and h1(w) of its own inputs, its layer-1 sample S1(w) and those users' inputs. Samples are seeded
 * per user and drawn from that user's neighbour list alone (sampleNeighbours). So, with the same model,
 * fanouts and seed, u's vector can differ only if
 *   - u is new, or u's neighbour list or inputs changed, or
 *   - some w in S2(u) has a changed h1: w's neighbour list or inputs changed, or a user in S1(w) has
 *     changed inputs.
 * This is the 2-hop neighbourhood of the changed users, restricted to the neighbours the encoder samples.
 * Every other user's vector is bit-identical to the earlier one, so copying it is exact.
 */
import type { Graph } from '../graph/csr.js';
import type { NodeInputs } from './features.js';
import { LAYER_SEEDS, sampleNeighbours } from './infer.js';

export interface AffectedEmbeddings {
  /** 1 = re-embed (the vector may differ), per user of the new graph. */
  marked: Uint8Array;
  /** Users whose neighbour list changed or who are new. */
  connectionsChanged: number;
  /** Users of both graphs whose input row (profile) changed. */
  inputsChanged: number;
  count: number;
}

/** Whether user u's neighbour lists in g0 and g1 are the same (u < g0.n). */
function sameNeighbours(g0: Graph, g1: Graph, u: number): boolean {
  const [a, z] = [g0.offsets[u], g0.offsets[u + 1]];
  const b = g1.offsets[u];
  if (z - a !== g1.offsets[u + 1] - b) return false;
  for (let i = 0; i < z - a; i++) if (g0.targets[a + i] !== g1.targets[b + i]) return false;
  return true;
}

/** Whether user u's input rows in i0 and i1 are the same (u < i0.n). */
function sameInputs(i0: NodeInputs, i1: NodeInputs, u: number): boolean {
  const [a, z] = [i0.offsets[u], i0.offsets[u + 1]];
  const b = i1.offsets[u];
  if (z - a !== i1.offsets[u + 1] - b) return false;
  for (let i = 0; i < z - a; i++) if (i0.index[a + i] !== i1.index[b + i] || !Object.is(i0.value[a + i], i1.value[b + i])) return false;
  return true;
}

/**
 * The users of (g1, i1) whose embedding by one model may differ from their embedding in (g0, i0), for
 * inference with `fanouts` and `seed` (dense ids stable: g0's users are g1's first g0.n).
 */
export function affectedEmbeddings(g0: Graph, i0: NodeInputs, g1: Graph, i1: NodeInputs, fanouts: [number, number], seed: number): AffectedEmbeddings {
  const n = g1.n;
  const n0 = g0.n;
  const nbChanged = new Uint8Array(n);
  const x = new Uint8Array(n);
  let connectionsChanged = 0;
  let inputsChanged = 0;
  for (let u = 0; u < n; u++) {
    if (u >= n0) {
      nbChanged[u] = x[u] = 1;
      connectionsChanged++;
      continue;
    }
    if (!sameNeighbours(g0, g1, u)) (nbChanged[u] = 1), connectionsChanged++;
    if (!sameInputs(i0, i1, u)) (x[u] = 1), inputsChanged++;
  }
  const buf = new Int32Array(Math.max(fanouts[0], fanouts[1]));
  // h1(w) changed: own inputs or neighbour list, or the inputs of a user in its layer-1 sample.
  const h1 = new Uint8Array(n);
  for (let w = 0; w < n; w++) {
    if (x[w] || nbChanged[w]) {
      h1[w] = 1;
      continue;
    }
    const c = sampleNeighbours(g1, w, fanouts[0], LAYER_SEEDS.layer1(seed), buf);
    for (let q = 0; q < c; q++) if (x[buf[q]]) (h1[w] = 1), (q = c);
  }
  const marked = new Uint8Array(n);
  let count = 0;
  for (let u = 0; u < n; u++) {
    let m = h1[u] || nbChanged[u];
    if (!m) {
      const c = sampleNeighbours(g1, u, fanouts[1], LAYER_SEEDS.layer2(seed), buf);
      for (let q = 0; q < c; q++) if (h1[buf[q]]) (m = 1), (q = c);
    }
    marked[u] = m;
    count += m;
  }
  return { marked, connectionsChanged, inputsChanged, count };
}
