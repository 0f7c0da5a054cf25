/**
 * Link-prediction training of the encoder and the profile tower.
 *
 * An epoch visits every training edge once as a positive. To keep the model from learning "is v already
 * among u's neighbours", the edges are split (by a seeded pair hash, fresh each epoch) into `1/maskRate`
 * groups; while one group is the positives, message passing uses the graph without that group (edge
 * masking, as in MaskGAE). Each batch of positives (u, v) gets:
 *   - a pool of uniformly random users (one per positive): `negatives` of them are negatives for u and
 *     as many for v;
 *   - a hard negative for u, weighted `hardNegatives`: a 2-hop user (neighbour of a neighbour) that is
 *     not connected to u;
 *   - the tower loss: u's profile-tower embedding against v's GNN embedding (and v's against u's), with
 *     the same negatives, weighted `towerWeight`, plus `alignWeight`·‖p(u) − e(u)‖² (e fixed) to keep
 *     the two in one space.
 * Validation AUC (GNN embeddings, held-out pairs vs non-edges) is measured after every mask round; the
 * best model is kept and training stops after `patience` rounds without improvement, or at the budget.
 */
import { PymkError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { EdgeTable } from '../core/tables.js';
import { Graph } from '../graph/csr.js';
import { sampleNonEdges } from '../graph/splits.js';
import { mix } from '../graph/twoHop.js';
import { rocAuc } from '../eval/metrics.js';
import { Adam } from './adam.js';
import { BlockSampler } from './block.js';
import type { InputSpec, NodeInputs } from './features.js';
import { Grads } from './grads.js';
import { embedNodes } from './infer.js';
import { jsKernels, type DenseKernels } from './kernels.js';
import { Pairs, pairLoss } from './loss.js';
import { cloneModel, copyParams, createModel, growModel, type Model } from './model.js';
import { Workspace, gnnBackward, gnnForward, towerBackward, towerForward } from './sage.js';

export interface TrainOptions {
  seed: number;
  dim: number;
  hidden: number;
  identity: boolean;
  /** Standard deviation of fresh identity rows (0 = zeros; default 1/√hidden). */
  identityStd?: number;
  fanouts: [number, number];
  /** Passes over the training edges (upper bound; early stopping may end sooner). */
  epochs: number;
  /** Positive edges per batch. */
  batchSize: number;
  lr: number;
  weightDecay: number;
  dropout: number;
  /** Uniform negatives per endpoint of a positive. */
  negatives: number;
  /** Weight of the 2-hop hard negative of each positive (0 = none). */
  hardNegatives: number;
  /** Share of edges hidden from message passing while they are positives (0 = no masking). */
  maskRate: number;
  towerWeight: number;
  alignWeight: number;
  /** Without given validation pairs: share of edges held out for validation, at most `maxValid` pairs. */
  validFrac: number;
  maxValid: number;
  /** Validation rounds without improvement before stopping (0 = never stop early). */
  patience: number;
  /** Stop after this many seconds / positive edges (0 = no limit). */
  maxSeconds: number;
  maxEdges: number;
}

export const TRAIN_DEFAULTS: Readonly<TrainOptions> = Object.freeze({
  seed: 1,
  dim: 128,
  hidden: 128,
  identity: false,
  fanouts: [10, 10] as [number, number],
  epochs: 10,
  batchSize: 512,
  lr: 0.01,
  weightDecay: 0,
  dropout: 0.2,
  negatives: 2,
  hardNegatives: 0.25,
  maskRate: 0.25,
  towerWeight: 0.5,
  alignWeight: 0.1,
  validFrac: 0.05,
  maxValid: 5000,
  patience: 4,
  maxSeconds: 0,
  maxEdges: 0,
});

export interface TrainInput {
  /** The training graph: message passing and positives. */
  graph: Graph;
  inputs: NodeInputs;
  spec: InputSpec;
  /** Validation pairs; without them a share of the training edges is held out (`validFrac`). */
  valid?: { pos: EdgeTable; neg: EdgeTable };
  /** Users that may be sampled as negatives (default: users with a training edge). */
  pool?: Int32Array;
}

export interface TrainProgress {
  epoch: number;
  edges: number;
  /** Planned positive edges (epochs × training edges, or the edge budget). */
  plannedEdges: number;
  loss: number;
}

export interface RoundRecord {
  epoch: number;
  round: number;
  edges: number;
  seconds: number;
  loss: number;
  validAuc: number | null;
  towerValidAuc: number | null;
}

export interface TrainResult {
  model: Model;
  rounds: RoundRecord[];
  best: { validAuc: number | null; round: number };
  stats: { edges: number; batches: number; seconds: number; edgesPerSecond: number; stopped: 'epochs' | 'early' | 'time' | 'edges' };
}

export interface TrainHooks {
  kernels?: DenseKernels;
  /** Continue from this model (fine-tuning); its config wins over dim/hidden/identity/fanouts. */
  init?: Model;
  onProgress?: (p: TrainProgress) => void;
  log?: (line: string) => void;
}

/** A stable hash of an unordered pair, salted. */
export function pairHash(u: number, v: number, salt: number): number {
  const a = u < v ? u : v;
  const b = u < v ? v : u;
  return mix(mix(a ^ salt) ^ Math.imul(b, 0x9e3779b1));
}

/** The subgraph of g keeping the pairs for which keep(u, v) holds (called with u < v, once per pair). */
export function filterGraph(g: Graph, keep: (u: number, v: number) => boolean): Graph {
  const mark = new Uint8Array(g.targets.length);
  const offsets = new Int32Array(g.n + 1);
  for (let u = 0; u < g.n; u++) {
    for (let p = g.offsets[u]; p < g.offsets[u + 1]; p++) {
      const v = g.targets[p];
      if (u < v ? keep(u, v) : keep(v, u)) {
        mark[p] = 1;
        offsets[u + 1]++;
      }
    }
  }
  for (let u = 0; u < g.n; u++) offsets[u + 1] += offsets[u];
  const targets = new Int32Array(offsets[g.n]);
  const times = new Uint32Array(offsets[g.n]);
  let w = 0;
  for (let p = 0; p < g.targets.length; p++) {
    if (!mark[p]) continue;
    targets[w] = g.targets[p];
    times[w++] = g.times[p];
  }
  return new Graph(g.n, offsets, targets, times);
}

/** Trains (or fine-tunes, with hooks.init) and returns the best model by validation AUC. */
export function trainModel(input: TrainInput, options: Partial<TrainOptions> = {}, hooks: TrainHooks = {}): TrainResult {
  const o: TrainOptions = { ...TRAIN_DEFAULTS, ...options };
  const g = input.graph;
  const inp = input.inputs;
  if (inp.n < g.n) throw new PymkError('PYMK_BAD_PARAM', `inputs cover ${inp.n} users, the graph has ${g.n}`);
  if (!(o.maskRate >= 0 && o.maskRate < 1)) throw new PymkError('PYMK_BAD_PARAM', `maskRate must be in [0, 1), got ${o.maskRate}`);
  const kern = hooks.kernels ?? jsKernels();
  const log = hooks.log ?? ((): void => {});
  const started = performance.now();
  const rng = new Rng(o.seed);

  const model = hooks.init
    ? growModel(cloneModel(hooks.init), g.n, o.identityStd)
    : createModel({ dim: o.dim, hidden: o.hidden, inputs: input.spec, identity: o.identity, fanouts: o.fanouts }, g.n, o.seed, o.identityStd);
  const fanouts = model.config.fanouts;

  // Validation: given pairs, or a hashed share of the edges (then hidden from training).
  let valid = input.valid;
  let base = g;
  if (!valid && o.validFrac > 0 && g.edgeCount >= 20) {
    const frac = Math.min(o.validFrac, o.maxValid / g.edgeCount);
    const thr = Math.floor(frac * 2 ** 32);
    const salt = (o.seed * 0x51ed27) >>> 0;
    base = filterGraph(g, (u, v) => pairHash(u, v, salt) >= thr);
    const heldOut = filterGraph(g, (u, v) => pairHash(u, v, salt) < thr);
    const pos = graphPairs(heldOut);
    const active = activeUsers(g);
    valid = { pos, neg: sampleNonEdges(g, pos.count, rng.u32(), active) };
  }
  const pool = input.pool ?? activeUsers(base);
  if (pool.length < 2) throw new PymkError('PYMK_BAD_PARAM', 'training needs at least two users with connections');
  const validNodes = valid ? uniqueNodes(valid.pos, valid.neg) : null;

  const adam = new Adam(model, { lr: o.lr, weightDecay: o.weightDecay });
  const grads = new Grads(model);
  const sampler = new BlockSampler(g.n);
  const ws = new Workspace();
  const pairs = new Pairs();
  const towerPairs = new Pairs();
  const gS = new Float32Array(2);
  const parts = o.maskRate > 0 ? Math.max(2, Math.round(1 / o.maskRate)) : 1;
  const plannedEdges = o.maxEdges > 0 ? Math.min(o.maxEdges, o.epochs * base.edgeCount) : o.epochs * base.edgeCount;

  const rounds: RoundRecord[] = [];
  let best: Model | null = null;
  let bestAuc = -1;
  let bestRound = -1;
  let sinceBest = 0;
  let edges = 0;
  let batches = 0;
  let stopped: TrainResult['stats']['stopped'] = 'epochs';

  const evaluate = (): { gnn: number; tower: number } | null => {
    if (!valid || !validNodes) return null;
    const E = embedNodes(model, base, inp, validNodes.nodes, { seed: o.seed, kernels: kern });
    const Pt = towerRows(model, inp, validNodes.nodes, kern);
    const d = model.config.dim;
    const score = (X: Float32Array, a: number, b: number): number => {
      let s = 0;
      for (let k = 0; k < d; k++) s += X[a * d + k] * E[b * d + k];
      return s;
    };
    const side = (X: Float32Array, t: EdgeTable): Float64Array => Float64Array.from({ length: t.count }, (_, i) => score(X, validNodes.index.get(t.src[i])!, validNodes.index.get(t.dst[i])!));
    return { gnn: rocAuc(side(E, valid.pos), side(E, valid.neg)), tower: rocAuc(side(Pt, valid.pos), side(Pt, valid.neg)) };
  };

  outer: for (let epoch = 0; epoch < o.epochs; epoch++) {
    const salt = (mix(o.seed + 0x1000 * (epoch + 1)) ^ 0xa5a5) >>> 0;
    for (let round = 0; round < parts; round++) {
      const inRound = (u: number, v: number): boolean => parts === 1 || pairHash(u, v, salt) % parts === round;
      const mp = parts === 1 ? base : filterGraph(base, (u, v) => !inRound(u, v));
      const pos = graphPairs(parts === 1 ? base : filterGraph(base, inRound));
      const order = rng.shuffle(Int32Array.from({ length: pos.count }, (_, i) => i));
      let lossSum = 0;
      let lossBatches = 0;
      for (let s = 0; s < order.length; s += o.batchSize) {
        const e = Math.min(order.length, s + o.batchSize);
        lossSum += step(order.subarray(s, e), pos, mp);
        lossBatches++;
        edges += e - s;
        batches++;
        hooks.onProgress?.({ epoch, edges, plannedEdges, loss: lossSum / lossBatches });
        if (o.maxEdges > 0 && edges >= o.maxEdges) stopped = 'edges';
        else if (o.maxSeconds > 0 && (performance.now() - started) / 1000 >= o.maxSeconds) stopped = 'time';
        if (stopped !== 'epochs') break;
      }
      const auc = evaluate();
      const rec: RoundRecord = {
        epoch,
        round,
        edges,
        seconds: (performance.now() - started) / 1000,
        loss: lossBatches ? lossSum / lossBatches : 0,
        validAuc: auc?.gnn ?? null,
        towerValidAuc: auc?.tower ?? null,
      };
      rounds.push(rec);
      log(`epoch ${epoch} round ${round}: ${edges} edges, loss ${rec.loss.toFixed(4)}${auc ? `, valid AUC ${auc.gnn.toFixed(4)} (tower ${auc.tower.toFixed(4)})` : ''}`);
      if (auc) {
        if (auc.gnn > bestAuc + 1e-4) {
          bestAuc = auc.gnn;
          bestRound = rounds.length - 1;
          best = best ? (copyParams(best, model), best) : cloneModel(model);
          sinceBest = 0;
        } else if (o.patience > 0 && ++sinceBest >= o.patience) {
          stopped = 'early';
        }
      }
      if (stopped !== 'epochs') break outer;
    }
  }
  if (best) copyParams(model, best);
  const seconds = (performance.now() - started) / 1000;
  return {
    model,
    rounds,
    best: { validAuc: bestAuc >= 0 ? bestAuc : null, round: bestRound },
    stats: { edges, batches, seconds, edgesPerSecond: edges / Math.max(seconds, 1e-9), stopped },
  };

  /** One batch of positives pos[idx]: forward, loss, backward, Adam step; returns the batch loss. */
  function step(idx: Int32Array, pos: EdgeTable, mp: Graph): number {
    const B = idx.length;
    const d = model.config.dim;
    sampler.begin();
    const la = new Int32Array(B);
    const lb = new Int32Array(B);
    for (let i = 0; i < B; i++) {
      la[i] = sampler.add(pos.src[idx[i]]);
      lb[i] = sampler.add(pos.dst[idx[i]]);
    }
    const nEnd = sampler.size;
    const poolLocal = new Int32Array(B);
    for (let i = 0; i < B; i++) poolLocal[i] = sampler.add(pool[rng.int(pool.length)]);
    const hard = new Int32Array(B).fill(-1);
    if (o.hardNegatives > 0) {
      for (let i = 0; i < B; i++) {
        const w = twoHopNegative(base, mp, pos.src[idx[i]], rng);
        if (w >= 0) hard[i] = sampler.add(w);
      }
    }
    const block = sampler.expand(mp, fanouts, rng);
    const pass = { dropout: o.dropout, rng };
    const E = gnnForward(model, inp, block, pass, ws, kern);
    const useTower = o.towerWeight > 0 || o.alignWeight > 0;
    const Pt = useTower ? towerForward(model, inp, block.nodes, nEnd, pass, ws, kern) : E;

    pairs.clear();
    towerPairs.clear();
    const K = o.negatives;
    const wNeg = 1 / (2 * B * K);
    for (let i = 0; i < B; i++) {
      pairs.push(la[i], lb[i], 1, 1 / B);
      towerPairs.push(la[i], lb[i], 1, o.towerWeight / (2 * B));
      towerPairs.push(lb[i], la[i], 1, o.towerWeight / (2 * B));
      for (let k = 0; k < K; k++) {
        const na = poolLocal[rng.int(B)];
        const nb = poolLocal[rng.int(B)];
        pairs.push(la[i], na, 0, wNeg);
        pairs.push(lb[i], nb, 0, wNeg);
        towerPairs.push(la[i], na, 0, o.towerWeight * wNeg);
        towerPairs.push(lb[i], nb, 0, o.towerWeight * wNeg);
      }
      if (hard[i] >= 0) pairs.push(la[i], hard[i], 0, o.hardNegatives / B);
    }
    const dE = ws.get('dE', block.nT * d, true);
    const dP = ws.get('tdE', nEnd * d, true);
    gS.fill(0);
    const logTau = model.params.logTau[0];
    const beta = model.params.beta[0];
    let loss = pairLoss(E, dE, E, dE, d, pairs, logTau, beta, gS);
    if (o.towerWeight > 0) loss += pairLoss(Pt, dP, E, dE, d, towerPairs, logTau, beta, gS);
    if (useTower && o.alignWeight > 0) {
      const w = (2 * o.alignWeight) / nEnd;
      for (let t = 0; t < nEnd * d; t++) {
        const diff = Pt[t] - E[t];
        loss += (o.alignWeight / nEnd) * diff * diff;
        dP[t] += w * diff;
      }
    }
    grads.zero();
    grads.dense.logTau[0] = gS[0];
    grads.dense.beta[0] = gS[1];
    gnnBackward(model, inp, block, pass, ws, kern, dE, grads);
    if (useTower) towerBackward(model, inp, block.nodes, nEnd, pass, ws, kern, dP, grads);
    adam.step(model, grads);
    return loss;
  }
}

/** A user two steps from u in mp that is not u's neighbour in g (the full training graph), or -1. */
export function twoHopNegative(g: Graph, mp: Graph, u: number, rng: Rng): number {
  for (let tries = 0; tries < 4; tries++) {
    const du = mp.degree(u);
    if (du === 0) return -1;
    const w = mp.targets[mp.offsets[u] + rng.int(du)];
    const dw = mp.degree(w);
    if (dw === 0) continue;
    const x = mp.targets[mp.offsets[w] + rng.int(dw)];
    if (x !== u && !g.hasEdge(u, x)) return x;
  }
  return -1;
}

/** Users with at least one edge in g. */
export function activeUsers(g: Graph): Int32Array {
  let c = 0;
  for (let u = 0; u < g.n; u++) if (g.degree(u) > 0) c++;
  const out = new Int32Array(c);
  c = 0;
  for (let u = 0; u < g.n; u++) if (g.degree(u) > 0) out[c++] = u;
  return out;
}

/** The edges of g as (src < dst) pairs. */
function graphPairs(g: Graph): EdgeTable {
  const m = g.edgeCount;
  const src = new Int32Array(m);
  const dst = new Int32Array(m);
  let k = 0;
  for (let u = 0; u < g.n; u++) {
    for (let p = g.offsets[u]; p < g.offsets[u + 1]; p++) {
      if (g.targets[p] > u) {
        src[k] = u;
        dst[k++] = g.targets[p];
      }
    }
  }
  return { count: k, src, dst, ts: new Uint32Array(k) };
}

function uniqueNodes(...tables: EdgeTable[]): { nodes: Int32Array; index: Map<number, number> } {
  const index = new Map<number, number>();
  for (const t of tables) {
    for (let i = 0; i < t.count; i++) {
      if (!index.has(t.src[i])) index.set(t.src[i], index.size);
      if (!index.has(t.dst[i])) index.set(t.dst[i], index.size);
    }
  }
  return { nodes: Int32Array.from(index.keys()), index };
}

/** Tower embeddings of the given users (count × dim). */
function towerRows(m: Model, inp: NodeInputs, nodes: Int32Array, kern: DenseKernels): Float32Array {
  const ws = new Workspace();
  const out = new Float32Array(nodes.length * m.config.dim);
  for (let s = 0; s < nodes.length; s += 4096) {
    const e = Math.min(nodes.length, s + 4096);
    out.set(towerForward(m, inp, nodes.subarray(s, e), e - s, { dropout: 0, rng: null }, ws, kern), s * m.config.dim);
  }
  return out;
}
