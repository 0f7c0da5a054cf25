/**
 * The rankers' validation figures, on more than one draw of held-back connections.
 *
 * One draw gives the validation users (trainRanker's seeded 10% of the label users: a few hundred) one or
 * two held-back connections each, so on a small graph the Recall@20 of a single draw is off by ±10% from
 * the draw alone (bitcoin-otc: 145 users; AA 0.279 on one draw, 0.241 over eight, 0.226–0.258 measured by the
 * protocol on its seeds). With edge labels, each round draws held-back connections of the validation users
 * only (new coins; everyone else's connections stay, as served — holding back every label user's, as the
 * training examples do, left ego-Facebook's validation AA 10% under the protocol's, this way 7%), builds
 * their served lists on that snapshot through the same path as the training rows (buildExamples), and
 * scores the trained models on them. The rounds are pooled — a user counts once per round in which they
 * have a held-back connection — until VALIDATION.minUsers user-rounds or VALIDATION.maxRounds.
 * Log labels have one future: one round. The models never train on these rows: validation users and
 * candidates are out of training (trainRanker), and a round's labels are validation users' connections.
 */
import { rocAuc } from '../eval/metrics.js';
import { mix } from '../graph/twoHop.js';
import { buildExamples, type Examples, type ExampleOptions, type RankSource } from './examples.js';
import { gbdtForward, type Ensemble } from './gbdt.js';
import { rankOrder } from './heuristic.js';
import { mlpForward, type MlpParams } from './mlp.js';
import { COL, FEATURE_COUNT } from './schema.js';

/** Which label users are held out for validation: a seeded share (TrainOptions' seed and validFrac). */
export interface ValidationSplit {
  seed: number;
  validFrac: number;
}
export const VALIDATION_SPLIT: ValidationSplit = { seed: 1, validFrac: 0.1 };

/** Rounds of held-back draws for validation: pooled until this many user-rounds, at most maxRounds draws. */
export const VALIDATION = { minUsers: 2_000, maxRounds: 8 } as const;

/** Whether a user's rows are held out for validation: a seeded hash of the id, so the same users every run. */
export function isValidationUser(u: number, opts: ValidationSplit = VALIDATION_SPLIT): boolean {
  return (mix(u ^ opts.seed) >>> 0) / 2 ** 32 < opts.validFrac;
}


export interface ScoreMetrics {
  auc: number;
  logLoss: number | null;
  ndcg10: number;
  recall20: number;
}

export interface ValidMetrics {
  mlp: ScoreMetrics;
  gbdt: ScoreMetrics;
  blend: ScoreMetrics;
  aa: ScoreMetrics;
}

/** Validation rows: features, labels, the user-round each row belongs to, the candidates, and positives outside the lists. */
export interface ValidationRows {
  X: Float32Array;
  rows: number;
  y: Float32Array;
  user: Int32Array;
  cand: Int32Array;
  outside: Map<number, number>;
}

/** What the pooled rounds measured: the metrics and how much data they rest on. */
export interface PooledValidation {
  valid: ValidMetrics;
  rounds: number;
  /** User-rounds with a held-back connection (a user counted once per round). */
  users: number;
  positives: number;
  seconds: number;
}

/** The validation users' rows of `ex`; users renumbered from `first` (so rounds pool without colliding). */
export function validationRows(ex: Examples, opts: ValidationSplit, first = 0): ValidationRows & { next: number } {
  const idx: number[] = [];
  for (let r = 0; r < ex.rows; r++) if (isValidationUser(ex.user[r], opts)) idx.push(r);
  const F = FEATURE_COUNT;
  const X = new Float32Array(idx.length * F);
  idx.forEach((r, i) => X.set(ex.X.subarray(r * F, (r + 1) * F), i * F));
  const ids = new Map<number, number>();
  let next = first;
  const renumber = (u: number): number => ids.get(u) ?? (ids.set(u, next), next++);
  const user = Int32Array.from(idx, (r) => renumber(ex.user[r]));
  const outside = new Map<number, number>();
  for (const [u, c] of ex.outside) if (isValidationUser(u, opts)) outside.set(renumber(u), c);
  return { X, rows: idx.length, y: Float32Array.from(idx, (r) => ex.y[r]), user, cand: Int32Array.from(idx, (r) => ex.cand[r]), outside, next };
}

