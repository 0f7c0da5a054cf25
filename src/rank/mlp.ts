/**
 * A small multi-layer perceptron on typed arrays: standardised inputs, ReLU hidden layers, one logit,
 * trained with weighted binary cross-entropy and Adam on shuffled mini-batches. `mlpForward` is the
 * reference forward pass the exported ONNX graphs are checked against.
 */
import { Rng } from '../core/rng.js';

export interface MlpParams {
  /** Layer widths: sizes[0] = features, the last = 1. */
  sizes: number[];
  mean: Float32Array;
  invStd: Float32Array;
  /** weights[l]: sizes[l] × sizes[l+1], row-major. */
  weights: Float32Array[];
  biases: Float32Array[];
}

export interface MlpOptions {
  hidden: number[];
  /** Passes over the data; more when that gives fewer than `minSteps` updates (small data), at most 50. */
  epochs: number;
  minSteps: number;
  batch: number;
  lr: number;
  /** L2 penalty on the weights (not the biases). */
  l2: number;
  seed: number;
  /** Serve an exponential moving average of the weights with this decay per update (0 or absent: the last weights). */
  ema?: number;
}

export const MLP_DEFAULTS: MlpOptions = { hidden: [64, 32], epochs: 3, minSteps: 1500, batch: 256, lr: 2e-3, l2: 1e-6, seed: 1 };

/** Training rows: X is rows × F row-major; y in [0, 1]; w the sample weights. */
export interface TrainingSet {
  X: Float32Array;
  rows: number;
  features: number;
  y: Float32Array;
  w: Float32Array;
}

export interface EpochInfo {
  epoch: number;
  loss: number;
  seconds: number;
}

/** Trains an MLP; deterministic for a given seed. */
export function trainMlp(data: TrainingSet, opts: MlpOptions = MLP_DEFAULTS, onEpoch?: (e: EpochInfo) => void): MlpParams {
  const { X, rows, features: F } = data;
  const rng = new Rng(opts.seed);
  const sizes = [F, ...opts.hidden, 1];
  const L = sizes.length - 1;
  const { mean, invStd } = standardiser(X, rows, F);
  const weights = sizes.slice(0, -1).map((n, l) => {
    const w = new Float32Array(n * sizes[l + 1]);
    const s = Math.sqrt(2 / n);
    for (let i = 0; i < w.length; i++) w[i] = rng.normal() * s;
    return w;
  });
  const biases = sizes.slice(1).map((n) => new Float32Array(n));
  const params = [...weights, ...biases];
  const grads = params.map((p) => new Float32Array(p.length));
  const m1 = params.map((p) => new Float32Array(p.length));
  const m2 = params.map((p) => new Float32Array(p.length));
  const B = opts.batch;
  const acts = sizes.map((n) => new Float32Array(B * n));
  const deltas = sizes.map((n) => new Float32Array(B * n));
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  const b1 = 0.9;
  const b2 = 0.999;
  const ema = opts.ema ?? 0;
  const shadow = ema > 0 ? params.map((p) => Float32Array.from(p)) : null;
  let step = 0;
  const epochs = Math.min(50, Math.max(opts.epochs, Math.ceil((opts.minSteps * B) / Math.max(rows, 1))));
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = performance.now();
    rng.shuffle(order);
    let lossSum = 0;
    let weightSum = 0;
    for (let start = 0; start < rows; start += B) {
      const bs = Math.min(B, rows - start);
      // Input: standardised rows of the batch.
      const a0 = acts[0];
      let wsum = 0;
      for (let i = 0; i < bs; i++) {
        const r = order[start + i];
        for (let f = 0; f < F; f++) a0[i * F + f] = (X[r * F + f] - mean[f]) * invStd[f];
        wsum += data.w[r];
      }
      forwardBatch(sizes, weights, biases, acts, bs);
      // Output delta: w (σ(z) − y) / Σw; loss = w (softplus(z) − y z).
      const z = acts[L];
      const d = deltas[L];
      for (let i = 0; i < bs; i++) {
        const r = order[start + i];
        const zi = z[i];
        const p = 1 / (1 + Math.exp(-zi));
        d[i] = (data.w[r] * (p - data.y[r])) / wsum;
        lossSum += data.w[r] * (softplus(zi) - data.y[r] * zi);
      }
      weightSum += wsum;
      for (const g of grads) g.fill(0);
      for (let l = L - 1; l >= 0; l--) {
        const nIn = sizes[l];
        const nOut = sizes[l + 1];
        const a = acts[l];
        const dOut = deltas[l + 1];
        const gw = grads[l];
        const gb = grads[L + l];
        const W = weights[l];
        for (let i = 0; i < bs; i++) {
          const drow = i * nOut;
          for (let j = 0; j < nOut; j++) gb[j] += dOut[drow + j];
          for (let k = 0; k < nIn; k++) {
            const av = a[i * nIn + k];
            if (av === 0) continue;
            const grow = k * nOut;
            for (let j = 0; j < nOut; j++) gw[grow + j] += av * dOut[drow + j];
          }
        }
        if (l > 0) {
          const dIn = deltas[l];
          for (let i = 0; i < bs; i++) {
            const drow = i * nOut;
            for (let k = 0; k < nIn; k++) {
              // ReLU gate: the activation a = relu(z) is 0 exactly where the gradient stops.
              if (a[i * nIn + k] <= 0) {
                dIn[i * nIn + k] = 0;
                continue;
              }
              let s = 0;
              const wrow = k * nOut;
              for (let j = 0; j < nOut; j++) s += W[wrow + j] * dOut[drow + j];
              dIn[i * nIn + k] = s;
            }
          }
        }
      }
      step++;
      const c1 = 1 - Math.pow(b1, step);
      const c2 = 1 - Math.pow(b2, step);
      for (let p = 0; p < params.length; p++) {
        const P = params[p];
        const G = grads[p];
        const M = m1[p];
        const V = m2[p];
        const decay = p < L ? opts.l2 : 0;
        for (let i = 0; i < P.length; i++) {
          const g = G[i] + decay * P[i];
          M[i] = b1 * M[i] + (1 - b1) * g;
          V[i] = b2 * V[i] + (1 - b2) * g * g;
          P[i] -= (opts.lr * (M[i] / c1)) / (Math.sqrt(V[i] / c2) + 1e-8);
        }
      }
      if (shadow) {
        // Bias-corrected like Adam's moments would be: early updates weigh as much as the warm-up allows.
        const d = Math.min(ema, (1 + step) / (10 + step));
        for (let p = 0; p < params.length; p++) {
          const P = params[p];
          const S = shadow[p];
          for (let i = 0; i < P.length; i++) S[i] = d * S[i] + (1 - d) * P[i];
        }
      }
    }
    onEpoch?.({ epoch, loss: lossSum / Math.max(weightSum, 1e-12), seconds: (performance.now() - t0) / 1000 });
  }
  if (shadow) return { sizes, mean, invStd, weights: shadow.slice(0, L), biases: shadow.slice(L) };
  return { sizes, mean, invStd, weights, biases };
}

