/**
 * The encoder's configuration and parameters.
 *
 * GraphSAGE-mean, two layers, on sparse node inputs (features.ts):
 *   layer 1   h1(u) = relu( x(u)·A + id(u) + mean_{v ∈ S1(u)} [ x(v)·B + id(v) ] + b1 )
 *   layer 2   z(u)  = [ h1(u) | mean_{v ∈ S2(u)} h1(v) ] · W2 + b2,        e(u) = z(u) / ‖z(u)‖
 *   tower     t(u)  = relu( x(u)·A + b1 ) · Wt + bt,                        p(u) = t(u) / ‖t(u)‖
 * A and B are the first layer's self and neighbour weights, one row per input slot — for profiles these
 * rows are the hashed categorical embeddings. `id` is an optional per-user row (identity embedding, for
 * data without features; zero for users the model has not seen). S1, S2 are sampled neighbourhoods.
 * The profile tower shares A and b1 with the GNN but never sees neighbours or identities, so a user with
 * no connections gets p(u) in the same unit-norm space; pairs score τ·⟨·,·⟩ + β in training.
 */
import { PymkError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { slotCount, type InputSpec } from './features.js';

/** Architecture id, stored in checkpoints and in the embeddings' description. */
export const ARCHITECTURE = 'graphsage-mean-2l+profile-tower';
export const CHECKPOINT_FORMAT = 'pymk-embed-model';
export const CHECKPOINT_VERSION = 1;

export interface ModelConfig {
  /** Output dimension (default 128). */
  dim: number;
  /** Hidden width of layer 1 (and of the tower's hidden layer). */
  hidden: number;
  inputs: InputSpec;
  /** Per-user identity embeddings (transductive part, GNN only). */
  identity: boolean;
  /** Neighbours sampled per node: [layer 1 (2nd hop), layer 2 (1st hop)]. */
  fanouts: [number, number];
}

/** Names of the parameter arrays; 'A', 'B', 'I' are row tables updated sparsely. */
export const PARAM_NAMES = ['A', 'B', 'I', 'b1', 'W2', 'b2', 'Wt', 'bt', 'logTau', 'beta'] as const;
export type ParamName = (typeof PARAM_NAMES)[number];
export const TABLES: readonly ParamName[] = ['A', 'B', 'I'];

export interface Model {
  config: ModelConfig;
  /** Users the identity table covers (0 without identities). */
  users: number;
  params: Record<ParamName, Float32Array>;
}

/** Shape [rows, cols] of a parameter. */
export function paramShape(m: Model, name: ParamName): [number, number] {
  const { hidden: h, dim: d } = m.config;
  const slots = slotCount(m.config.inputs);
  switch (name) {
    case 'A':
    case 'B':
      return [slots, h];
    case 'I':
      return [m.config.identity ? m.users : 0, h];
    case 'b1':
      return [1, h];
    case 'W2':
      return [2 * h, d];
    case 'b2':
    case 'bt':
      return [1, d];
    case 'Wt':
      return [h, d];
    case 'logTau':
    case 'beta':
      return [1, 1];
  }
}

/**
 * A freshly initialised model for `users` users (the identity table's size). Identity rows start random
 * (`identityStd`, default 1/√hidden): the neighbour mean of random rows is already a sketch of the
 * neighbourhood, so dot products start out tracking common neighbours; 0 starts them at zero.
 */
export function createModel(config: ModelConfig, users: number, seed: number, identityStd = 1 / Math.sqrt(config.hidden)): Model {
  checkConfig(config);
  const m: Model = { config, users: config.identity ? users : 0, params: {} as Record<ParamName, Float32Array> };
  const rng = new Rng(seed ^ 0x6d0de1);
  for (const name of PARAM_NAMES) {
    const [r, c] = paramShape(m, name);
    m.params[name] = new Float32Array(r * c);
  }
  const h = config.hidden;
  gaussian(m.params.A, 1 / Math.sqrt(h), rng);
  gaussian(m.params.B, 1 / Math.sqrt(h), rng);
  gaussian(m.params.I, identityStd, rng);
  glorot(m.params.W2, 2 * h, config.dim, rng);
  glorot(m.params.Wt, h, config.dim, rng);
  m.params.b1.fill(0.01);
  m.params.logTau[0] = Math.log(5);
  return m;
}

/**
 * A copy of `m` whose identity table covers `users` users (new rows drawn like createModel's, seeded by the
 * row index); the same model when it already does.
 */
export function growModel(m: Model, users: number, identityStd = 1 / Math.sqrt(m.config.hidden)): Model {
  if (!m.config.identity || users <= m.users) return m;
  const h = m.config.hidden;
  const I = new Float32Array(users * h);
  I.set(m.params.I);
  if (identityStd > 0) {
    const rng = new Rng(0x1d ^ Math.imul(m.users + 1, 0x9e3779b1));
    for (let i = m.users * h; i < I.length; i++) I[i] = rng.normal() * identityStd;
  }
  return { config: m.config, users, params: { ...m.params, I } };
}

/** A deep copy (e.g. the best model seen during early stopping). */
export function cloneModel(m: Model): Model {
  const params = {} as Record<ParamName, Float32Array>;
  for (const k of PARAM_NAMES) params[k] = m.params[k].slice();
  return { config: structuredClone(m.config), users: m.users, params };
}

/** Copies parameters of `src` into `dst` (same shapes). */
export function copyParams(dst: Model, src: Model): void {
  for (const k of PARAM_NAMES) dst.params[k].set(src.params[k]);
}

export function checkConfig(c: ModelConfig): void {
  const ok = (x: number): boolean => Number.isInteger(x) && x > 0;
  if (!ok(c.dim) || !ok(c.hidden) || !ok(c.fanouts[0]) || !ok(c.fanouts[1])) {
    throw new PymkError('PYMK_BAD_PARAM', `model dims and fanouts must be positive integers, got dim ${c.dim}, hidden ${c.hidden}, fanouts ${c.fanouts.join('/')}`);
  }
  if (slotCount(c.inputs) === 0 && !c.identity) throw new PymkError('PYMK_BAD_PARAM', 'a model without input features needs identity embeddings');
}

function gaussian(a: Float32Array, std: number, rng: Rng): void {
  for (let i = 0; i < a.length; i++) a[i] = rng.normal() * std;
}

function glorot(a: Float32Array, fanIn: number, fanOut: number, rng: Rng): void {
  const lim = Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < a.length; i++) a[i] = (rng.next() * 2 - 1) * lim;
}
