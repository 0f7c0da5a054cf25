import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { BlockSampler } from '../../src/embed/block.js';
import { listInputs } from '../../src/embed/features.js';
import { Grads } from '../../src/embed/grads.js';
import { jsKernels } from '../../src/embed/kernels.js';
import { Pairs, pairLoss } from '../../src/embed/loss.js';
import { PARAM_NAMES, TABLES, createModel, type Model, type ParamName } from '../../src/embed/model.js';
import { Workspace, gnnBackward, gnnForward, towerBackward, towerForward } from '../../src/embed/sage.js';
import { denseRows, graphOf } from './helpers.js';

const g = graphOf(9, [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 7], [7, 8], [8, 0], [0, 4], [2, 6], [1, 7]]);
const rng = new Rng(5);
const feats = Array.from({ length: 9 }, () => Int32Array.from({ length: 3 }, () => rng.int(6)).filter((x, i, a) => a.indexOf(x) === i));
const inputs = listInputs(feats, 6);
const kern = jsKernels();

/** The training objective on a fixed block: GNN pairs + tower pairs; with `grads`, runs the backward pass. */
function objective(m: Model, grads?: Grads): number {
  const sampler = new BlockSampler(g.n);
  sampler.begin();
  for (const u of [0, 1, 2, 3, 5, 8]) sampler.add(u);
  const block = sampler.expand(g, m.config.fanouts, new Rng(1)); // fanouts ≥ degrees: no sampling
  const pass = { dropout: 0, rng: null };
  const ws = new Workspace();
  const d = m.config.dim;
  const E = gnnForward(m, inputs, block, pass, ws, kern);
  const nTower = 4;
  const P = towerForward(m, inputs, block.nodes, nTower, pass, ws, kern);
  const pairs = new Pairs();
  pairs.push(0, 1, 1, 0.5);
  pairs.push(2, 3, 1, 0.5);
  pairs.push(0, 4, 0, 0.25);
  pairs.push(3, 5, 0, 0.25);
  const tp = new Pairs();
  tp.push(0, 1, 1, 0.3);
  tp.push(3, 2, 1, 0.3);
  tp.push(1, 5, 0, 0.2);
  const dE = new Float32Array(block.nT * d);
  const dP = new Float32Array(nTower * d);
  const gS = new Float32Array(2);
  const loss = pairLoss(E, dE, E, dE, d, pairs, m.params.logTau[0], m.params.beta[0], gS) + pairLoss(P, dP, E, dE, d, tp, m.params.logTau[0], m.params.beta[0], gS);
  if (grads) {
    grads.zero();
    grads.dense.logTau[0] = gS[0];
    grads.dense.beta[0] = gS[1];
    gnnBackward(m, inputs, block, pass, ws, kern, dE, grads);
    towerBackward(m, inputs, block.nodes, nTower, pass, ws, kern, dP, grads);
  }
  return loss;
}

test('hand-written gradients of every parameter match central finite differences', () => {
  const m = createModel({ dim: 3, hidden: 5, inputs: { kind: 'list', dim: 6 }, identity: true, fanouts: [8, 8] }, g.n, 11);
  // Non-zero identities and biases so every path carries signal.
  const r = new Rng(2);
  for (let i = 0; i < m.params.I.length; i++) m.params.I[i] = (r.next() - 0.5) * 0.5;
  for (let i = 0; i < m.params.b2.length; i++) m.params.b2[i] = r.next() - 0.5;
  m.params.beta[0] = 0.3;
  const grads = new Grads(m);
  objective(m, grads);
  const eps = 1e-3;
  let checked = 0;
  for (const name of PARAM_NAMES) {
    const p = m.params[name];
    const analytic = TABLES.includes(name) ? denseRows(grads.rows[name as 'A' | 'B' | 'I'], p.length / m.config.hidden) : Float64Array.from(grads.dense[name as ParamName]);
    for (let t = 0; t < Math.min(p.length, 12); t++) {
      const i = (t * 7919) % p.length;
      const keep = p[i];
      p[i] = keep + eps;
      const up = objective(m);
      p[i] = keep - eps;
      const down = objective(m);
      p[i] = keep;
      const numeric = (up - down) / (2 * eps);
      assert.ok(Math.abs(numeric - analytic[i]) <= 2e-3 + 2e-2 * Math.abs(numeric), `${name}[${i}]: analytic ${analytic[i]}, numeric ${numeric}`);
      checked++;
    }
  }
  assert.ok(checked > 60);
});