/**
 * One MLP whose logit is the mean of the given MLPs' logits (same inputs, standardisation and depth): the
 * layers side by side — the first layers' columns concatenated, the hidden layers block-diagonal, the
 * output weights concatenated and divided by the count, its bias the mean. Exported and quantized as any MLP.
 */
export function averageMlps(ps: MlpParams[]): MlpParams {
  if (ps.length === 0) throw new RangeError('averageMlps: no models');
  if (ps.length === 1) return ps[0];
  const base = ps[0];
  const L = base.sizes.length - 1;
  for (const p of ps) {
    if (p.sizes.length !== base.sizes.length || p.sizes[0] !== base.sizes[0] || p.sizes[L] !== 1) throw new RangeError('averageMlps: the models differ in inputs or depth');
    for (let f = 0; f < base.sizes[0]; f++) if (p.mean[f] !== base.mean[f] || p.invStd[f] !== base.invStd[f]) throw new RangeError('averageMlps: the models differ in standardisation');
  }
  const K = ps.length;
  const sizes = base.sizes.map((_, l) => (l === 0 || l === L ? base.sizes[l] : ps.reduce((s, p) => s + p.sizes[l], 0)));
  const weights: Float32Array[] = [];
  const biases: Float32Array[] = [];
  for (let l = 0; l < L; l++) {
    const W = new Float32Array(sizes[l] * sizes[l + 1]);
    const b = new Float32Array(sizes[l + 1]);
    let rowOff = 0;
    let colOff = 0;
    for (const p of ps) {
      const nIn = p.sizes[l];
      const nOut = p.sizes[l + 1];
      const scale = l === L - 1 ? 1 / K : 1;
      for (let i = 0; i < nIn; i++) {
        const r = l === 0 ? i : rowOff + i; // the input layer is shared; later ones take their own block
        for (let j = 0; j < nOut; j++) W[r * sizes[l + 1] + (l === L - 1 ? j : colOff + j)] = p.weights[l][i * nOut + j] * scale;
      }
      for (let j = 0; j < nOut; j++) b[l === L - 1 ? j : colOff + j] += p.biases[l][j] * scale;
      rowOff += nIn;
      colOff += nOut;
    }
    weights.push(W);
    biases.push(b);
  }
  return { sizes, mean: base.mean, invStd: base.invStd, weights, biases };
}

