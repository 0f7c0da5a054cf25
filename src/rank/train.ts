/**
 * Trains the rankers on the examples (a seeded 10% of the users held out for validation), measures them
 * and Adamic-Adar on the validation users, and keeps a golden batch for the export checks.
 *
 * The MLP is `members` networks trained from different seeds, each serving the moving average of its
 * weights, side by side in one wider network whose logit is the mean of theirs (mlp.ts averageMlps); the
 * tree ensemble is trained on the same rows; the blend adds `treeWeight` × the trees' logit to the MLP's.
 * bench/results/rank-lab.md measured this (fp32, no business rules) as the one combination that beats
 * Adamic-Adar by ≥ 5% on every lab split of ego-Facebook and the generated world (a single MLP: 1.03–1.07);
 * served, ego-Facebook stays just under (bench/results/served-recall.md).
 */
import type { Examples } from './examples.js';
import { gbdtForward, trainGbdt, GBDT_DEFAULTS, type Ensemble, type GbdtOptions } from './gbdt.js';
import { averageMlps, calibrate, MLP_DEFAULTS, mlpForward, trainMlp, type Calibration, type MlpOptions, type MlpParams, type TrainingSet } from './mlp.js';
import type { Variant } from './modelFiles.js';
import { FEATURE_COUNT } from './schema.js';
import { blendForward, isValidationUser, VALIDATION_SPLIT, validationMetrics, validationRows, type ScoreMetrics, type ValidMetrics } from './validation.js';

export interface TrainOptions {
  mlp: MlpOptions;
  gbdt: GbdtOptions;
  /** Share of the label users held out for validation. */
  validFrac: number;
  goldenRows: number;
  seed: number;
  /** MLPs trained (seeds seed, seed + 1, …) and served as one, their logits averaged. */
  members: number;
  /** The weight of the trees' logit in the blend (the `blend-int8` variant). */
  treeWeight: number;
}

/** Label users the pipeline and the evaluator train on: 3,000 lists of up to 200 candidates (≤ 600k rows, ≈1 min to train). */
export const RANK_MAX_USERS = 3_000;

export const TRAIN_DEFAULTS: TrainOptions = { mlp: { ...MLP_DEFAULTS, ema: 0.999 }, gbdt: GBDT_DEFAULTS, members: 3, treeWeight: 0.5, goldenRows: 256, ...VALIDATION_SPLIT };

/** Training rows (evenly spaced) the static INT8 ranges are calibrated on, and the share of values they cover. */
export const CALIBRATION = { rows: 20_000, quantile: 0.99999 } as const;

export interface TrainedRanker {
  mlp: MlpParams;
  /** The MLP's input and activation ranges on training rows: the INT8 graph's static scales. */
  calibration: Calibration;
  gbdt: Ensemble;
  /** The trees' logit weight in the blend. */
  treeWeight: number;
  golden: { x: Float32Array; mlp: Float32Array; gbdt: Float32Array; blend: Float32Array };
  metrics: {
    trainRows: number;
    validRows: number;
    trainPositives: number;
    mlpSeconds: number;
    gbdtSeconds: number;
    mlpEpochs: number;
    mlpMembers: number;
    mlpRowsPerSecond: number;
    valid: ValidMetrics;
  };
}

/** The rows of `ex` whose (user, candidate) pass `keep`, as a training set (in row order). */
export function examplesWhere(ex: Examples, keep: (u: number, v: number) => boolean): TrainingSet {
  const idx: number[] = [];
  for (let r = 0; r < ex.rows; r++) if (keep(ex.user[r], ex.cand[r])) idx.push(r);
  const F = FEATURE_COUNT;
  const X = new Float32Array(idx.length * F);
  idx.forEach((r, i) => X.set(ex.X.subarray(r * F, (r + 1) * F), i * F));
  return { X, rows: idx.length, features: F, y: Float32Array.from(idx, (r) => ex.y[r]), w: Float32Array.from(idx, (r) => ex.w[r]) };
}

