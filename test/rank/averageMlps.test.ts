/**
 * averageMlps: several MLPs trained on the same rows served as one MLP whose logit is the mean of theirs,
 * and that one MLP exported like any other (fp32 and static INT8 ONNX graphs within their tolerances).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportModel } from '../../src/rank/export.js';
import { gbdtForward, trainGbdt, GBDT_DEFAULTS } from '../../src/rank/gbdt.js';
import { averageMlps, MLP_DEFAULTS, mlpForward, trainMlp, type MlpParams } from '../../src/rank/mlp.js';
import { calibrateOn, type TrainedRanker } from '../../src/rank/train.js';
import { blendForward } from '../../src/rank/validation.js';
import { syntheticSet } from './fixtures.js';

const train = syntheticSet(3000, 1);
const check = syntheticSet(500, 42);
const member = (seed: number, hidden = [16, 8]): MlpParams => trainMlp(train, { ...MLP_DEFAULTS, hidden, epochs: 2, minSteps: 300, seed });

test('averageMlps: the merged logit is the mean of the members\' logits, row by row', () => {
  const ms = [member(1), member(2), member(3, [12, 6])];
  const merged = averageMlps(ms);
  assert.deepEqual(merged.sizes, [train.features, 16 + 16 + 12, 8 + 8 + 6, 1]);
  const outs = ms.map((m) => mlpForward(m, check.X, check.rows, 'logit'));
  const got = mlpForward(merged, check.X, check.rows, 'logit');
  let worst = 0;
  for (let r = 0; r < check.rows; r++) {
    const mean = outs.reduce((s, o) => s + o[r], 0) / ms.length;
    worst = Math.max(worst, Math.abs(got[r] - mean) / Math.max(1, Math.abs(mean)));
  }
  assert.ok(worst < 1e-4, `largest relative logit difference ${worst}`);
  // The members differ (else the test would not show an average).
  assert.ok(outs[0].some((z, r) => Math.abs(z - outs[1][r]) > 0.05), 'seeds 1 and 2 gave the same model');
  // The probability is the sigmoid of the logit.
  const p = mlpForward(merged, check.X, 5);
  for (let r = 0; r < 5; r++) assert.ok(Math.abs(p[r] - 1 / (1 + Math.exp(-got[r]))) < 1e-6);
});

test('averageMlps: one member is returned as it is; differing inputs or standardisation are refused', () => {
  const a = member(1);
  assert.equal(averageMlps([a]), a);
  assert.throws(() => averageMlps([]), /no models/);
  const other = trainMlp(syntheticSet(3000, 9), { ...MLP_DEFAULTS, hidden: [16, 8], epochs: 1, minSteps: 100, seed: 1 });
  assert.throws(() => averageMlps([a, other]), /standardisation/);
  const deeper = trainMlp(train, { ...MLP_DEFAULTS, hidden: [16, 8, 4], epochs: 1, minSteps: 100, seed: 1 });
  assert.throws(() => averageMlps([a, deeper]), /depth/);
});

test('a merged MLP exports and validates as fp32 and INT8 ONNX like a single one', async () => {
  const mlp = averageMlps([member(1), member(2)]);
  const gbdt = trainGbdt(train, { ...GBDT_DEFAULTS, trees: 10, maxDepth: 3, seed: 1 });
  const g = syntheticSet(128, 101);
  const t: TrainedRanker = {
    mlp,
    calibration: calibrateOn(mlp, train),
    gbdt,
    treeWeight: 0.5,
    golden: { x: g.X, mlp: mlpForward(mlp, g.X, g.rows), gbdt: gbdtForward(gbdt, g.X, g.rows), blend: blendForward(mlp, gbdt, 0.5, g.X, g.rows) },
    metrics: {} as TrainedRanker['metrics'],
  };
  const out = await exportModel(t, 'mlp-int8');
  assert.deepEqual(out.refused, {});
  assert.equal(out.card.served, 'mlp-int8');
  assert.ok(out.card.variants.mlp && out.card.variants['mlp-int8']);
});