/** Probabilities (or the logits) for rows × F raw feature rows: the reference the ONNX graphs must match. */
export function mlpForward(p: MlpParams, X: Float32Array, rows: number, output: 'probability' | 'logit' = 'probability'): Float32Array {
  const F = p.sizes[0];
  const out = new Float32Array(rows);
  const B = 512;
  const acts = p.sizes.map((n) => new Float32Array(B * n));
  for (let start = 0; start < rows; start += B) {
    const bs = Math.min(B, rows - start);
    const a0 = acts[0];
    for (let i = 0; i < bs; i++) {
      const r = start + i;
      for (let f = 0; f < F; f++) a0[i * F + f] = Math.fround(Math.fround(X[r * F + f] - p.mean[f]) * p.invStd[f]);
    }
    forwardBatch(p.sizes, p.weights, p.biases, acts, bs);
    const z = acts[acts.length - 1];
    for (let i = 0; i < bs; i++) out[start + i] = output === 'logit' ? z[i] : 1 / (1 + Math.exp(-z[i]));
  }
  return out;
}

/** Value ranges seen on training rows: the static INT8 scales (mlpGraph.ts). */
export interface Calibration {
  /** Per raw input feature: the smallest value and the `quantile` of the values. */
  inputMin: number[];
  inputMax: number[];
  /** Per hidden layer: the `quantile` of its activations (after ReLU). */
  hidden: number[];
}

/** Calibrates the static INT8 ranges on rows × F raw feature rows (values beyond the quantile saturate). */
export function calibrate(p: MlpParams, X: Float32Array, rows: number, quantile: number): Calibration {
  const F = p.sizes[0];
  const H = p.sizes.length - 2;
  const B = 512;
  const acts = p.sizes.map((n) => new Float32Array(B * n));
  const seen: Float32Array[] = p.sizes.slice(1, -1).map((n) => new Float32Array(rows * n));
  for (let start = 0; start < rows; start += B) {
    const bs = Math.min(B, rows - start);
    for (let i = 0; i < bs; i++) {
      for (let f = 0; f < F; f++) acts[0][i * F + f] = Math.fround(Math.fround(X[(start + i) * F + f] - p.mean[f]) * p.invStd[f]);
    }
    forwardBatch(p.sizes, p.weights, p.biases, acts, bs);
    for (let l = 0; l < H; l++) seen[l].set(acts[l + 1].subarray(0, bs * p.sizes[l + 1]), start * p.sizes[l + 1]);
  }
  const at = (v: Float32Array): number => (v.length ? v.sort()[Math.min(v.length - 1, Math.floor(quantile * v.length))] : 0);
  const inputMin: number[] = [];
  const inputMax: number[] = [];
  for (let f = 0; f < F; f++) {
    const col = Float32Array.from({ length: rows }, (_, r) => X[r * F + f]);
    inputMax.push(at(col)); // at() sorts col in place: col[0] is then the smallest value
    inputMin.push(rows ? col[0] : 0);
  }
  return { inputMin, inputMax, hidden: seen.map((v) => Math.max(at(v), 1e-6)) };
}

/** acts[0] holds the standardised inputs; fills acts[1..L] (ReLU on hidden layers, the logit last). */
function forwardBatch(sizes: number[], weights: Float32Array[], biases: Float32Array[], acts: Float32Array[], bs: number): void {
  const L = sizes.length - 1;
  for (let l = 0; l < L; l++) {
    const nIn = sizes[l];
    const nOut = sizes[l + 1];
    const a = acts[l];
    const out = acts[l + 1];
    const W = weights[l];
    const b = biases[l];
    const relu = l < L - 1;
    for (let i = 0; i < bs; i++) {
      const orow = i * nOut;
      for (let j = 0; j < nOut; j++) out[orow + j] = b[j];
      for (let k = 0; k < nIn; k++) {
        const av = a[i * nIn + k];
        if (av === 0) continue;
        const wrow = k * nOut;
        for (let j = 0; j < nOut; j++) out[orow + j] += av * W[wrow + j];
      }
      if (relu) for (let j = 0; j < nOut; j++) if (out[orow + j] < 0) out[orow + j] = 0;
    }
  }
}

/** Per-feature mean and 1 / standard deviation (1 for a constant feature). */
export function standardiser(X: Float32Array, rows: number, F: number): { mean: Float32Array; invStd: Float32Array } {
  const sum = new Float64Array(F);
  const sq = new Float64Array(F);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < F; f++) {
      const x = X[r * F + f];
      sum[f] += x;
      sq[f] += x * x;
    }
  }
  const mean = new Float32Array(F);
  const invStd = new Float32Array(F);
  for (let f = 0; f < F; f++) {
    const m = rows > 0 ? sum[f] / rows : 0;
    const v = rows > 0 ? sq[f] / rows - m * m : 0;
    mean[f] = m;
    invStd[f] = v > 1e-12 ? 1 / Math.sqrt(v) : 1;
  }
  return { mean, invStd };
}

function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}
