/** Small synthetic training sets and trained models for the rank tests (seconds, not minutes). */
import { Rng } from '../../src/core/rng.js';
import { trainGbdt, GBDT_DEFAULTS } from '../../src/rank/gbdt.js';
import { MLP_DEFAULTS, trainMlp, type TrainingSet } from '../../src/rank/mlp.js';
import { FEATURE_COUNT } from '../../src/rank/schema.js';
import { calibrateOn, type TrainedRanker } from '../../src/rank/train.js';
import { blendForward } from '../../src/rank/validation.js';
import { mlpForward } from '../../src/rank/mlp.js';
import { gbdtForward } from '../../src/rank/gbdt.js';

/** Rows of FEATURE_COUNT features where the label follows a noisy rule on a few of them. */
export function syntheticSet(rows: number, seed: number): TrainingSet {
  const rng = new Rng(seed);
  const F = FEATURE_COUNT;
  const X = new Float32Array(rows * F);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < F; f++) X[r * F + f] = f % 3 === 0 ? (rng.chance(0.3) ? 1 : 0) : Math.abs(rng.normal()) * (1 + f);
    const z = 2 * X[r * F] - 0.8 * X[r * F + 1] + 0.3 * X[r * F + 2] + 1.5 * X[r * F + 3] - 1 + 0.5 * rng.normal();
    y[r] = z > 0 ? 1 : 0;
  }
  return { X, rows, features: F, y, w: new Float32Array(rows).fill(1) };
}

/** A quickly trained ranker with its golden batch (the first 128 rows of a fresh set). */
export function tinyRanker(seed = 1, hidden = [16, 8]): TrainedRanker {
  const train = syntheticSet(3000, seed);
  const mlp = trainMlp(train, { ...MLP_DEFAULTS, hidden, epochs: 3, minSteps: 500, seed });
  const gbdt = trainGbdt(train, { ...GBDT_DEFAULTS, trees: 20, maxDepth: 4, seed });
  const g = syntheticSet(128, seed + 100);
  return {
    mlp,
    calibration: calibrateOn(mlp, train),
    gbdt,
    treeWeight: 0.5,
    golden: { x: g.X, mlp: mlpForward(mlp, g.X, g.rows), gbdt: gbdtForward(gbdt, g.X, g.rows), blend: blendForward(mlp, gbdt, 0.5, g.X, g.rows) },
    metrics: {} as TrainedRanker['metrics'],
  };
}
