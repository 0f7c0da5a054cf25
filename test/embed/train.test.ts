import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyInputs, listInputs } from '../../src/embed/features.js';
import { embedAll, towerAll } from '../../src/embed/infer.js';
import { Rng } from '../../src/core/rng.js';
import { filterGraph, pairHash, trainModel, twoHopNegative, type TrainOptions } from '../../src/embed/train.js';
import { rocAuc } from '../../src/eval/metrics.js';
import { sampleNonEdges } from '../../src/graph/splits.js';
import { plantedPartition } from './helpers.js';

const SMALL: Partial<TrainOptions> = { dim: 8, hidden: 16, fanouts: [5, 5], batchSize: 32, epochs: 12, patience: 0, lr: 0.02, identity: true, validFrac: 0 };

test('a tiny planted-partition graph is fitted: the groups are recovered and held-out edges score above non-edges', () => {
  const { g, group } = plantedPartition(4, 15, 0.45, 0.02, 3);
  // Hold out every 8th pair (by hash) and learn from the rest.
  const held = (u: number, v: number): boolean => pairHash(u, v, 99) % 8 === 0;
  const train = filterGraph(g, (u, v) => !held(u, v));
  const test = filterGraph(g, held);
  const r = trainModel({ graph: train, inputs: emptyInputs(g.n), spec: { kind: 'list', dim: 0 } }, { ...SMALL, seed: 4 });
  assert.ok(r.rounds.length >= 12 * 4 - 1, 'every mask round of every epoch ran');
  assert.ok(r.rounds[r.rounds.length - 1].loss < r.rounds[0].loss, 'the loss went down');
  const E = embedAll(r.model, train, emptyInputs(g.n));
  const d = r.model.config.dim;
  const dot = (u: number, v: number): number => {
    let s = 0;
    for (let k = 0; k < d; k++) s += E[u * d + k] * E[v * d + k];
    return s;
  };
  const pos: number[] = [];
  for (let u = 0; u < g.n; u++) for (const v of test.neighbors(u)) if (u < v) pos.push(dot(u, v));
  const negT = sampleNonEdges(g, pos.length, 5);
  const neg = Array.from({ length: negT.count }, (_, i) => dot(negT.src[i], negT.dst[i]));
  // Within a group, edges and non-edges look alike, so ~0.87 is the ceiling here; random scores give 0.5.
  const auc = rocAuc(pos, neg);
  assert.ok(auc > 0.75, `held-out AUC ${auc}`);
  const same: number[] = [];
  const across: number[] = [];
  for (let u = 0; u < g.n; u++) for (let v = u + 1; v < g.n; v++) (group[u] === group[v] ? same : across).push(dot(u, v));
  const groupAuc = rocAuc(same, across);
  assert.ok(groupAuc > 0.97, `same-group pairs vs cross-group pairs: AUC ${groupAuc}`);
});

test('training is deterministic for a seed and differs across seeds', () => {
  const { g } = plantedPartition(3, 10, 0.5, 0.05, 8);
  const inputs = listInputs(Array.from({ length: g.n }, (_, u) => [u % 4, 4 + (u % 3)]), 7);
  const spec = { kind: 'list' as const, dim: 7 };
  const opts = { ...SMALL, epochs: 3, hardNegatives: 0.5, towerWeight: 0.5, alignWeight: 0.1, dropout: 0.3, validFrac: 0.1 };
  const a = trainModel({ graph: g, inputs, spec }, { ...opts, seed: 1 });
  const b = trainModel({ graph: g, inputs, spec }, { ...opts, seed: 1 });
  const c = trainModel({ graph: g, inputs, spec }, { ...opts, seed: 2 });
  for (const k of Object.keys(a.model.params) as (keyof typeof a.model.params)[]) {
    assert.deepEqual(a.model.params[k], b.model.params[k], `parameter ${k} differs between two runs with seed 1`);
  }
  assert.deepEqual(embedAll(a.model, g, inputs), embedAll(b.model, g, inputs));
  assert.notDeepEqual(a.model.params.W2, c.model.params.W2);
});

test('filterGraph keeps exactly the chosen pairs in both directions; 2-hop negatives are at distance two', () => {
  const { g } = plantedPartition(3, 8, 0.5, 0.1, 4);
  const keep = (u: number, v: number): boolean => (u + v) % 3 !== 0;
  const f = filterGraph(g, keep);
  for (let u = 0; u < g.n; u++) {
    for (let v = 0; v < g.n; v++) assert.equal(f.hasEdge(u, v), g.hasEdge(u, v) && keep(Math.min(u, v), Math.max(u, v)), `${u}-${v}`);
  }
  const rng = new Rng(1);
  let found = 0;
  for (let u = 0; u < g.n; u++) {
    const w = twoHopNegative(g, f, u, rng);
    if (w < 0) continue;
    found++;
    assert.ok(w !== u && !g.hasEdge(u, w), `${w} is not a non-neighbour of ${u}`);
    assert.ok(Array.from(f.neighbors(u)).some((x) => f.hasEdge(x, w)), `${w} is not two steps from ${u}`);
  }
  assert.ok(found > g.n / 2);
});

test('the profile tower lands in the GNN space: unit norm, aligned with the user\'s GNN vector, ranks like it', () => {
  const { g, group } = plantedPartition(4, 12, 0.5, 0.02, 12);
  // Each user's profile: its group's feature plus one of three noise features.
  const inputs = listInputs(Array.from({ length: g.n }, (_, u) => [group[u], 4 + (u % 3)]), 7);
  const r = trainModel({ graph: g, inputs, spec: { kind: 'list', dim: 7 } }, { ...SMALL, identity: false, epochs: 8, towerWeight: 0.5, alignWeight: 0.2, seed: 2 });
  const E = embedAll(r.model, g, inputs);
  const P = towerAll(r.model, inputs);
  const d = r.model.config.dim;
  const dot = (X: Float32Array, u: number, Y: Float32Array, v: number): number => {
    let s = 0;
    for (let k = 0; k < d; k++) s += X[u * d + k] * Y[v * d + k];
    return s;
  };
  let align = 0;
  for (let u = 0; u < g.n; u++) {
    assert.ok(Math.abs(dot(P, u, P, u) - 1) < 1e-4 && Math.abs(dot(E, u, E, u) - 1) < 1e-4, `norms of user ${u}`);
    align += dot(P, u, E, u) / g.n;
  }
  assert.ok(align > 0.5, `mean cosine between a user's tower and GNN vectors: ${align}`);
  const same: number[] = [];
  const across: number[] = [];
  for (let u = 0; u < g.n; u++) for (let v = 0; v < g.n; v++) if (u !== v) (group[u] === group[v] ? same : across).push(dot(P, u, E, v));
  const auc = rocAuc(same, across);
  assert.ok(auc > 0.95, `tower query vs GNN candidates, same group vs other groups: AUC ${auc}`);
});
