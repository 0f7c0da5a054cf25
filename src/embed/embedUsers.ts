/**
 * Train-or-fine-tune then embed everyone: the one path the `embed` pipeline stage and the benchmarks share.
 *
 * Users with at least one connection get the GNN embedding (layer-wise inference over the whole graph);
 * users without any get the profile-tower embedding, which training keeps in the same unit-norm space.
 */
import type { ProfileTable } from '../core/tables.js';
import type { Graph } from '../graph/csr.js';
import { profileInputs, profileSpec, type NodeInputs, type ProfileSpec } from './features.js';
import { embedAll, towerAll } from './infer.js';
import type { DenseKernels } from './kernels.js';
import type { Model } from './model.js';
import { TRAIN_DEFAULTS, trainModel, type TrainOptions, type TrainProgress, type TrainResult } from './train.js';

export interface EmbedUsersOptions {
  train: Partial<TrainOptions>;
  /** Fine-tune this model instead of training from scratch (its input spec is kept). */
  init?: Model | null;
  /** With `init`: share of the budget (`epochs` and `maxEdges`) to run and learning-rate factor (defaults 0.3 and 0.5). */
  fineTuneEpochs?: number;
  fineTuneLr?: number;
  /** Neighbours averaged per layer when embedding everyone (default: the training fanouts). */
  inferFanouts?: [number, number];
  kernels?: DenseKernels;
  onTrainProgress?: (p: TrainProgress) => void;
  onInferProgress?: (done: number, total: number) => void;
  log?: (line: string) => void;
}

export interface EmbedUsersResult {
  model: Model;
  /** users × dim, unit norm. */
  vectors: Float32Array;
  /** Per user: 0 = GNN embedding, 1 = profile-tower embedding (no connections). */
  source: Uint8Array;
  train: TrainResult;
  fineTuned: boolean;
  inferSeconds: number;
}

/** Profile inputs for a graph's users, with the given spec or a fresh one. */
export function inputsFor(profiles: ProfileTable, n: number, spec?: ProfileSpec): { spec: ProfileSpec; inputs: NodeInputs } {
  const s = spec ?? profileSpec(profiles);
  return { spec: s, inputs: profileInputs(s, profiles, n) };
}

export function embedUsers(graph: Graph, profiles: ProfileTable, opts: EmbedUsersOptions): EmbedUsersResult {
  const init = opts.init ?? null;
  const fineTuned = init !== null && init.config.inputs.kind === 'profile';
  const { spec, inputs } = inputsFor(profiles, graph.n, fineTuned ? (init.config.inputs as ProfileSpec) : undefined);
  // Without any profile field every user would look the same: identities are then the only signal.
  const base = { ...TRAIN_DEFAULTS, ...opts.train, identity: (opts.train.identity ?? TRAIN_DEFAULTS.identity) || !anyProfile(profiles) };
  const share = opts.fineTuneEpochs ?? 0.3;
  const train: Partial<TrainOptions> = fineTuned
    ? {
        ...base,
        epochs: Math.max(1, Math.round(base.epochs * share)),
        maxEdges: base.maxEdges > 0 ? Math.max(1, Math.round(base.maxEdges * share)) : 0,
        lr: base.lr * (opts.fineTuneLr ?? 0.5),
      }
    : base;
  const result = trainModel({ graph, inputs, spec }, train, {
    kernels: opts.kernels,
    init: fineTuned ? init : undefined,
    onProgress: opts.onTrainProgress,
    log: opts.log,
  });
  const t0 = performance.now();
  const vectors = embedAll(result.model, graph, inputs, { kernels: opts.kernels, onProgress: opts.onInferProgress, seed: base.seed, fanouts: opts.inferFanouts });
  const source = new Uint8Array(graph.n);
  const isolated: number[] = [];
  for (let u = 0; u < graph.n; u++) if (graph.degree(u) === 0) isolated.push(u);
  if (isolated.length > 0) {
    const d = result.model.config.dim;
    const sub = subsetInputs(inputs, isolated);
    const t = towerAll(result.model, sub, { kernels: opts.kernels });
    isolated.forEach((u, i) => {
      vectors.set(t.subarray(i * d, (i + 1) * d), u * d);
      source[u] = 1;
    });
  }
  return { model: result.model, vectors, source, train: result, fineTuned, inferSeconds: (performance.now() - t0) / 1000 };
}

/** Whether any user has any categorical profile field. */
export function anyProfile(p: ProfileTable): boolean {
  for (const codes of Object.values(p.codes)) for (let u = 0; u < p.n; u++) if (codes[u] >= 0) return true;
  return false;
}

/** The input rows of the given users, as a NodeInputs of their own (row i = users[i]). */
export function subsetInputs(inp: NodeInputs, users: ArrayLike<number>): NodeInputs {
  const offsets = new Int32Array(users.length + 1);
  for (let i = 0; i < users.length; i++) offsets[i + 1] = offsets[i] + inp.offsets[users[i] + 1] - inp.offsets[users[i]];
  const index = new Int32Array(offsets[users.length]);
  const value = new Float32Array(offsets[users.length]);
  for (let i = 0; i < users.length; i++) {
    const s = inp.offsets[users[i]];
    const e = inp.offsets[users[i] + 1];
    index.set(inp.index.subarray(s, e), offsets[i]);
    value.set(inp.value.subarray(s, e), offsets[i]);
  }
  return { n: users.length, slots: inp.slots, offsets, index, value };
}
