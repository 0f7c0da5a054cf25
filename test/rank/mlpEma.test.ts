/** The MLP trainer's optional moving average of the weights (screened in bench/rankLab.ts; off by default). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rocAuc } from '../../src/eval/metrics.js';
import { MLP_DEFAULTS, mlpForward, trainMlp } from '../../src/rank/mlp.js';
import { syntheticSet } from './fixtures.js';

const train = syntheticSet(3000, 1);
const check = syntheticSet(500, 42);
const opts = { ...MLP_DEFAULTS, hidden: [16, 8], epochs: 2, minSteps: 300, seed: 1 };

test('ema 0 (or absent) returns the last weights; ema > 0 an average that differs from them and still learns the rule', () => {
  const last = trainMlp(train, opts);
  assert.deepEqual(trainMlp(train, { ...opts, ema: 0 }).weights, last.weights);
  const avg = trainMlp(train, { ...opts, ema: 0.99 });
  assert.notDeepEqual(avg.weights, last.weights);
  assert.deepEqual(avg.weights, trainMlp(train, { ...opts, ema: 0.99 }).weights, 'deterministic for a seed');
  const s = mlpForward(avg, check.X, check.rows);
  const pos = Array.from(s).filter((_, i) => check.y[i] === 1);
  const neg = Array.from(s).filter((_, i) => check.y[i] === 0);
  assert.ok(rocAuc(pos, neg) > 0.9, `auc ${rocAuc(pos, neg)}`);
});