export function trainRanker(ex: Examples, opts: TrainOptions = TRAIN_DEFAULTS, log: (s: string) => void = () => {}): TrainedRanker {
  // A validation user's pair (u, v) is also v's pair (v, u), with nearly the same (symmetric) features: rows
  // whose candidate is a validation user stay out of training, or the validation figures reward memorising.
  const train = examplesWhere(ex, (u, v) => !isValidationUser(u, opts) && !isValidationUser(v, opts));
  const valid = validationRows(ex, opts);
  let trainPositives = 0;
  for (let i = 0; i < train.rows; i++) trainPositives += train.y[i];
  log(`training on ${train.rows} rows (${trainPositives} positive), validating on ${valid.rows}`);
  let t0 = performance.now();
  let epochs = 0;
  const members: MlpParams[] = [];
  const count = Math.max(1, Math.floor(opts.members));
  for (let k = 0; k < count; k++) {
    members.push(
      trainMlp(train, { ...opts.mlp, seed: opts.seed + k }, (e) => {
        epochs = e.epoch;
        if (e.epoch <= 3 || e.epoch % 10 === 0) log(`mlp ${k + 1}/${count} epoch ${e.epoch}: loss ${e.loss.toFixed(4)} (${e.seconds.toFixed(1)}s)`);
      }),
    );
  }
  const mlp = averageMlps(members);
  const mlpSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const gbdt = trainGbdt(train, { ...opts.gbdt, seed: opts.seed }, (t) => {
    if (t % 25 === 0) log(`gbdt: ${t} trees`);
  });
  const gbdtSeconds = (performance.now() - t0) / 1000;
  const metrics = {
    trainRows: train.rows,
    validRows: valid.rows,
    trainPositives,
    mlpSeconds: round(mlpSeconds),
    gbdtSeconds: round(gbdtSeconds),
    mlpEpochs: epochs,
    mlpMembers: count,
    mlpRowsPerSecond: Math.round((train.rows * epochs * count) / Math.max(mlpSeconds, 1e-9)),
    valid: validationMetrics({ mlp, gbdt, treeWeight: opts.treeWeight }, valid),
  };
  const gsrc = valid.rows >= opts.goldenRows ? valid : train;
  const g = Math.min(opts.goldenRows, gsrc.rows);
  const gx = gsrc.X.slice(0, g * FEATURE_COUNT);
  const golden = { x: gx, mlp: mlpForward(mlp, gx, g), gbdt: gbdtForward(gbdt, gx, g), blend: blendForward(mlp, gbdt, opts.treeWeight, gx, g) };
  return { mlp, calibration: calibrateOn(mlp, train), gbdt, treeWeight: opts.treeWeight, golden, metrics };
}

/** What the rank stage serves: a variant, or 'auto' (chooseServed); 'aa' means no model (the stored score). */
export type ServedChoice = Variant | 'aa';

/**
 * How much better (relative Recall@20 on the validation lists) the trees alone must be to be served instead
 * of the blend or the INT8 MLP: the ONNX tree ensemble costs about 1.7x the server CPU of the MLP per
 * uncached answer (bench/results/serve-scorer-*.md: 0.848 vs 0.475 ms, 1,248 vs 2,213 req/s).
 */
export const GBDT_MARGIN = 0.05;

/**
 * Model selection on the validation users' served lists, among the models that beat Adamic-Adar on the same
 * lists (higher Recall@20, NDCG@10 on a tie): the trees alone when their Recall@20 is more than GBDT_MARGIN
 * better than both the blend's and the MLP's; else the blend (INT8 MLP + trees), which the lab measured at
 * ≥ 1.05× AA on all six of its splits where no member alone was (bench/results/rank-lab.md) — validation lists of a few hundred
 * users cannot tell a 1% difference apart, so the blend is not second-guessed on them; else the INT8 MLP,
 * else the trees; 'aa' — no model — when none beats AA.
 */
export function chooseServed(valid: TrainedRanker['metrics']['valid']): ServedChoice {
  const better = (a: ScoreMetrics, b: ScoreMetrics): boolean => a.recall20 > b.recall20 || (a.recall20 === b.recall20 && a.ndcg10 > b.ndcg10);
  const mlp = better(valid.mlp, valid.aa);
  const gbdt = better(valid.gbdt, valid.aa);
  const blend = better(valid.blend, valid.aa);
  const learned = Math.max(blend ? valid.blend.recall20 : 0, mlp ? valid.mlp.recall20 : 0);
  if (gbdt && valid.gbdt.recall20 > learned * (1 + GBDT_MARGIN)) return 'gbdt';
  return blend ? 'blend-int8' : mlp ? 'mlp-int8' : gbdt ? 'gbdt' : 'aa';
}

/** Calibrates the MLP's static INT8 ranges on up to CALIBRATION.rows evenly spaced training rows. */
export function calibrateOn(mlp: MlpParams, train: TrainingSet): Calibration {
  const F = train.features;
  const rows = Math.min(train.rows, CALIBRATION.rows);
  const X = new Float32Array(rows * F);
  for (let i = 0; i < rows; i++) {
    const r = Math.floor((i * train.rows) / rows);
    X.set(train.X.subarray(r * F, (r + 1) * F), i * F);
  }
  return calibrate(mlp, X, rows, CALIBRATION.quantile);
}

const round = (x: number): number => Math.round(x * 100) / 100;