/** The MLP, the trees, the blend and AA (the stored score) on validation rows, with the served tie rule. */
export function validationMetrics(m: { mlp: MlpParams; gbdt: Ensemble; treeWeight: number }, v: ValidationRows): ValidMetrics {
  const aa = Float32Array.from({ length: v.rows }, (_, i) => v.X[i * FEATURE_COUNT + COL.aa]);
  const score = (s: Float32Array, probability: boolean): ScoreMetrics => scoreMetrics(s, v.y, v.user, probability, v.outside, v.cand);
  const a = mlpForward(m.mlp, v.X, v.rows, 'logit');
  const b = gbdtForward(m.gbdt, v.X, v.rows, 'logit');
  return {
    mlp: score(a.map(sigmoid), true),
    gbdt: score(b.map(sigmoid), true),
    blend: score(a.map((z, i) => sigmoid(z + m.treeWeight * b[i])), true),
    aa: score(aa, false),
  };
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Concatenates validation rows (users already numbered apart). */
export function concatRows(parts: ValidationRows[]): ValidationRows {
  const rows = parts.reduce((a, p) => a + p.rows, 0);
  const out: ValidationRows = { X: new Float32Array(rows * FEATURE_COUNT), rows, y: new Float32Array(rows), user: new Int32Array(rows), cand: new Int32Array(rows), outside: new Map() };
  let at = 0;
  for (const p of parts) {
    out.X.set(p.X, at * FEATURE_COUNT);
    out.y.set(p.y, at);
    out.user.set(p.user, at);
    out.cand.set(p.cand, at);
    for (const [u, c] of p.outside) out.outside.set(u, c);
    at += p.rows;
  }
  return out;
}

/**
 * The trained models' validation over pooled rounds (see the module comment). With edge labels every round
 * is a fresh draw that holds back only the validation users' connections (those of `ex`'s label users that
 * are validation users); with log labels the one round is `ex`'s own validation rows.
 */
export async function pooledValidation(
  src: RankSource,
  exOpts: ExampleOptions,
  ex: Examples,
  model: { mlp: MlpParams; gbdt: Ensemble; treeWeight: number },
  split: ValidationSplit,
  limits: { minUsers: number; maxRounds: number } = VALIDATION,
): Promise<PooledValidation> {
  const t0 = performance.now();
  const parts: ValidationRows[] = [];
  let users = 0;
  if (!ex.labelled) {
    const only = validationRows(ex, split);
    parts.push(only);
    users = only.next;
  } else {
    const mask = Uint8Array.from(ex.labelled, (l, u) => (l && isValidationUser(u, split) ? 1 : 0));
    for (let r = 1; r <= limits.maxRounds && users < limits.minUsers; r++) {
      const exR = await buildExamples(src, { ...exOpts, seed: exOpts.seed + 7919 * r, labelUsers: mask });
      const part = validationRows(exR, split, users);
      if (part.next === users) break; // no validation user has a connection to hold back
      parts.push(part);
      users = part.next;
    }
  }
  const all = concatRows(parts);
  let positives = 0;
  for (let i = 0; i < all.rows; i++) positives += all.y[i];
  for (const c of all.outside.values()) positives += c;
  return { valid: validationMetrics(model, all), rounds: parts.length, users, positives, seconds: Math.round((performance.now() - t0) / 10) / 100 };
}

/** The blend's probabilities: sigmoid(MLP logit + treeWeight × trees' logit), the reference its ONNX graph must match. */
export function blendForward(mlp: MlpParams, gbdt: Ensemble, treeWeight: number, X: Float32Array, rows: number): Float32Array {
  const a = mlpForward(mlp, X, rows, 'logit');
  const b = gbdtForward(gbdt, X, rows, 'logit');
  return a.map((z, i) => sigmoid(z + treeWeight * b[i]));
}


/**
 * AUC and log loss over rows; NDCG@10 and Recall@20 per user over their rows (a user's rows are their served
 * list), averaged over users with a positive. `outside[u]`: u's positives not in their list, which count
 * as missed (the evaluation protocol's denominator: every label pair of the user). With the candidates'
 * ids, equal scores are ordered by the served tie rule (rankOrder); without, pessimistically (positives
 * last, so a constant score earns nothing).
 */
export function scoreMetrics(
  score: Float32Array,
  y: Float32Array,
  user: Int32Array,
  probability: boolean,
  outside: Map<number, number> = new Map(),
  cand?: Int32Array,
): ScoreMetrics {
  const pos: number[] = [];
  const neg: number[] = [];
  let ll = 0;
  for (let i = 0; i < score.length; i++) {
    (y[i] > 0.5 ? pos : neg).push(score[i]);
    if (probability) {
      const p = Math.min(1 - 1e-7, Math.max(1e-7, score[i]));
      ll -= y[i] * Math.log(p) + (1 - y[i]) * Math.log(1 - p);
    }
  }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < user.length; i++) {
    let l = groups.get(user[i]);
    if (!l) groups.set(user[i], (l = []));
    l.push(i);
  }
  let ndcg = 0;
  let recall = 0;
  let users = 0;
  for (const u of outside.keys()) if (!groups.has(u)) users++; // no list, or nothing in it: recall 0
  for (const [u, rows] of groups) {
    const rel = rows.filter((i) => y[i] > 0.5).length;
    const all = rel + (outside.get(u) ?? 0);
    if (all === 0) continue;
    users++;
    if (rel === 0) continue;
    if (cand) {
      const s = Float32Array.from(rows, (i) => score[i]);
      const order = rankOrder(s, Int32Array.from(rows, (i) => cand[i]));
      const sorted = Array.from(order, (k) => rows[k]);
      rows.splice(0, rows.length, ...sorted);
    } else rows.sort((a, b) => score[b] - score[a] || y[a] - y[b]);
    let dcg = 0;
    let idcg = 0;
    let hits = 0;
    for (let k = 0; k < Math.min(20, rows.length); k++) {
      const r = y[rows[k]] > 0.5 ? 1 : 0;
      if (k < 10) dcg += r / Math.log2(k + 2);
      hits += r;
    }
    for (let k = 0; k < Math.min(10, all); k++) idcg += 1 / Math.log2(k + 2);
    ndcg += dcg / idcg;
    recall += hits / all;
  }
  return {
    auc: round4(rocAuc(pos, neg)),
    logLoss: probability ? round4(ll / Math.max(score.length, 1)) : null,
    ndcg10: round4(users ? ndcg / users : 0),
    recall20: round4(users ? recall / users : 0),
  };
}

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;
