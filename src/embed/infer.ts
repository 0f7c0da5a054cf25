/**
 * Inference: embeddings for chosen users through sampled blocks (validation, tests), for every user
 * layer by layer (the bundle), and from the profile tower alone (users without connections).
 *
 * Layer-wise inference computes each layer once for all users — the neighbour projections P = x·B + id,
 * then h1 for everyone, then the output in row batches — instead of re-expanding a neighbourhood per
 * user, so it costs O(users + sampled edges) per layer. With fanouts at least the largest degree, it
 * equals the block computation exactly (tested); otherwise each user's neighbours are sampled once,
 * seeded, as in training.
 */
import { PymkError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { Graph } from '../graph/csr.js';
import { BlockSampler } from './block.js';
import type { NodeInputs } from './features.js';
import { jsKernels, type DenseKernels } from './kernels.js';
import type { Model } from './model.js';
import { Workspace, gnnForward, towerForward } from './sage.js';

export interface InferOptions {
  /** Neighbours sampled per user at inference: [layer 1, layer 2] (default: the model's fanouts). */
  fanouts?: [number, number];
  seed?: number;
  /** Users per batch (default 4096). */
  batch?: number;
  kernels?: DenseKernels;
  /** Called with (users done, total) as the last layer proceeds. */
  onProgress?: (done: number, total: number) => void;
}

/** embedAll for some users only: the rows of the users marked in `only` are computed, the others kept as in `into`. */
export interface PartialInferOptions extends InferOptions {
  only?: Uint8Array;
  /** The output (n × dim), e.g. the earlier vectors; its marked rows are overwritten (default: zeros). */
  into?: Float32Array;
}

/** Unit-norm GNN embeddings of `nodes` (count × dim), computed through sampled blocks without dropout. */
export function embedNodes(m: Model, g: Graph, inp: NodeInputs, nodes: ArrayLike<number>, opts: InferOptions = {}): Float32Array {
  const d = m.config.dim;
  const fan = opts.fanouts ?? m.config.fanouts;
  const batch = opts.batch ?? 1024;
  const kern = opts.kernels ?? jsKernels();
  const rng = new Rng(opts.seed ?? 1);
  const sampler = new BlockSampler(g.n);
  const ws = new Workspace();
  const out = new Float32Array(nodes.length * d);
  for (let s = 0; s < nodes.length; s += batch) {
    const e = Math.min(nodes.length, s + batch);
    sampler.begin();
    const local = new Int32Array(e - s);
    for (let i = s; i < e; i++) local[i - s] = sampler.add(nodes[i]);
    const b = sampler.expand(g, fan, rng);
    const E = gnnForward(m, inp, b, { dropout: 0, rng: null }, ws, kern);
    for (let i = 0; i < local.length; i++) out.set(E.subarray(local[i] * d, (local[i] + 1) * d), (s + i) * d);
  }
  return out;
}

/**
 * Writes the (≤ k) sampled neighbours of u into buf; returns how many. Seeded per user and depending only on
 * u's neighbour list, so order-free, and the same in two graphs where u's neighbours are the same.
 */
export function sampleNeighbours(g: Graph, u: number, k: number, seed: number, buf: Int32Array): number {
  const start = g.offsets[u];
  const deg = g.offsets[u + 1] - start;
  if (deg <= k) {
    for (let i = 0; i < deg; i++) buf[i] = g.targets[start + i];
    return deg;
  }
  const rng = new Rng((seed ^ Math.imul(u + 1, 0x9e3779b1)) >>> 0);
  let c = 0;
  for (let j = deg - k; j < deg; j++) {
    const t = rng.int(j + 1);
    let seen = false;
    for (let q = 0; q < c; q++) if (buf[q] === g.targets[start + t]) seen = true;
    buf[c++] = g.targets[start + (seen ? j : t)];
  }
  return c;
}

/** The layer-1 and layer-2 neighbour samples' seeds (embedAll; stages/affected.ts for embeddings follows them). */
export const LAYER_SEEDS = { layer1: (seed: number): number => seed, layer2: (seed: number): number => seed ^ 0x2f2f } as const;

/**
 * Unit-norm GNN embeddings of all g.n users (n × dim), layer by layer. With `only`, just the marked users'
 * rows are computed (layer 1 for them and their layer-2 samples): each row is computed by the same
 * operations in the same order as in a full pass, so it is bit-identical to that pass's row.
 */
export function embedAll(m: Model, g: Graph, inp: NodeInputs, opts: PartialInferOptions = {}): Float32Array {
  const { hidden: h, dim: d, identity } = m.config;
  const { A, B, I, b1, W2, b2 } = m.params;
  const n = g.n;
  const [f1, f2] = opts.fanouts ?? m.config.fanouts;
  const seed = opts.seed ?? 1;
  const kern = opts.kernels ?? jsKernels();
  const batch = opts.batch ?? 4096;
  const only = opts.only ?? null;
  const nb = new Int32Array(Math.max(f1, f2));
  const rowSum = (T: Float32Array, u: number, out: Float32Array, o: number): void => {
    for (let p = inp.offsets[u]; p < inp.offsets[u + 1]; p++) {
      const r = inp.index[p] * h;
      const x = inp.value[p];
      for (let k = 0; k < h; k++) out[o + k] += x * T[r + k];
    }
    if (identity && u < m.users) for (let k = 0; k < h; k++) out[o + k] += I[u * h + k];
  };
  // Which users need h1 (everyone, or the marked users and their layer-2 samples), and which P (their layer-1 samples).
  let need1: Uint8Array | null = null;
  let needP: Uint8Array | null = null;
  if (only) {
    need1 = new Uint8Array(n);
    needP = new Uint8Array(n);
    for (let u = 0; u < n; u++) {
      if (!only[u]) continue;
      need1[u] = 1;
      const c = sampleNeighbours(g, u, f2, LAYER_SEEDS.layer2(seed), nb);
      for (let q = 0; q < c; q++) need1[nb[q]] = 1;
    }
    for (let u = 0; u < n; u++) {
      if (!need1[u]) continue;
      const c = sampleNeighbours(g, u, f1, LAYER_SEEDS.layer1(seed), nb);
      for (let q = 0; q < c; q++) needP[nb[q]] = 1;
    }
  }
  // Layer 1: P for everyone (needed), then h1 for everyone (needed).
  let P: Float32Array | null = new Float32Array(n * h);
  for (let u = 0; u < n; u++) if (!needP || needP[u]) rowSum(B, u, P, u * h);
  const h1 = new Float32Array(n * h);
  for (let u = 0; u < n; u++) {
    if (need1 && !need1[u]) continue;
    const o = u * h;
    for (let k = 0; k < h; k++) h1[o + k] = b1[k];
    rowSum(A, u, h1, o);
    const c = sampleNeighbours(g, u, f1, LAYER_SEEDS.layer1(seed), nb);
    for (let q = 0; q < c; q++) {
      const po = nb[q] * h;
      for (let k = 0; k < h; k++) h1[o + k] += P[po + k] / c;
    }
    for (let k = 0; k < h; k++) if (h1[o + k] < 0) h1[o + k] = 0;
  }
  P = null;
  // Layer 2 in row batches (of marked users, with `only`).
  const out = opts.into ?? new Float32Array(n * d);
  if (out.length !== n * d) throw new PymkError('PYMK_BAD_PARAM', `embedAll: 'into' holds ${out.length} floats, expected ${n} × ${d}`);
  const rowsOf = new Int32Array(batch);
  const C = new Float32Array(batch * 2 * h);
  const Z = new Float32Array(batch * d);
  const total = only ? only.reduce((a, x) => a + (x ? 1 : 0), 0) : n;
  let done = 0;
  for (let s = 0; s < n; ) {
    let rows = 0;
    while (s < n && rows < batch) {
      if (!only || only[s]) rowsOf[rows++] = s;
      s++;
    }
    if (rows === 0) continue;
    C.fill(0);
    for (let t = 0; t < rows; t++) {
      const u = rowsOf[t];
      const o = t * 2 * h;
      C.set(h1.subarray(u * h, (u + 1) * h), o);
      const c = sampleNeighbours(g, u, f2, LAYER_SEEDS.layer2(seed), nb);
      for (let q = 0; q < c; q++) {
        const io = nb[q] * h;
        for (let k = 0; k < h; k++) C[o + h + k] += h1[io + k] / c;
      }
    }
    kern.mm(C, W2, rows, 2 * h, d, Z);
    for (let t = 0; t < rows; t++) {
      let ss = 0;
      for (let k = 0; k < d; k++) {
        Z[t * d + k] += b2[k];
        ss += Z[t * d + k] * Z[t * d + k];
      }
      const inv = 1 / (Math.sqrt(ss) + 1e-12);
      const o = rowsOf[t] * d;
      for (let k = 0; k < d; k++) out[o + k] = Z[t * d + k] * inv;
    }
    done += rows;
    opts.onProgress?.(done, total);
  }
  return out;
}

/** Unit-norm profile-tower embeddings of input rows 0..inp.n-1 (n × dim). */
export function towerAll(m: Model, inp: NodeInputs, opts: Pick<InferOptions, 'batch' | 'kernels'> = {}): Float32Array {
  const d = m.config.dim;
  const batch = opts.batch ?? 4096;
  const kern = opts.kernels ?? jsKernels();
  const ws = new Workspace();
  const out = new Float32Array(inp.n * d);
  const rows = new Int32Array(batch);
  for (let s = 0; s < inp.n; s += batch) {
    const e = Math.min(inp.n, s + batch);
    for (let u = s; u < e; u++) rows[u - s] = u;
    out.set(towerForward(m, inp, rows, e - s, { dropout: 0, rng: null }, ws, kern), s * d);
  }
  return out;
}
